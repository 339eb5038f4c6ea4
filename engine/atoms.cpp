#include "engine/atoms.hpp"

namespace e3md {

void Atoms::resize_local(int n) {
  nlocal = n;
  nghost = 0;
  const auto un = static_cast<std::size_t>(n);
  id.assign(un, 0);
  type.assign(un, 0);
  x.assign(un, Vec3::Zero());
  v.assign(un, Vec3::Zero());
  f.assign(un, Vec3::Zero());
  image.assign(un, Vec3i::Zero());
  ghost_shift.assign(un, Vec3i::Zero());
}

void Atoms::clear_ghosts() {
  nghost = 0;
  const auto un = static_cast<std::size_t>(nlocal);
  id.resize(un);
  type.resize(un);
  x.resize(un);
  v.resize(un);
  f.resize(un);
  image.resize(un);
  ghost_shift.resize(un);
}

void Atoms::push_local(AtomId gid, int t, const Vec3& pos, const Vec3& vel, const Vec3i& img) {
  id.push_back(gid);
  type.push_back(t);
  x.push_back(pos);
  v.push_back(vel);
  f.push_back(Vec3::Zero());
  image.push_back(img);
  ghost_shift.push_back(Vec3i::Zero());
  ++nlocal;
}

int SpeciesTable::find(const std::string& name) const {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace e3md
