// Charge-compensated point defects in supercells, as in the Li-rich / Li-poor subsets of the LiPON
// training set (formal charges Li+1, P+5, O-2, N-3; every defect keeps the cell neutral):
//
//  li-rich    one extra Li (interstitial) + one O→N substitution        (Li72P24O96 → Li73P24O95N1)
//  li-poor    one Li removed + one N→O substitution when the cell has N; otherwise one Li and one O
//             removed + one O→N substitution                           (Li72P24O96 → Li71P24O94N1)
//  p-to-li5   one P removed and five Li added (Li7PN4: Li5+ replaces P5+)
//
// Which atoms are substituted/removed is drawn with the seed; each added Li goes to the best of many
// random trial points (largest distance to every atom, at least `min_li_distance`). `count` defects are
// applied per configuration; up to `cap` distinct configurations are returned (distinct = different
// choices of atoms), frame k is reproducible from (seed, k).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/structure.hpp"

namespace e3md {

enum class DefectKind { LiRich, LiPoor, PToLi5 };

DefectKind parse_defect_kind(const std::string& name);  // li-rich | li-poor | p-to-li5
std::string defect_kind_name(DefectKind k);

struct DefectOptions {
  DefectKind kind = DefectKind::LiRich;
  int count = 1;  // defects per configuration
  int cap = 10;   // configurations
  std::uint64_t seed = 1;
  double min_li_distance = 1.6;  // Å, closest allowed approach of an added Li to any atom
  int trials = 3000;             // random trial points per added Li
};

// Formal charge of a structure with Li+1, P+5, O-2, N-3 (other species throw).
int formal_charge(const Structure& s);

// Throws std::invalid_argument when the structure lacks the atoms a defect needs, or when no room for an
// added Li is found.
std::vector<Structure> enumerate_defects(const Structure& supercell, const DefectOptions& o);

}  // namespace e3md
