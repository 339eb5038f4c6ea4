#!/usr/bin/env python3
"""RDF and MSD of one H5MD trajectory: `e3md analyze` against MDAnalysis (InterRDF, EinsteinMSD fft=True),
same file, same run. Prints wall and CPU seconds and the ratios; checks that the results agree.

  bench_analysis.py --e3md build/driver/e3md --maker build/benchmarks/analysis/bench_make_trajectory \
      [--atoms 10000] [--frames 2000] [--mda-frames N] [--threads 2] [--workdir /tmp]

MDAnalysis is run on the first --mda-frames frames (default: all) when the full size is too slow for it;
ratios are then per frame. RDF: all atoms, r < 6 Å, 120 bins. MSD: Li (20 % of the atoms).
"""
import argparse
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_e3md(cmd, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    c0, t0 = cpu_children(), time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0, cpu_children() - c0


def read_csv(path):
    lines = [ln for ln in open(path).read().splitlines() if ln and not ln.startswith("#")]
    names = lines[0].split(",")
    values = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]])
    return {n: values[:, i] for i, n in enumerate(names)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--e3md", required=True)
    p.add_argument("--maker", required=True)
    p.add_argument("--atoms", type=int, default=10000)
    p.add_argument("--frames", type=int, default=2000)
    p.add_argument("--mda-frames", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workdir", default="/tmp")
    a = p.parse_args()
    traj = os.path.join(a.workdir, f"bench_analysis_{a.atoms}_{a.frames}.h5md")
    if not os.path.exists(traj):
        subprocess.run([a.maker, traj, str(a.atoms), str(a.frames)], check=True)
    nf = a.mda_frames or a.frames
    rdf_csv, msd_csv = os.path.join(a.workdir, "bench_rdf.csv"), os.path.join(a.workdir, "bench_msd.csv")

    import MDAnalysis as mda
    from MDAnalysis.analysis.msd import EinsteinMSD
    from MDAnalysis.analysis.rdf import InterRDF

    rows = []
    # RDF
    w_e, c_e = run_e3md([a.e3md, "analyze", "rdf", traj, "--rmax", "6", "--bins", "120", "-o", rdf_csv], a.threads)
    u = mda.Universe.empty(a.atoms, trajectory=True)
    u.load_new(traj, format="H5MD")
    c0, t0 = time.process_time(), time.perf_counter()
    rdf = InterRDF(u.atoms, u.atoms, nbins=120, range=(0.0, 6.0), exclusion_block=(1, 1)).run(stop=nf)
    w_m, c_m = time.perf_counter() - t0, time.process_time() - c0
    rows.append(("RDF", w_e / a.frames, c_e / a.frames, w_m / nf, c_m / nf))
    if nf == a.frames:
        g = read_csv(rdf_csv)["g_all-all[1]"]
        print(f"RDF agreement: max |g - g_MDA| / max g = {np.abs(g - rdf.results.rdf).max() / g.max():.1e}")
    # MSD of Li
    w_e, c_e = run_e3md([a.e3md, "analyze", "msd", traj, "--species", "Li", "--blocks", "0", "-o", msd_csv], a.threads)
    li = u.atoms[np.arange(0, a.atoms, 5)]
    c0, t0 = time.process_time(), time.perf_counter()
    msd = EinsteinMSD(li, msd_type="xyz", fft=True).run(stop=nf)
    w_m, c_m = time.perf_counter() - t0, time.process_time() - c0
    rows.append(("MSD", w_e / a.frames, c_e / a.frames, w_m / nf, c_m / nf))
    if nf == a.frames:
        m = read_csv(msd_csv)["msd_Li_total[Angstrom^2]"]
        ref = msd.results.timeseries
        print(f"MSD agreement: max |msd - msd_MDA| / max = {np.abs(m - ref).max() / ref.max():.1e}")

    print(f"{a.atoms} atoms, e3md {a.frames} frames ({a.threads} OpenMP threads), MDAnalysis {nf} frames; "
          "ms per frame, e3md times include process start and file reading")
    print(f"{'':4} {'e3md wall':>10} {'e3md cpu':>10} {'MDA wall':>10} {'MDA cpu':>10} {'wall x':>7} {'cpu x':>7}")
    for name, we, ce, wm, cm in rows:
        print(f"{name:4} {1e3 * we:10.2f} {1e3 * ce:10.2f} {1e3 * wm:10.2f} {1e3 * cm:10.2f} {wm / we:7.1f} {cm / ce:7.1f}")


if __name__ == "__main__":
    sys.exit(main())
