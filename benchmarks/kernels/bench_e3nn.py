"""Times the same convolution layer as bench_kernels.cpp in e3nn 0.5 / nequip 0.6 (torch CPU, one thread,
float64): SH + Bessel x cutoff + FullyConnectedNet + uvu TensorProduct + index_add, forward and backward to
node features and edge vectors. Prints edges/s per (lmax, F) as JSON lines.

Usage: bench_e3nn.py [--repeats 5]
"""
import argparse
import json
import math
import time

import torch
from e3nn import o3
from e3nn.nn import FullyConnectedNet
from nequip.nn.cutoffs import PolynomialCutoff
from nequip.nn.radial_basis import BesselBasis

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)


def layer(lmax, F):
    irreps_in = o3.Irreps([(F, (l, p)) for l in range(lmax + 1) for p in (1, -1)])
    irreps_sh = o3.Irreps.spherical_harmonics(lmax, p=-1)
    mid, instr = [], []
    for i, (mul, ir_in) in enumerate(irreps_in):
        for j, (_, ir_sh) in enumerate(irreps_sh):
            for ir_out in ir_in * ir_sh:
                if ir_out.l <= lmax:
                    instr.append((i, j, len(mid)))
                    mid.append((mul, ir_out))
    mid = o3.Irreps(mid)
    mid_sorted, p, _ = mid.sort()
    instr = [(a, b, p[c], "uvu", True) for a, b, c in instr]
    tp = o3.TensorProduct(irreps_in, irreps_sh, mid_sorted, instr, shared_weights=False, internal_weights=False)
    fc = FullyConnectedNet([8, 64, 64, tp.weight_numel], torch.nn.functional.silu)
    return irreps_in, irreps_sh, tp, fc


def run(lmax, F, repeats):
    irreps_in, irreps_sh, tp, fc = layer(lmax, F)
    basis, cut = BesselBasis(5.0, 8), PolynomialCutoff(5.0, p=6)
    N, E = 64, 64 * 16
    g = torch.Generator().manual_seed(2)
    center = torch.randint(0, N, (E,), generator=g)
    neighbor = torch.randint(0, N, (E,), generator=g)
    vec0 = 1.5 * torch.randn(E, 3, generator=g)
    x0 = torch.randn(N, irreps_in.dim, generator=g)
    gA = torch.randn(N, tp.irreps_out.dim, generator=g)

    def step():
        vec = vec0.clone().requires_grad_(True)
        x = x0.clone().requires_grad_(True)
        r = vec.norm(dim=1)
        Y = o3.spherical_harmonics(irreps_sh, vec, normalize=True, normalization="component")
        w = fc(basis(r) * cut(r)[:, None])
        msg = tp(x[neighbor], Y, w) / math.sqrt(16.0)
        A = torch.zeros(N, tp.irreps_out.dim).index_add(0, center, msg)
        return torch.autograd.grad(A, [x, vec], gA)

    step()  # warm-up (e3nn compiles its TP code with torch.fx on first use)
    # CPU time of this process (one torch thread), the same clock Google Benchmark reports by default, so
    # the ratio is not skewed by other load on the machine; wall time is reported too.
    best_cpu, best_wall = float("inf"), float("inf")
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        step()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - t0)
    return {"lmax": lmax, "F": F, "edges": E, "cpu_s": best_cpu, "wall_s": best_wall,
            "edges_per_cpu_s": E / best_cpu, "edges_per_wall_s": E / best_wall}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    for lmax in (1, 2, 3):
        for F in (32, 64):
            print(json.dumps(run(lmax, F, a.repeats)), flush=True)


if __name__ == "__main__":
    main()
