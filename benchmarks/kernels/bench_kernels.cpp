// Edges/s of the fused per-edge convolution forward + backward on one core, for nequip layers with every
// irrep up to lmax (the steady-state layers of spec §7.1), and the double-precision FMA peak of one core of
// this CPU, so that the kernel's fraction of peak is reported from the same run (counter "flops").
#include <benchmark/benchmark.h>
#include <omp.h>

#include <random>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "kernels/convolution.hpp"

namespace e3md::kernels {
namespace {

// Layer like nequip's layers 3-5: F x (0e,0o,1e,1o,...,lmax) features, SH up to lmax, outputs l <= lmax,
// radial MLP 8 -> 64 -> 64 -> weight_numel.
ConvolutionSpec layer_spec(int lmax, int F) {
  ConvolutionSpec s;
  std::vector<MulIrrep> in;
  for (int l = 0; l <= lmax; ++l)
    for (int p : {1, -1}) in.push_back({F, Irrep(l, p)});
  s.node = Irreps(in);
  s.sh = Irreps::spherical_harmonics(lmax, true);
  std::vector<MulIrrep> mid;
  for (std::size_t a = 0; a < s.node.size(); ++a)
    for (std::size_t b = 0; b < s.sh.size(); ++b)
      for (const auto& c : irrep_product(s.node[a].ir, s.sh[b].ir))
        if (c.l <= lmax) {
          s.instructions.push_back({static_cast<int>(a), static_cast<int>(b), static_cast<int>(mid.size())});
          mid.push_back({F, c});
        }
  std::vector<int> perm;
  s.out = Irreps(mid).sort(&perm);
  for (auto& i : s.instructions) i.out = perm[static_cast<std::size_t>(i.out)];
  s.r_max = 5.0;
  for (int n = 1; n <= 8; ++n) s.bessel_freq.push_back(n * 3.141592653589793);
  s.mlp_dims = {8, 64, 64, F * static_cast<int>(s.instructions.size())};
  std::mt19937 rng(1);
  std::normal_distribution<double> d;
  for (std::size_t j = 0; j + 1 < s.mlp_dims.size(); ++j) {
    std::vector<double> w(static_cast<std::size_t>(s.mlp_dims[j] * s.mlp_dims[j + 1]));
    for (auto& v : w) v = d(rng);
    s.mlp_weights.push_back(w);
  }
  s.avg_num_neighbors = 16;
  return s;
}

// Floating-point operations of one edge, forward + backward, as the kernel executes them (the backward
// recomputes the MLP and the C.Y contraction). SH, Bessel and cutoff (a few hundred FLOP) are not counted.
double flops_per_edge(const ConvView<double>& C) {
  double mlp = 0;  // one pass; the VJP of a matvec costs the same as the matvec
  for (int j = 0; j < C.mlp.num_layers; ++j) mlp += 2.0 * C.mlp.dims[j] * C.mlp.dims[j + 1];
  double tp_f = 0, tp_b = 0;
  for (int p = 0; p < C.tp.num_paths; ++p) {
    const auto& P = C.tp.paths[p];
    const double nnz = P.coef_end - P.coef_begin;
    tp_f += 2 * nnz + P.mul * (2.0 * P.d1 * P.d3 + 2.0 * P.d3);
    tp_b += 4 * nnz + P.mul * (4.0 * P.d1 * P.d3 + 6.0 * P.d1);
  }
  // forward: MLP + TP; backward: MLP recompute + TP VJP + MLP VJP
  return mlp + tp_f + mlp + tp_b + mlp;
}

void BM_ConvForwardBackward(benchmark::State& state) {
  omp_set_num_threads(1);
  const int lmax = static_cast<int>(state.range(0)), F = static_cast<int>(state.range(1));
  const Convolution<double> conv(layer_spec(lmax, F));
  const auto C = conv.view();
  const long N = 64, E = 64 * 16;
  std::mt19937 rng(2);
  std::uniform_int_distribution<int> pick(0, static_cast<int>(N) - 1);
  std::normal_distribution<double> d;
  std::vector<int> center(E), neighbor(E);
  std::vector<double> vec(3 * E), x(static_cast<std::size_t>(N * C.tp.dim_in1)),
      gA(static_cast<std::size_t>(N * C.tp.dim_out)), A(gA.size()), gx(x.size()), gr(vec.size());
  for (long e = 0; e < E; ++e) {
    center[static_cast<std::size_t>(e)] = pick(rng);
    neighbor[static_cast<std::size_t>(e)] = pick(rng);
    for (int c = 0; c < 3; ++c) vec[static_cast<std::size_t>(3 * e + c)] = 1.5 * d(rng);
  }
  for (auto& v : x) v = d(rng);
  for (auto& v : gA) v = d(rng);
  const EdgeList<double> edges{E, center.data(), neighbor.data(), vec.data()};
  ConvWorkspace<double> ws;
  for (auto _ : state) {
    conv_forward_cpu(C, edges, N, N, x.data(), A.data(), ws);
    conv_backward_cpu(C, edges, N, N, x.data(), gA.data(), gx.data(), gr.data(), ws);
    benchmark::DoNotOptimize(gr.data());
    benchmark::ClobberMemory();
  }
  const double fpe = flops_per_edge(C);
  state.counters["edges/s"] =
      benchmark::Counter(static_cast<double>(E), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["flops"] = benchmark::Counter(fpe * E, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["flop/edge"] = fpe;
  state.counters["weights/edge"] = C.tp.weight_numel;
}
BENCHMARK(BM_ConvForwardBackward)
    ->ArgsProduct({{1, 2, 3}, {32, 64}})
    ->ArgNames({"lmax", "F"})
    ->Unit(benchmark::kMillisecond);

#if defined(__x86_64__)
// 12 independent 256-bit FMA chains: enough to cover the FMA latency on current x86 cores, so the loop
// runs at the FMA throughput limit (the peak counted as 2 FLOP per FMA lane).
__attribute__((target("avx2,fma"))) double fma_loop(long iters) {
  __m256d acc[12];
  for (int k = 0; k < 12; ++k) acc[k] = _mm256_set1_pd(1.0 + 1e-3 * k);
  const __m256d a = _mm256_set1_pd(0.999999), b = _mm256_set1_pd(1e-7);
  for (long i = 0; i < iters; ++i) {
    for (int k = 0; k < 12; ++k) acc[k] = _mm256_fmadd_pd(acc[k], a, b);
    // Keeps the chains in registers and opaque to the optimiser without adding instructions.
    asm volatile(""
                 : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]), "+x"(acc[4]), "+x"(acc[5]),
                   "+x"(acc[6]), "+x"(acc[7]), "+x"(acc[8]), "+x"(acc[9]), "+x"(acc[10]), "+x"(acc[11]));
  }
  __m256d s = acc[0];
  for (int k = 1; k < 12; ++k) s = _mm256_add_pd(s, acc[k]);
  double out[4];
  _mm256_storeu_pd(out, s);
  return out[0] + out[1] + out[2] + out[3];
}

void BM_FmaPeakFloat64(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError("CPU without AVX2+FMA: peak not measured");
    return;
  }
  const long iters = 1 << 20;
  for (auto _ : state) benchmark::DoNotOptimize(fma_loop(iters));
  state.counters["flops"] = benchmark::Counter(static_cast<double>(iters) * 12 * 4 * 2,
                                               benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FmaPeakFloat64)->Unit(benchmark::kMillisecond);

// The same with 512-bit FMAs, for CPUs with AVX-512 (where kernels/ built for the native ISA uses them):
// 12 independent chains.
__attribute__((target("avx512f"))) double fma512_loop(long iters) {
  __m512d acc[12];
  for (int k = 0; k < 12; ++k) acc[k] = _mm512_set1_pd(1.0 + 1e-3 * k);
  const __m512d a = _mm512_set1_pd(0.999999), b = _mm512_set1_pd(1e-7);
  for (long i = 0; i < iters; ++i) {
    for (int k = 0; k < 12; ++k) acc[k] = _mm512_fmadd_pd(acc[k], a, b);
    asm volatile(""
                 : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]),
                   "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
  }
  __m512d s = acc[0];
  for (int k = 1; k < 12; ++k) s = _mm512_add_pd(s, acc[k]);
  double out[8];
  _mm512_storeu_pd(out, s);
  double sum = 0;
  for (double v : out) sum += v;
  return sum;
}

void BM_FmaPeakFloat64Avx512(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx512f")) {
    state.SkipWithError("CPU without AVX-512: 512-bit peak not measured");
    return;
  }
  const long iters = 1 << 20;
  for (auto _ : state) benchmark::DoNotOptimize(fma512_loop(iters));
  state.counters["flops"] = benchmark::Counter(static_cast<double>(iters) * 12 * 8 * 2,
                                               benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FmaPeakFloat64Avx512)->Unit(benchmark::kMillisecond);
#endif

}  // namespace
}  // namespace e3md::kernels

BENCHMARK_MAIN();
