// Mean-squared displacement per species, all time origins, by the FFT algorithm (analysis/fft.hpp).
//
// Unwrapped coordinates come from the trajectory's image counters (u = x + n·H of the same frame), or,
// when the file has none (or unwrap = displacement), from the minimum-image displacement between
// consecutive selected frames (atoms must move less than half a plane spacing between them); with
// unwrap = none the stored positions are taken as already continuous in time.
// Components: along the unit vectors of the first frame's cell vectors a and b, along the unit normal of
// the a–b plane (the surface normal of a slab), and the total |Δu|². For a non-orthogonal cell the a and b
// projections overlap, so they do not sum to the total.
// Memory: the selected atoms' unwrapped coordinates, 24 bytes × atoms × frames (reported as stored_bytes;
// divided among the ranks), plus a block of 2-16 frames (~4 MiB) of the rows a rank reads.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "analysis/trajectory.hpp"

namespace e3md::analysis {

enum class Unwrap { Auto, Images, Displacement, None };

struct MsdOptions {
  std::vector<std::string> species;  // one MSD per entry; empty: every species in the trajectory
  FrameRange range;
  Unwrap unwrap = Unwrap::Auto;
  // Subtract the centre-of-mass displacement of all atoms (element masses; equal weights when the
  // species are not element symbols and drift_equal_weights is set).
  bool remove_drift = false;
  bool drift_equal_weights = false;
  // Contiguous time blocks for the diffusion uncertainty (their MSDs are returned too); 0 or 1: none.
  int blocks = 5;
  // Bytes of unwrapped series a rank holds at once; more atoms are done in several reading passes.
  std::size_t memory_limit = std::size_t{1} << 30;
};

struct MsdComponents {
  std::vector<double> a, b, normal, total;  // Å², per lag
};

struct MsdSpecies {
  std::string species;
  long atoms = 0;
  MsdComponents msd;
  std::vector<MsdComponents> blocks;  // each of length block_lag_time.size()
};

struct MsdResult {
  std::vector<double> lag_time;        // ps
  std::vector<double> block_lag_time;  // ps
  Vec3 dir_a = Vec3::UnitX(), dir_b = Vec3::UnitY(), dir_normal = Vec3::UnitZ();
  std::vector<MsdSpecies> species;
  long frames = 0;
  double dt = 0.0;           // ps between selected frames
  double mean_volume = 0.0;  // Å³
  std::string unwrap_used;   // "images", "displacement" or "none"
  std::size_t stored_bytes = 0;
  int passes = 1;  // reading passes over the trajectory (the most of any rank)
};

// Collective over `comm`: the ranks share the atoms; each reads every frame's rows from its first to its
// last atom, unwraps and transforms its atoms, and the spectra are summed over ranks, so every rank returns
// the whole result, the same as one rank's up to round-off.
MsdResult compute_msd(const TrajectorySource& traj, const MsdOptions& options, MPI_Comm comm = MPI_COMM_SELF);

// Single-species MSD of given unwrapped series: series[atom][t] (Å). For tests and callers that already
// hold coordinates.
MsdComponents msd_of_series(const std::vector<std::vector<Vec3>>& series, const Vec3& dir_a,
                            const Vec3& dir_b, const Vec3& dir_normal);

// Columns t[ps], then per species msd_<sp>_a, _b, _normal, _total [Angstrom^2].
void write_msd_csv(const MsdResult& res, const std::string& path, const std::string& command_line,
                   const std::vector<std::string>& extra_comments = {});

}  // namespace e3md::analysis
