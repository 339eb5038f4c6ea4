#include "driver/builder_symmetry.hpp"

#include <Eigen/LU>
#include <cmath>
#include <stdexcept>

namespace e3md {

namespace {

double wrap01(double v) {
  double w = v - std::floor(v);
  if (w > 1.0 - 1e-12) w = 0.0;  // 0.9999999999999 is 0 up to round-off
  return w;
}

bool same_op(const SymOp& a, const SymOp& b) {
  if (a.rotation != b.rotation) return false;
  for (int k = 0; k < 3; ++k) {
    const double d = a.translation[k] - b.translation[k];
    if (std::abs(d - std::round(d)) > 1e-9) return false;
  }
  return true;
}

SymOp compose(const SymOp& a, const SymOp& b) {  // (a ∘ b) x = a(b(x))
  SymOp c;
  c.rotation = a.rotation * b.rotation;
  c.translation = a.rotation.cast<double>() * b.translation + a.translation;
  for (int k = 0; k < 3; ++k) c.translation[k] = wrap01(c.translation[k]);
  return c;
}

}  // namespace

SymOp parse_symop(const std::string& triplet) {
  SymOp op;
  op.rotation.setZero();
  int row = 0;
  std::size_t p = 0;
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument("symmetry operation '" + triplet + "': " + why +
                                "; write coordinate triplets such as \"-y,x+1/2,z+1/4\"");
  };
  while (row < 3) {
    std::size_t end = triplet.find(',', p);
    if (row < 2 && end == std::string::npos) fail("needs three comma-separated components");
    if (row == 2) end = triplet.size();
    const std::string comp = triplet.substr(p, end - p);
    std::size_t q = 0;
    bool any = false;
    while (q < comp.size()) {
      if (comp[q] == ' ') {
        ++q;
        continue;
      }
      int sign = 1;
      if (comp[q] == '+' || comp[q] == '-') {
        sign = comp[q] == '-' ? -1 : 1;
        ++q;
      }
      if (q >= comp.size()) fail("dangling sign");
      const char c = comp[q];
      if (c == 'x' || c == 'y' || c == 'z') {
        op.rotation(row, c - 'x') += sign;
        ++q;
      } else if ((c >= '0' && c <= '9') || c == '.') {
        std::size_t r = q;
        while (r < comp.size() && ((comp[r] >= '0' && comp[r] <= '9') || comp[r] == '.' || comp[r] == '/'))
          ++r;
        const std::string num = comp.substr(q, r - q);
        const auto slash = num.find('/');
        double v = 0.0;
        try {
          v = slash == std::string::npos ? std::stod(num)
                                         : std::stod(num.substr(0, slash)) / std::stod(num.substr(slash + 1));
        } catch (const std::exception&) {
          fail("bad number '" + num + "'");
        }
        op.translation[row] += sign * v;
        q = r;
      } else {
        fail(std::string("unexpected character '") + c + "'");
      }
      any = true;
    }
    if (!any) fail("empty component");
    p = end + 1;
    ++row;
  }
  for (int k = 0; k < 3; ++k) op.translation[k] = wrap01(op.translation[k]);
  if (std::abs(std::abs(op.rotation.cast<double>().determinant()) - 1.0) > 1e-12) {
    fail("not a rotation or rotoinversion (|det| != 1)");
  }
  return op;
}

const std::vector<SpaceGroupInfo>& supported_space_groups() {
  // Generators from the ITA general positions (checked against spglib's database operation sets in the
  // tests); `order` is the conventional-cell count, also checked.
  static const std::vector<SpaceGroupInfo> groups = {
      {2, "P-1", 'P', {"-x,-y,-z"}, 2},
      {7, "Pc", 'P', {"x,-y,z+1/2"}, 2},
      {8, "Cm", 'C', {"x,-y,z"}, 4},
      {12, "C2/m", 'C', {"-x,y,-z", "-x,-y,-z"}, 8},
      {14, "P2_1/c", 'P', {"-x,y+1/2,-z+1/2", "-x,-y,-z"}, 4},
      {15, "C2/c", 'C', {"-x,y,-z+1/2", "-x,-y,-z"}, 8},
      {19, "P2_12_12_1", 'P', {"-x+1/2,-y,z+1/2", "-x,y+1/2,-z+1/2"}, 4},
      {24, "I2_12_12_1", 'I', {"-x+1/2,-y,z+1/2", "-x,y+1/2,-z+1/2"}, 8},
      {31, "Pmn2_1", 'P', {"-x+1/2,-y,z+1/2", "-x,y,z"}, 4},
      {36, "Cmc2_1", 'C', {"-x,-y,z+1/2", "-x,y,z"}, 8},
      {43, "Fdd2", 'F', {"-x,-y,z", "x+1/4,-y+1/4,z+1/4"}, 16},
      {122, "I-42d", 'I', {"-x,-y,z", "y,-x,-z", "-x+1/2,y,-z+3/4"}, 16},
      {142, "I4_1/acd", 'I', {"-y,x+1/2,z+1/4", "x+1/2,-y,-z+1/4", "-x,-y+1/2,-z+1/4"}, 32},
      {191, "P6/mmm", 'P', {"-y,x-y,z", "-x,-y,z", "y,x,-z", "-x,-y,-z"}, 24},
      {194, "P6_3/mmc", 'P', {"-y,x-y,z", "-x,-y,z+1/2", "y,x,-z", "-x,-y,-z"}, 24},
      {218, "P-43n", 'P', {"-x,-y,z", "-x,y,-z", "z,x,y", "y+1/2,x+1/2,z+1/2"}, 24},
      {221, "Pm-3m", 'P', {"-x,-y,z", "-x,y,-z", "z,x,y", "y,x,-z", "-x,-y,-z"}, 48},
      {225, "Fm-3m", 'F', {"-x,-y,z", "-x,y,-z", "z,x,y", "y,x,-z", "-x,-y,-z"}, 192},
      {229, "Im-3m", 'I', {"-x,-y,z", "-x,y,-z", "z,x,y", "y,x,-z", "-x,-y,-z"}, 96},
  };
  return groups;
}

const SpaceGroupInfo& space_group_info(int number) {
  for (const auto& g : supported_space_groups()) {
    if (g.number == number) return g;
  }
  std::string known;
  for (const auto& g : supported_space_groups())
    known += (known.empty() ? "" : ", ") + std::to_string(g.number);
  throw std::invalid_argument("space group " + std::to_string(number) +
                              " has no stored generators; supported: " + known +
                              " (add its ITA generators to driver/builder_symmetry.cpp)");
}

std::vector<SymOp> space_group_operations(int number) {
  const SpaceGroupInfo& info = space_group_info(number);
  std::vector<SymOp> gens;
  for (const auto& g : info.generators) gens.push_back(parse_symop(g));
  auto centring = [&](double x, double y, double z) {
    SymOp t;
    t.translation = Vec3(x, y, z);
    gens.push_back(t);
  };
  switch (info.centring) {
    case 'I':
      centring(0.5, 0.5, 0.5);
      break;
    case 'C':
      centring(0.5, 0.5, 0.0);
      break;
    case 'F':
      centring(0.0, 0.5, 0.5);
      centring(0.5, 0.0, 0.5);
      break;
    default:
      break;
  }
  std::vector<SymOp> ops{SymOp{}};
  for (std::size_t i = 0; i < ops.size(); ++i) {
    for (const auto& g : gens) {
      for (const SymOp& c : {compose(ops[i], g), compose(g, ops[i])}) {
        bool seen = false;
        for (const auto& o : ops) seen = seen || same_op(o, c);
        if (!seen) ops.push_back(c);
      }
    }
    if (ops.size() > 192) break;
  }
  if (static_cast<int>(ops.size()) != info.order) {
    throw std::logic_error("space group " + std::to_string(number) + ": generators close to " +
                           std::to_string(ops.size()) + " operations, expected " +
                           std::to_string(info.order));
  }
  return ops;
}

std::vector<Vec3> expand_orbit(const std::vector<SymOp>& ops, const Vec3& x, const Mat3& cell_rows,
                               double tolerance) {
  std::vector<Vec3> orbit;
  for (const auto& op : ops) {
    Vec3 y = op.apply(x);
    for (int k = 0; k < 3; ++k) y[k] = wrap01(y[k]);
    bool dup = false;
    for (const auto& z : orbit) {
      Vec3 d = y - z;
      for (int k = 0; k < 3; ++k) d[k] -= std::round(d[k]);
      if ((cell_rows.transpose() * d).norm() < tolerance) {
        dup = true;
        break;
      }
    }
    if (!dup) orbit.push_back(y);
  }
  return orbit;
}

}  // namespace e3md
