// Diffusion coefficients from MSD(t), Arrhenius fits over temperatures, Nernst–Einstein conductivity.
//
// D from the slope of a straight line through MSD(t) in a fit window: MSD = 2 d D t + b with d = 3 for the
// total and d = 1 for a projection. The default window is the longest run of lags, up to half the
// trajectory, whose local log–log slope d ln MSD / d ln t is within ±0.15 of 1 (diffusive: past the
// ballistic start, before the noisy tail); without such a run, 10 %–50 % of the trajectory.
// Uncertainty: the same fit in each of M contiguous time blocks, σ_D = std(D_blocks, ddof = 1)/√M. With
// blocks, the default window is searched within half a block length, so that the full-run fit and the block
// fits use the same lags (a full-run window reaching further would have a larger error than the blocks
// measure; a random-walk test over 20 seeds checks the calibration). A window given by the caller is used
// as is for the full run and clipped to half a block for the blocks.
// Units: D in Å²/ps internally, reported also in cm²/s (1 Å²/ps = 1e-4 cm²/s).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analysis/msd.hpp"

namespace e3md::analysis {

inline constexpr double kA2psToCm2s = 1e-4;
inline constexpr double kElementaryCharge = 1.602176634e-19;  // C (SI exact)

struct LinearFit {
  double slope = 0.0, intercept = 0.0;
  double slope_err = 0.0, intercept_err = 0.0;  // standard errors (from residuals, or from weights)
  double covariance = 0.0;                      // cov(slope, intercept)
};

// Least squares y = slope·x + intercept over [begin, end). With weights (1/σ²) the errors are from the
// weights (scaled by the reduced χ² when it exceeds 1); without, from the residuals.
LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y, std::size_t begin, std::size_t end,
                   const std::vector<double>& weights = {});

struct FitWindow {
  std::size_t begin = 0, end = 0;  // lag indices, [begin, end)
  bool from_slope = false;         // true when chosen from the log-log slope
};

FitWindow choose_fit_window(const std::vector<double>& lag_time, const std::vector<double>& msd,
                            double slope_tolerance = 0.15);
// The window of lags with t_begin <= t <= t_end (ps).
FitWindow window_from_times(const std::vector<double>& lag_time, double t_begin, double t_end);

struct DiffusionComponent {
  std::string name;  // a, b, normal, total
  int dims = 1;
  double D = 0.0, D_err = 0.0;  // Å²/ps
  LinearFit fit;
  std::vector<double> block_D;  // Å²/ps
};

struct DiffusionResult {
  std::string species;
  long atoms = 0;
  FitWindow window;
  double t_begin = 0.0, t_end = 0.0;  // ps
  std::vector<DiffusionComponent> components;  // a, b, normal, total
  const DiffusionComponent& total() const { return components.back(); }
  // Nernst–Einstein (filled when temperature > 0): σ = n z² e² D / (k_B T).
  double number_density = 0.0;  // carriers per Å³
  double temperature = 0.0;     // K
  double charge = 1.0;          // z
  double sigma = 0.0, sigma_err = 0.0;  // S/cm
};

// Fits D for one species. With window.end == 0 the default window is chosen from the total MSD.
DiffusionResult fit_diffusion(const MsdResult& msd, std::size_t species_index, FitWindow window = {});

// Nernst–Einstein conductivity in S/cm for D in Å²/ps, n in Å⁻³, T in K.
double nernst_einstein_S_per_cm(double D_A2ps, double number_density_A3, double charge, double temperature_K);
// Adds σ (and its error from D_err) to r.
void add_nernst_einstein(DiffusionResult& r, double number_density_A3, double charge, double temperature_K);

// One row per component (a, b, normal, total): D and σ_D in Å²/ps and cm²/s, the window, σ_NE.
void write_diffusion_csv(const std::vector<DiffusionResult>& res, const std::string& path,
                         const std::string& command_line);

struct ArrheniusPoint {
  double temperature = 0.0;  // K
  double D = 0.0, D_err = 0.0;  // cm²/s
};

struct ArrheniusResult {
  double Ea = 0.0, Ea_err = 0.0;      // eV
  double D0 = 0.0, D0_err = 0.0;      // cm²/s
  double ln_D0 = 0.0, ln_D0_err = 0.0;
  double cov_lnD0_Ea = 0.0;
  bool weighted = false;
  double D300 = 0.0, D300_err = 0.0;  // cm²/s, extrapolated
  double sigma300 = 0.0, sigma300_err = 0.0;  // S/cm, when a carrier density is given
};

// ln D = ln D0 − Ea/(k_B T), weighted by σ_lnD = D_err/D when every point has an error, else unweighted
// (then at least three points). number_density_A3 > 0 adds σ_NE at 300 K from the extrapolated D.
ArrheniusResult fit_arrhenius(const std::vector<ArrheniusPoint>& points, double number_density_A3 = 0.0,
                              double charge = 1.0);

}  // namespace e3md::analysis
