// Radial distribution functions: total and partial g(r), time-averaged over frames, with running
// coordination numbers n(r).
//
// Normalisation (the same as MDAnalysis InterRDF, norm="rdf"): for centres A and neighbours B,
//   g_AB(r_k) = C_k / (F · N_pairs / <V> · 4π/3 (r_{k+1}³ − r_k³))
// with C_k the number of ordered pairs (i∈A, j∈B, any periodic image, i≠j for the same atom in the same
// image) at distance in bin k summed over F frames, <V> the mean cell volume, and N_pairs = N_A·N_B when
// A ≠ B, N_A·(N_A − 1) when A = B (InterRDF with exclusion_block=(1, 1) for a group with itself).
// Bins follow numpy.histogram: k = floor((r − r_min)/Δr), r = r_max falls in the last bin.
// n_AB(r_k) = Σ_{k'≤k} C_k' / (F · N_A): mean number of B neighbours within the bin's upper edge.
// Cutoffs beyond half the cell are exact (every periodic image is counted); MDAnalysis uses the minimum
// image only, so compare with it below half the smallest plane spacing. Past half the cell an atom's own
// periodic images are neighbours too (they are distinct atoms of the periodic system): g(r) then shows
// their lattice-vector shells, of relative height ~V/(N·4πr²Δr) for an uncorrelated configuration.
#pragma once

#include <mpi.h>

#include <string>
#include <utility>
#include <vector>

#include "analysis/trajectory.hpp"

namespace e3md::analysis {

struct RdfOptions {
  double r_min = 0.0;  // Å
  double r_max = 6.0;  // Å
  int bins = 300;
  // Species pairs (centre, neighbour); "all" is every atom. Empty: the total g(r) only.
  std::vector<std::pair<std::string, std::string>> pairs;
  FrameRange range;
};

struct RdfResult {
  std::vector<double> edges;                // Å, bins + 1
  std::vector<double> r;                    // bin centres, Å
  std::vector<std::string> labels;          // "A-B" per pair
  std::vector<std::vector<double>> g;       // per pair, per bin
  std::vector<std::vector<double>> n;       // running coordination number per pair
  std::vector<std::vector<double>> counts;  // raw ordered-pair counts per pair, per bin
  std::vector<long> n_centres, n_neighbours;
  long frames = 0;
  double mean_volume = 0.0;  // Å³
};

// Accumulates frames one at a time (streaming) and normalises at the end.
class RdfAccumulator {
 public:
  RdfAccumulator(const RdfOptions& options, const std::vector<std::string>& species,
                 const std::string& source);
  void add_frame(const Box& box, const std::vector<Vec3>& positions);
  // Sums the frames every rank of `comm` has added into each of them (collective).
  void allreduce(MPI_Comm comm);
  RdfResult result() const;

 private:
  RdfOptions opt_;
  std::vector<std::pair<std::vector<int>, std::vector<int>>> groups_;
  std::vector<bool> same_;
  RdfResult res_;
  double volume_sum_ = 0.0;
};

// Reads the selected frames of `traj` and returns the averaged g(r). Collective over `comm`: each rank reads
// every size-th frame and all of them return the whole result (the pair counts are whole numbers, so it is
// the same for any number of ranks up to the round-off of the mean volume).
RdfResult compute_rdf(const TrajectorySource& traj, const RdfOptions& options, MPI_Comm comm = MPI_COMM_SELF);

// Writes r, then g and n per pair: header "r[Angstrom],g_A-B[1],n_A-B[1],...".
void write_rdf_csv(const RdfResult& res, const std::string& path, const std::string& command_line);

}  // namespace e3md::analysis
