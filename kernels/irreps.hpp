// Irreducible representations of O(3) and lists of them, with e3nn 0.5's conventions: (l, p) irreps,
// multiplicity-major layout inside a block (component m of channel u at offset + u*(2l+1) + m), simplify that
// merges only adjacent equal irreps, and a stable sort with p = -1 before p = +1.
#pragma once

#include <string>
#include <vector>

namespace e3md::kernels {

struct Irrep {
  int l = 0;
  int p = 1;  // +1 ("e") or -1 ("o")

  Irrep() = default;
  Irrep(int l_, int p_);
  // Parses "1o", "2e", "0e".
  static Irrep parse(const std::string& text);
  int dim() const { return 2 * l + 1; }
  std::string str() const;
  bool operator==(const Irrep& o) const { return l == o.l && p == o.p; }
  bool operator!=(const Irrep& o) const { return !(*this == o); }
  // e3nn's order: by l, then p = -1 before p = +1.
  bool operator<(const Irrep& o) const { return l != o.l ? l < o.l : p < o.p; }
};

// (l1,p1) x (l2,p2) = {(l, p1 p2) : |l1-l2| <= l <= l1+l2}, increasing l.
std::vector<Irrep> irrep_product(const Irrep& a, const Irrep& b);

struct MulIrrep {
  int mul = 0;
  Irrep ir;
  int dim() const { return mul * ir.dim(); }
  bool operator==(const MulIrrep& o) const { return mul == o.mul && ir == o.ir; }
};

class Irreps {
 public:
  Irreps() = default;
  explicit Irreps(std::vector<MulIrrep> blocks);
  // Parses e3nn's text form, e.g. "32x0e+16x1o+2e"; throws std::invalid_argument on malformed text.
  static Irreps parse(const std::string& text);
  // 1x0e + 1x1p + ... with p = -1 for odd l when parity is true (e3nn's Irreps.spherical_harmonics).
  static Irreps spherical_harmonics(int lmax, bool parity);

  std::size_t size() const { return blocks_.size(); }
  const MulIrrep& operator[](std::size_t i) const { return blocks_[i]; }
  const std::vector<MulIrrep>& blocks() const { return blocks_; }
  int dim() const;
  int num_irreps() const;  // sum of multiplicities
  int lmax() const;
  // Start of each block in the flat feature vector; size() + 1 entries, the last one is dim().
  std::vector<int> offsets() const;
  // Merges adjacent blocks with the same irrep, drops mul = 0 blocks. Layout is unchanged.
  Irreps simplify() const;
  // Stable sort by irrep; perm[old_index] = new_index.
  Irreps sort(std::vector<int>* perm) const;
  Irreps operator+(const Irreps& o) const;  // concatenation
  bool operator==(const Irreps& o) const { return blocks_ == o.blocks_; }
  bool operator!=(const Irreps& o) const { return !(*this == o); }
  bool contains(const Irrep& ir) const;
  std::string str() const;

 private:
  std::vector<MulIrrep> blocks_;
};

// True if some block irrep a of A and b of B have ir in a x b.
bool path_exists(const Irreps& a, const Irreps& b, const Irrep& ir);

}  // namespace e3md::kernels
