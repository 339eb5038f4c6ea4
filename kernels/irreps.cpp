#include "kernels/irreps.hpp"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <stdexcept>

namespace e3md::kernels {

Irrep::Irrep(int l_, int p_) : l(l_), p(p_) {
  if (l < 0 || (p != 1 && p != -1)) {
    throw std::invalid_argument("Irrep(" + std::to_string(l_) + ", " + std::to_string(p_) +
                                "): l must be >= 0 and p must be +1 or -1");
  }
}

Irrep Irrep::parse(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i + 1 != text.size() || (text[i] != 'e' && text[i] != 'o')) {
    throw std::invalid_argument("irrep '" + text + "' is malformed: write l followed by e or o, e.g. '1o'");
  }
  return Irrep(std::stoi(text.substr(0, i)), text[i] == 'e' ? 1 : -1);
}

std::string Irrep::str() const { return std::to_string(l) + (p == 1 ? "e" : "o"); }

std::vector<Irrep> irrep_product(const Irrep& a, const Irrep& b) {
  std::vector<Irrep> out;
  for (int l = std::abs(a.l - b.l); l <= a.l + b.l; ++l) out.emplace_back(l, a.p * b.p);
  return out;
}

Irreps::Irreps(std::vector<MulIrrep> blocks) : blocks_(std::move(blocks)) {
  for (const auto& b : blocks_) {
    if (b.mul < 0) throw std::invalid_argument("Irreps: negative multiplicity in block " + b.ir.str());
  }
}

Irreps Irreps::parse(const std::string& text) {
  std::vector<MulIrrep> blocks;
  std::string t;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) t += c;
  }
  if (t.empty()) return Irreps();
  std::size_t start = 0;
  while (start <= t.size()) {
    std::size_t end = t.find('+', start);
    if (end == std::string::npos) end = t.size();
    const std::string item = t.substr(start, end - start);
    if (item.empty()) {
      throw std::invalid_argument("irreps '" + text + "': empty term; write e.g. '32x0e+16x1o'");
    }
    const std::size_t x = item.find('x');
    int mul = 1;
    std::string ir = item;
    if (x != std::string::npos) {
      const std::string m = item.substr(0, x);
      if (m.empty() || !std::all_of(m.begin(), m.end(), [](char c) { return std::isdigit(c); })) {
        throw std::invalid_argument("irreps '" + text + "': bad multiplicity in '" + item + "'");
      }
      mul = std::stoi(m);
      ir = item.substr(x + 1);
    }
    blocks.push_back({mul, Irrep::parse(ir)});
    start = end + 1;
  }
  return Irreps(blocks);
}

Irreps Irreps::spherical_harmonics(int lmax, bool parity) {
  std::vector<MulIrrep> b;
  for (int l = 0; l <= lmax; ++l) b.push_back({1, Irrep(l, (parity && l % 2 == 1) ? -1 : 1)});
  return Irreps(b);
}

int Irreps::dim() const {
  int d = 0;
  for (const auto& b : blocks_) d += b.dim();
  return d;
}

int Irreps::num_irreps() const {
  int n = 0;
  for (const auto& b : blocks_) n += b.mul;
  return n;
}

int Irreps::lmax() const {
  int l = -1;
  for (const auto& b : blocks_) l = std::max(l, b.ir.l);
  return l;
}

std::vector<int> Irreps::offsets() const {
  std::vector<int> o(blocks_.size() + 1, 0);
  for (std::size_t i = 0; i < blocks_.size(); ++i) o[i + 1] = o[i] + blocks_[i].dim();
  return o;
}

Irreps Irreps::simplify() const {
  std::vector<MulIrrep> out;
  for (const auto& b : blocks_) {
    if (b.mul == 0) continue;
    if (!out.empty() && out.back().ir == b.ir) {
      out.back().mul += b.mul;
    } else {
      out.push_back(b);
    }
  }
  return Irreps(out);
}

Irreps Irreps::sort(std::vector<int>* perm) const {
  std::vector<int> order(blocks_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return blocks_[a].ir < blocks_[b].ir; });
  std::vector<MulIrrep> out;
  std::vector<int> p(blocks_.size());
  for (std::size_t n = 0; n < order.size(); ++n) {
    out.push_back(blocks_[order[n]]);
    p[order[n]] = static_cast<int>(n);
  }
  if (perm) *perm = p;
  return Irreps(out);
}

Irreps Irreps::operator+(const Irreps& o) const {
  std::vector<MulIrrep> b = blocks_;
  b.insert(b.end(), o.blocks_.begin(), o.blocks_.end());
  return Irreps(b);
}

bool Irreps::contains(const Irrep& ir) const {
  return std::any_of(blocks_.begin(), blocks_.end(), [&](const MulIrrep& b) { return b.ir == ir; });
}

std::string Irreps::str() const {
  std::string s;
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    if (i) s += "+";
    s += std::to_string(blocks_[i].mul) + "x" + blocks_[i].ir.str();
  }
  return s;
}

bool path_exists(const Irreps& a, const Irreps& b, const Irrep& ir) {
  for (const auto& x : a.blocks()) {
    for (const auto& y : b.blocks()) {
      for (const auto& z : irrep_product(x.ir, y.ir)) {
        if (z == ir) return true;
      }
    }
  }
  return false;
}

}  // namespace e3md::kernels
