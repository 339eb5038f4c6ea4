// Profiles along one cell axis (c by default): per bin, number density per species, the mean nearest-
// neighbour distance between atoms of one species (Li–Li by default), and the mean number of such
// neighbours within a cutoff. Bins split the fractional coordinate along the axis into equal slabs; the
// position of a bin is its centre times the plane spacing of that axis (for c: the height along the normal
// of the a–b plane, Å). Time-averaged over the selected frames.
#pragma once

#include <string>
#include <vector>

#include "analysis/trajectory.hpp"

namespace e3md::analysis {

struct ProfileOptions {
  int axis = 2;   // 0 = a, 1 = b, 2 = c
  int bins = 100;
  std::vector<std::string> species;     // density columns; empty: every species
  std::string neighbour_species = "Li"; // nearest-neighbour and coordination statistics
  double neighbour_cutoff = 3.5;        // Å, for the neighbour count
  double nn_search = 8.0;               // Å, nearest neighbours further than this are not found
  FrameRange range;
};

struct ProfileResult {
  std::vector<double> z;  // Å, bin centres along the axis
  double mean_spacing = 0.0;  // Å, mean plane spacing of the axis
  std::vector<std::string> species;
  std::vector<std::vector<double>> density;  // per species, per bin, atoms/Å³
  std::vector<double> nn_distance;   // Å, NaN where the bin never held a neighbour-species atom
  std::vector<double> coordination;  // neighbours within the cutoff, NaN likewise
  std::vector<double> samples;       // atom-frames behind nn_distance per bin
  long nn_not_found = 0;             // atom-frames with no neighbour within nn_search
  long frames = 0;
};

ProfileResult compute_profile(const TrajectorySource& traj, const ProfileOptions& options);

void write_profile_csv(const ProfileResult& res, const ProfileOptions& options, const std::string& path,
                       const std::string& command_line);

}  // namespace e3md::analysis
