#include "analysis/diffusion.hpp"

#include <cmath>

#include "analysis/csv.hpp"
#include "engine/units.hpp"

namespace e3md::analysis {

LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y, std::size_t begin, std::size_t end,
                   const std::vector<double>& weights) {
  if (end > x.size() || end > y.size() || end < begin + 2) {
    throw AnalysisError("linear fit needs at least two points (window [" + std::to_string(begin) + ", " +
                        std::to_string(end) + ") of " + std::to_string(x.size()) + ")");
  }
  const bool weighted = !weights.empty();
  double sw = 0, sx = 0, sy = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const double w = weighted ? weights[i] : 1.0;
    sw += w, sx += w * x[i], sy += w * y[i];
  }
  const double xm = sx / sw, ym = sy / sw;
  double sxx = 0, sxy = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const double w = weighted ? weights[i] : 1.0;
    sxx += w * (x[i] - xm) * (x[i] - xm);
    sxy += w * (x[i] - xm) * (y[i] - ym);
  }
  if (!(sxx > 0.0)) throw AnalysisError("linear fit over points with identical x");
  LinearFit f;
  f.slope = sxy / sxx;
  f.intercept = ym - f.slope * xm;
  const double n = static_cast<double>(end - begin);
  double chi2 = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const double w = weighted ? weights[i] : 1.0;
    const double r = y[i] - (f.slope * x[i] + f.intercept);
    chi2 += w * r * r;
  }
  // Variance scale: σ² from residuals when unweighted; the weights' own scale (times χ²_red if > 1) when weighted.
  double s2 = 1.0;
  if (!weighted) {
    s2 = n > 2 ? chi2 / (n - 2) : 0.0;
  } else if (n > 2) {
    s2 = std::max(1.0, chi2 / (n - 2));
  }
  f.slope_err = std::sqrt(s2 / sxx);
  f.intercept_err = std::sqrt(s2 * (1.0 / sw + xm * xm / sxx));
  f.covariance = -xm * s2 / sxx;
  return f;
}

FitWindow choose_fit_window(const std::vector<double>& t, const std::vector<double>& msd, double tol) {
  const std::size_t T = std::min(t.size(), msd.size());
  if (T < 4) throw AnalysisError("MSD with " + std::to_string(T) + " lags is too short to fit; select more frames");
  const std::size_t half = std::max<std::size_t>(T / 2, 3);
  // Local slope between lag m and ~1.5 m: smooth enough for noisy data, local enough to see the ballistic start.
  std::size_t best_b = 0, best_len = 0, run_b = 0, run_len = 0;
  for (std::size_t m = 1; m < half; ++m) {
    std::size_t m2 = std::max(m + 1, static_cast<std::size_t>(std::ceil(1.5 * static_cast<double>(m))));
    bool ok = false;
    if (m2 < T && msd[m] > 0.0 && msd[m2] > 0.0) {
      const double alpha = std::log(msd[m2] / msd[m]) / std::log(t[m2] / t[m]);
      ok = std::abs(alpha - 1.0) <= tol;
    }
    if (ok) {
      if (run_len == 0) run_b = m;
      ++run_len;
      if (run_len > best_len) best_len = run_len, best_b = run_b;
    } else {
      run_len = 0;
    }
  }
  FitWindow w;
  if (best_len >= 3) {
    w.begin = best_b;
    w.end = best_b + best_len + 1;
    w.from_slope = true;
  } else {
    w.begin = std::max<std::size_t>(1, T / 10);
    w.end = std::max(w.begin + 2, half + 1);
    w.from_slope = false;
  }
  w.end = std::min(w.end, T);
  return w;
}

FitWindow window_from_times(const std::vector<double>& t, double t_begin, double t_end) {
  FitWindow w;
  w.begin = t.size();
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] >= t_begin && w.begin == t.size()) w.begin = i;
    if (t[i] <= t_end) w.end = i + 1;
  }
  if (w.begin >= t.size() || w.end < w.begin + 2) {
    throw AnalysisError("fit window [" + std::to_string(t_begin) + ", " + std::to_string(t_end) +
                        "] ps holds fewer than two MSD points; widen --fit-begin/--fit-end (lags run to " +
                        std::to_string(t.empty() ? 0.0 : t.back()) + " ps)");
  }
  return w;
}

double nernst_einstein_S_per_cm(double D_A2ps, double n_A3, double z, double T) {
  // σ = n z² e² D / (k_B T): with k_B T in eV, one factor e cancels to give SI units.
  const double n_m3 = n_A3 * 1e30, D_m2s = D_A2ps * 1e-8;
  const double sigma_S_m = n_m3 * z * z * kElementaryCharge * D_m2s / (units::boltz * T);
  return sigma_S_m * 1e-2;
}

void add_nernst_einstein(DiffusionResult& r, double n_A3, double z, double T) {
  r.number_density = n_A3;
  r.charge = z;
  r.temperature = T;
  r.sigma = nernst_einstein_S_per_cm(r.total().D, n_A3, z, T);
  r.sigma_err = nernst_einstein_S_per_cm(r.total().D_err, n_A3, z, T);
}

DiffusionResult fit_diffusion(const MsdResult& msd, std::size_t s, FitWindow window) {
  const MsdSpecies& sp = msd.species.at(s);
  DiffusionResult r;
  r.species = sp.species;
  r.atoms = sp.atoms;
  const std::size_t L = msd.block_lag_time.size();
  if (window.end == 0) {
    if (sp.blocks.empty()) {
      window = choose_fit_window(msd.lag_time, sp.msd.total);
    } else {
      // Search the lags a block can fit (up to half a block), so that the full-run D and the block Ds
      // measure the same thing and the block spread is the error of the reported D.
      const std::vector<double> t(msd.lag_time.begin(), msd.lag_time.begin() + static_cast<long>(L));
      const std::vector<double> y(sp.msd.total.begin(), sp.msd.total.begin() + static_cast<long>(L));
      window = choose_fit_window(t, y);
    }
  }
  r.window = window;
  r.t_begin = msd.lag_time[window.begin];
  r.t_end = msd.lag_time[window.end - 1];
  // Blocks fit the same lags, clipped to half a block where the statistics are still good.
  FitWindow bw;
  if (!sp.blocks.empty()) {
    bw.begin = window.begin;
    bw.end = std::min(window.end, L / 2 + 1);
    if (bw.end < bw.begin + 3) bw.begin = 1, bw.end = std::max<std::size_t>(L / 2 + 1, 4);
  }
  const struct {
    const char* name;
    int dims;
    const std::vector<double> MsdComponents::*m;
  } comps[] = {{"a", 1, &MsdComponents::a},
               {"b", 1, &MsdComponents::b},
               {"normal", 1, &MsdComponents::normal},
               {"total", 3, &MsdComponents::total}};
  for (const auto& c : comps) {
    DiffusionComponent d;
    d.name = c.name;
    d.dims = c.dims;
    d.fit = fit_line(msd.lag_time, sp.msd.*(c.m), window.begin, window.end);
    d.D = d.fit.slope / (2.0 * c.dims);
    for (const auto& b : sp.blocks) {
      d.block_D.push_back(fit_line(msd.block_lag_time, b.*(c.m), bw.begin, bw.end).slope / (2.0 * c.dims));
    }
    if (d.block_D.size() >= 2) {
      double mean = 0;
      for (double v : d.block_D) mean += v;
      mean /= static_cast<double>(d.block_D.size());
      double var = 0;
      for (double v : d.block_D) var += (v - mean) * (v - mean);
      var /= static_cast<double>(d.block_D.size() - 1);
      d.D_err = std::sqrt(var / static_cast<double>(d.block_D.size()));
    } else {
      d.D_err = d.fit.slope_err / (2.0 * c.dims);  // no blocks: the regression error (underestimates)
    }
    r.components.push_back(std::move(d));
  }
  return r;
}

void write_diffusion_csv(const std::vector<DiffusionResult>& res, const std::string& path,
                         const std::string& command_line) {
  CsvTable t;
  t.comments.push_back(command_line);
  t.comments.push_back("component: 0=a 1=b 2=normal 3=total; species in the order of the 'species' comments");
  std::vector<double> sp, comp, D, De, Dc, Dce, tb, te, fs, n, T, sig, sige, blocks;
  for (std::size_t s = 0; s < res.size(); ++s) {
    const auto& r = res[s];
    t.comments.push_back("species " + std::to_string(s) + " = " + r.species + " atoms=" + std::to_string(r.atoms));
    for (std::size_t c = 0; c < r.components.size(); ++c) {
      const auto& d = r.components[c];
      sp.push_back(static_cast<double>(s));
      comp.push_back(static_cast<double>(c));
      D.push_back(d.D);
      De.push_back(d.D_err);
      Dc.push_back(d.D * kA2psToCm2s);
      Dce.push_back(d.D_err * kA2psToCm2s);
      tb.push_back(r.t_begin);
      te.push_back(r.t_end);
      fs.push_back(r.window.from_slope ? 1.0 : 0.0);
      blocks.push_back(static_cast<double>(d.block_D.size()));
      n.push_back(r.number_density);
      T.push_back(r.temperature);
      const bool tot = d.name == std::string("total");
      sig.push_back(tot ? r.sigma : 0.0);
      sige.push_back(tot ? r.sigma_err : 0.0);
    }
  }
  t.add_column("species[index]", sp);
  t.add_column("component[index]", comp);
  t.add_column("D[Angstrom^2/ps]", D);
  t.add_column("D_err[Angstrom^2/ps]", De);
  t.add_column("D[cm^2/s]", Dc);
  t.add_column("D_err[cm^2/s]", Dce);
  t.add_column("fit_begin[ps]", tb);
  t.add_column("fit_end[ps]", te);
  t.add_column("window_from_slope[1]", fs);
  t.add_column("blocks[1]", blocks);
  t.add_column("number_density[Angstrom^-3]", n);
  t.add_column("temperature[K]", T);
  t.add_column("sigma_NE[S/cm]", sig);
  t.add_column("sigma_NE_err[S/cm]", sige);
  t.write(path);
}

ArrheniusResult fit_arrhenius(const std::vector<ArrheniusPoint>& pts, double n_A3, double z) {
  if (pts.size() < 2) throw AnalysisError("Arrhenius fit needs at least two temperatures");
  bool all_err = true;
  std::vector<double> x, y, w;
  for (const auto& p : pts) {
    if (!(p.temperature > 0.0) || !(p.D > 0.0)) {
      throw AnalysisError("Arrhenius point T=" + std::to_string(p.temperature) + " K, D=" + std::to_string(p.D) +
                          " cm²/s: both must be positive (a non-diffusing run has no place in the fit)");
    }
    x.push_back(1.0 / (units::boltz * p.temperature));
    y.push_back(std::log(p.D));
    all_err = all_err && p.D_err > 0.0;
    const double sl = p.D_err / p.D;
    w.push_back(sl > 0.0 ? 1.0 / (sl * sl) : 0.0);
  }
  if (!all_err) {
    w.clear();
    if (pts.size() < 3) {
      throw AnalysisError("Arrhenius fit without D errors needs at least three temperatures for an Ea uncertainty");
    }
  }
  const LinearFit f = fit_line(x, y, 0, x.size(), w);
  ArrheniusResult r;
  r.weighted = all_err;
  r.Ea = -f.slope;
  r.Ea_err = f.slope_err;
  r.ln_D0 = f.intercept;
  r.ln_D0_err = f.intercept_err;
  r.cov_lnD0_Ea = -f.covariance;
  r.D0 = std::exp(r.ln_D0);
  r.D0_err = r.D0 * r.ln_D0_err;
  const double x300 = 1.0 / (units::boltz * 300.0);
  const double y300 = f.intercept + f.slope * x300;
  const double var = f.intercept_err * f.intercept_err + x300 * x300 * f.slope_err * f.slope_err +
                     2.0 * x300 * f.covariance;
  r.D300 = std::exp(y300);
  r.D300_err = r.D300 * std::sqrt(std::max(var, 0.0));
  if (n_A3 > 0.0) {
    r.sigma300 = nernst_einstein_S_per_cm(r.D300 / kA2psToCm2s, n_A3, z, 300.0);
    r.sigma300_err = nernst_einstein_S_per_cm(r.D300_err / kA2psToCm2s, n_A3, z, 300.0);
  }
  return r;
}

}  // namespace e3md::analysis
