#!/usr/bin/env python3
"""CPU time and peak memory of one NequIP force evaluation (energy, forces, virial): `e3md eval` against nequip
0.6.1 (torch on the CPU) on the same structure and the same weights, float64 and float32, one core each.

    bench_nequip.py --e3md build/driver/e3md --kernels-bench build/benchmarks/kernels/e3md_bench_kernels \
        [--work DIR] [--repeat 3] [--skip-nequip] [--json OUT.json]

The model is bench_model.py's (the reference study's architecture, random weights); the structure is a
~1300-atom amorphous Li3PO3.3N0.5 cell at 2.3 g/cm^3 from `e3md build amorphous`. Both are built into --work on
the first run and reused afterwards. Every measurement runs in a process of its own with OMP_NUM_THREADS=1:
  e3md:   `e3md eval --repeat N`, the median of its per-call CPU times; peak RSS (ru_maxrss of that process).
  nequip: the model call (forward + autograd forces and virial) timed with time.process_time() around it,
          torch.set_num_threads(1); neighbour list and model construction outside the timing; peak RSS of its
          process. float32 is nequip's model_dtype: float32 (positions cast by GraphModel), as deployed.
FLOPs are counted per edge and layer the way docs/performance.md's kernel section counts them (radial MLP
forward, recompute and VJP; tensor product forward and VJP, dense C.y; SH, Bessel and node-wise linears not
counted); the float64 FMA peak of this core is BM_FmaPeakFloat64 (256-bit FMAs) and, on AVX-512 CPUs,
BM_FmaPeakFloat64Avx512 from the kernels benchmark; the float32 peaks are twice those (twice the lanes).
nequip's GFLOP/s use the same count (what its model has to compute, not what torch executes).
"""
import argparse
import json
import os
import pathlib
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tools"))
import bench_model  # noqa: E402

COMPOSITION, DENSITY, MIN_ATOMS, SEED = "Li3PO3.3N0.5", 2.3, 1300, 1


def run_measured(cmd, env=None):
    """Runs cmd; returns (stdout, stderr, rusage of that child alone, from wait4)."""
    import tempfile
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if p.returncode != 0:
        sys.exit(f"bench_nequip: {' '.join(map(str, cmd))} failed ({p.returncode}):\n{stderr[-3000:]}")
    return stdout, stderr, usage


def one_thread_env():
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    return env


def nequip_worker(args):
    """Runs in its own process: one nequip evaluation, JSON on stdout."""
    import nequip_loader as nl
    nl.silence_warnings()
    import ase.io
    import torch
    from nequip.data import AtomicData, AtomicDataDict
    from nequip.model import model_from_config
    from nequip.utils import Config
    from nequip.utils._global_options import _set_global_options
    torch.set_num_threads(1)
    source = nl.load_source(train_dir=args.train_dir)
    cfg = dict(source.config)
    cfg.update(default_dtype="float64", model_dtype=args.dtype, allow_tf32=False)
    config = Config.from_dict(cfg)
    _set_global_options(config)
    torch.set_default_dtype(torch.float64)
    model = model_from_config(config, initialize=False)
    model.load_state_dict({k: v for k, v in source.state_dict.items() if "_w3j_" not in k}, strict=False)
    model.eval()
    atoms = ase.io.read(args.structure)
    types = nl.types_for_atoms(atoms, config, args.structure)
    data = AtomicData.from_points(pos=np.asarray(atoms.positions, dtype=np.float64), r_max=float(config["r_max"]),
                                  cell=np.asarray(atoms.cell.array, dtype=np.float64), pbc=atoms.pbc,
                                  atom_types=torch.as_tensor(types, dtype=torch.long))
    inp = AtomicData.to_AtomicDataDict(data)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out = model(inp)
    forces = out[AtomicDataDict.FORCE_KEY].detach()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(json.dumps({"cpu_s": cpu, "wall_s": wall, "energy": float(out[AtomicDataDict.TOTAL_ENERGY_KEY].sum()),
                      "max_force": float(forces.abs().max()), "num_edges": int(data.edge_index.shape[1]),
                      "maxrss_kb_before_call": rss_before,
                      "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def flops_per_edge(model_file):
    """Per layer, as BM_ConvForwardBackward counts: 3 x MLP + TP forward + TP VJP (MACs count 2)."""
    import h5py
    out = []
    with h5py.File(model_file, "r") as f:
        layers = f["layers"]
        for name in sorted(layers, key=lambda n: int(n.replace("layer", ""))):
            L = layers[name]
            sizes = [int(s) for s in L["radial_mlp/sizes"][()]]
            mlp = sum(2.0 * a * b for a, b in zip(sizes[:-1], sizes[1:]))
            in1, in2, o = (L[f"tp/{k}"][()] for k in ("irreps_in1", "irreps_in2", "irreps_out"))
            tp_f = tp_b = 0.0
            for a, b, c in L["tp/instructions"][()]:
                mul, l1 = int(in1[a][0]), int(in1[a][1])
                l2, l3 = int(in2[b][1]), int(o[c][1])
                nnz = float(np.count_nonzero(L[f"tp/w3j/{l1}_{l2}_{l3}"][()]))
                d1, d3 = 2 * l1 + 1, 2 * l3 + 1
                tp_f += 2 * nnz + mul * (2.0 * d1 * d3 + 2.0 * d3)
                tp_b += 4 * nnz + mul * (4.0 * d1 * d3 + 6.0 * d1)
            out.append(3 * mlp + tp_f + tp_b)
    return out


def fma_peaks(kernels_bench):
    """Median flops of BM_FmaPeakFloat64 (256-bit FMA chains) and, where the CPU has AVX-512,
    BM_FmaPeakFloat64Avx512 (what kernels/ built for the native ISA uses)."""
    res = subprocess.run([kernels_bench, "--benchmark_filter=BM_FmaPeak", "--benchmark_repetitions=5",
                          "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                         capture_output=True, text=True, check=True, env=one_thread_env())
    rows = json.loads(res.stdout)["benchmarks"]
    med = {r["run_name"]: r["flops"] for r in rows if r.get("aggregate_name") == "median" and "flops" in r}
    return med["BM_FmaPeakFloat64"], med.get("BM_FmaPeakFloat64Avx512")


def cpu_name():
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def e3md_eval(e3md, model, structure, precision, repeat):
    cmd = [e3md, "eval", "--model", str(model), "--structure", str(structure), "--precision", precision,
           "--repeat", str(repeat), "-o", os.devnull]
    _, err, usage = run_measured(cmd, env=one_thread_env())
    calls = [float(m) for m in re.findall(r"force call \d+ of \d+: ([0-9.]+) s CPU", err)]
    if repeat == 1:
        calls = [usage.ru_utime + usage.ru_stime]  # one call prints no timing: the whole process
    elif len(calls) != repeat:
        sys.exit(f"bench_nequip: expected {repeat} timing lines from e3md eval, got:\n{err}")
    return {"cpu_s": statistics.median(calls), "calls_cpu_s": calls, "maxrss_kb": usage.ru_maxrss,
            "process_cpu_s": usage.ru_utime + usage.ru_stime}


def prepare(args):
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    train, model = bench_model.make(work / "models")
    structure = work / "lipon_amorphous.xyz"
    if not structure.exists():
        subprocess.run([args.e3md, "build", "amorphous", "--composition", COMPOSITION, "--atoms", str(MIN_ATOMS),
                        "--density", str(DENSITY), "--seed", str(SEED), "-o", str(structure)], check=True)
    tiny = work / "two_atoms.xyz"
    tiny.write_text('2\nLattice="9 0 0 0 9 0 0 0 9" Properties=species:S:1:pos:R:3 pbc="T T T"\n'
                    "Li 0 0 0\nO 1.9 0 0\n")
    return train, model, structure, tiny


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--e3md", help="build/driver/e3md (required)")
    ap.add_argument("--kernels-bench", help="build/benchmarks/kernels/e3md_bench_kernels (required)")
    ap.add_argument("--work", default="/tmp/e3md-bench-nequip")
    ap.add_argument("--repeat", type=int, default=3, help="e3md force calls per precision (median reported)")
    ap.add_argument("--skip-nequip", action="store_true")
    ap.add_argument("--json", help="write all numbers here")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--dtype", help=argparse.SUPPRESS)
    ap.add_argument("--train-dir", help=argparse.SUPPRESS)
    ap.add_argument("--structure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return nequip_worker(args)
    if not args.e3md or not args.kernels_bench:
        ap.error("--e3md and --kernels-bench are required")

    train, model, structure, tiny = prepare(args)
    natoms = int(structure.read_text().split("\n", 1)[0])
    peak64, peak512 = fma_peaks(args.kernels_bench)
    fpe = flops_per_edge(model)
    res = {"cpu": cpu_name(), "natoms": natoms, "fma_peak_float64_flops": peak64,
           "fma_peak_float64_avx512_flops": peak512, "flops_per_edge": fpe}
    res["e3md_baseline_maxrss_kb"] = e3md_eval(args.e3md, model, tiny, "float64", 1)["maxrss_kb"]
    for prec in ("float64", "float32"):
        res[f"e3md_{prec}"] = e3md_eval(args.e3md, model, structure, prec, args.repeat)
        print(f"e3md {prec}: {res[f'e3md_{prec}']}", flush=True)
    if not args.skip_nequip:
        for prec in ("float64", "float32"):
            out, _, usage = run_measured([sys.executable, __file__, "--worker", "--dtype", prec, "--train-dir",
                                          str(train), "--structure", str(structure)], env=one_thread_env())
            res[f"nequip_{prec}"] = json.loads(out.strip().splitlines()[-1])
            print(f"nequip {prec}: {res[f'nequip_{prec}']}", flush=True)
    edges = res.get("nequip_float64", {}).get("num_edges")
    report(res, edges)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(res, indent=1))
    return 0


def report(res, edges):
    p256, p512 = res["fma_peak_float64_flops"], res.get("fma_peak_float64_avx512_flops")
    print(f"\nCPU: {res['cpu']}; float64 FMA peak: BM_FmaPeakFloat64 {p256 / 1e9:.2f} GFLOP/s"
          + (f", BM_FmaPeakFloat64Avx512 {p512 / 1e9:.2f} GFLOP/s" if p512 else "")
          + f"; {res['natoms']} atoms" + (f", {edges} edges" if edges else ""))
    flops = sum(edges * f for f in res["flops_per_edge"]) if edges else None
    if flops:
        print(f"FLOP per evaluation (edge work as counted by the kernel benchmark, all layers): {flops / 1e9:.1f} G")
    print("| code | precision | CPU s / evaluation | peak RSS (MB) | KB / atom | e3md speed-up | GFLOP/s | "
          "of 256-bit FMA peak | of 512-bit FMA peak |")
    print("|---|---|---|---|---|---|---|---|---|")
    for prec in ("float64", "float32"):
        lanes = 2 if prec == "float32" else 1  # float: the same FMAs on twice the lanes
        for code in ("e3md", "nequip"):
            r = res.get(f"{code}_{prec}")
            if not r:
                continue
            nq = res.get(f"nequip_{prec}")
            ratio = f"{nq['cpu_s'] / res[f'e3md_{prec}']['cpu_s']:.1f}x" if (nq and code == "e3md") else ""
            rate = flops / r["cpu_s"] if flops else float("nan")
            f512 = f"{100 * rate / (lanes * p512):.0f} %" if p512 else "-"
            print(f"| {code} | {prec} | {r['cpu_s']:.2f} | {r['maxrss_kb'] / 1024:.0f} | "
                  f"{r['maxrss_kb'] / res['natoms']:.0f} | {ratio} | {rate / 1e9:.2f} | "
                  f"{100 * rate / (lanes * p256):.0f} % | {f512} |")
    print(f"(e3md eval on 2 atoms, same model: peak RSS {res['e3md_baseline_maxrss_kb'] / 1024:.0f} MB)")


if __name__ == "__main__":
    sys.exit(main())
