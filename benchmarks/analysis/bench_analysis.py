#!/usr/bin/env python3
"""RDF and MSD of one H5MD trajectory: `e3md analyze` against MDAnalysis (InterRDF, EinsteinMSD fft=True),
same file, same run. Prints wall and CPU seconds and the ratios; checks that the results agree.

  bench_analysis.py --e3md build/driver/e3md --maker build/benchmarks/analysis/bench_make_trajectory \
      [--atoms 10000] [--frames 2000] [--mda-frames N] [--threads 2] [--ranks 2] [--workdir /tmp] [--repeat 5]

MDAnalysis is run on the first --mda-frames frames of the RDF (default: all) when the full size is too slow
for it, ratios are then per frame; its MSD runs on all frames unless --mda-msd-frames says otherwise.
RDF: all atoms, r < 6 Å, 120 bins. MSD: Li (20 % of the atoms); the trajectory is written unwrapped, which
EinsteinMSD assumes, so the MSD row runs e3md with --unwrap none (the same work) and the "MSD+u" row with
--unwrap displacement (e3md unwraps on the fly as well, extra work MDAnalysis does not do).

e3md runs twice per analysis: one process with --threads OpenMP threads, and (with --ranks > 1) under
`mpirun -np <ranks>` with one thread per rank, the frames shared among the ranks.

Each e3md configuration runs --repeat times and the median run is reported (the MDAnalysis process of the whole-
process comparison: the median of three). Times: "e3md wall/cpu" are of the whole e3md process (MPI start-up included, ~0.4 s wall here); "e3md an."
is the wall time e3md itself reports from opening the file to the CSV written. MDAnalysis times are of
.run() on a Universe opened beforehand, so "an. x" compares like with like.
"""
import argparse
import os
import re
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


REPEAT = 1


def run_e3md(cmd, threads, ranks=1):
    """Runs cmd REPEAT times; returns the run of median analysis time as (wall, cpu, analysis seconds)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    if ranks > 1:
        cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(ranks)] + cmd
    runs = []
    for _ in range(REPEAT):
        c0, t0 = cpu_children(), time.perf_counter()
        out = subprocess.run(cmd, check=True, env=env, stdout=subprocess.PIPE, text=True).stdout
        wall, cpu = time.perf_counter() - t0, cpu_children() - c0
        m = re.search(r" in ([0-9.]+) s", out)
        if not m:
            sys.exit(f"bench_analysis: no ' in <seconds> s' in the output of {' '.join(cmd)}:\n{out}")
        runs.append((wall, cpu, float(m.group(1))))
    return sorted(runs, key=lambda r: r[2])[len(runs) // 2]


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
    p.add_argument("--mda-frames", type=int, default=0, help="MDAnalysis RDF frames (default: all)")
    p.add_argument("--mda-msd-frames", type=int, default=0, help="MDAnalysis MSD frames (default: all)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--ranks", type=int, default=2, help="MPI ranks of the second e3md run (1: none)")
    p.add_argument("--workdir", default="/tmp")
    p.add_argument("--repeat", type=int, default=5,
                   help="e3md runs per configuration; the median (by analysis time) is reported")
    a = p.parse_args()
    global REPEAT
    REPEAT = max(1, a.repeat)
    traj = os.path.join(a.workdir, f"bench_analysis_{a.atoms}_{a.frames}.h5md")
    if not os.path.exists(traj):
        subprocess.run([a.maker, traj, str(a.atoms), str(a.frames)], check=True)
    nf = a.mda_frames or a.frames
    rdf_csv, msd_csv = os.path.join(a.workdir, "bench_rdf.csv"), os.path.join(a.workdir, "bench_msd.csv")

    import MDAnalysis as mda
    from MDAnalysis.analysis.msd import EinsteinMSD
    from MDAnalysis.analysis.rdf import InterRDF

    rows = []
    configs = [(1, a.threads)] + ([(a.ranks, 1)] if a.ranks > 1 else [])

    def label(name, ranks, threads):
        return f"{name} {ranks}x{threads}"

    # RDF
    rdf_cmd = [a.e3md, "analyze", "rdf", traj, "--rmax", "6", "--bins", "120", "-o", rdf_csv]
    e3 = [(r, t) + run_e3md(rdf_cmd, t, r) for r, t in configs]
    u = mda.Universe.empty(a.atoms, trajectory=True)
    u.load_new(traj, format="H5MD")
    c0, t0 = time.process_time(), time.perf_counter()
    rdf = InterRDF(u.atoms, u.atoms, nbins=120, range=(0.0, 6.0), exclusion_block=(1, 1)).run(stop=nf)
    w_m, c_m = time.perf_counter() - t0, time.process_time() - c0
    for r, t, w_e, c_e, an_e in e3:
        rows.append((label("RDF", r, t), w_e / a.frames, c_e / a.frames, an_e / a.frames, w_m / nf, c_m / nf))
    if nf == a.frames:
        g = read_csv(rdf_csv)["g_all-all[1]"]
        print(f"RDF agreement: max |g - g_MDA| / max g = {np.abs(g - rdf.results.rdf).max() / g.max():.1e}")
    # MSD of Li
    msd_cmd = [a.e3md, "analyze", "msd", traj, "--species", "Li", "--blocks", "0", "-o", msd_csv]
    e3 = []
    for mode, name in (("none", "MSD"), ("displacement", "MSD+u")):
        for r, t in configs:
            e3.append((name, r, t) + run_e3md(msd_cmd + ["--unwrap", mode], t, r))
            m_last = read_csv(msd_csv)["msd_Li_total[Angstrom^2]"]
            if name == "MSD" and r == 1:
                m_none = m_last
        print(f"MSD unwrap none vs {mode} on {r} rank(s): max difference / max = "
              f"{np.abs(m_none - m_last).max() / m_none.max():.1e}")
    li = u.atoms[np.arange(0, a.atoms, 5)]
    c0, t0 = time.process_time(), time.perf_counter()
    nm = a.mda_msd_frames or a.frames
    msd = EinsteinMSD(li, msd_type="xyz", fft=True).run(stop=nm)
    w_m, c_m = time.perf_counter() - t0, time.process_time() - c0
    for name, r, t, w_e, c_e, an_e in e3:
        rows.append((label(name, r, t), w_e / a.frames, c_e / a.frames, an_e / a.frames, w_m / nm, c_m / nm))
    # Whole processes for the MSD: e3md's start-up (mpirun, MPI_Init) against MDAnalysis' (interpreter, import,
    # opening the file), each with its analysis.
    script = ("import warnings; warnings.filterwarnings('ignore'); import numpy as np, MDAnalysis as mda; "
              "from MDAnalysis.analysis.msd import EinsteinMSD; "
              f"u = mda.Universe.empty({a.atoms}, trajectory=True); u.load_new('{traj}', format='H5MD'); "
              f"EinsteinMSD(u.atoms[np.arange(0, {a.atoms}, 5)], msd_type='xyz', fft=True).run(stop={nm})")
    procs = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", script], check=True)
        procs.append(time.perf_counter() - t0)
    w_proc = sorted(procs)[1]
    for name, r, t, w_e, c_e, an_e in e3:
        if name == "MSD":
            print(f"MSD whole processes, e3md {r}x{t}: {w_e:.3f} s, MDAnalysis (python, import, open, run on {nm} "
                  f"frames): {w_proc:.3f} s, ratio {w_proc / w_e * a.frames / nm:.1f} (per frame)")
    if nm == a.frames:
        ref = msd.results.timeseries
        print(f"MSD agreement: max |msd - msd_MDA| / max = {np.abs(m_none - ref).max() / ref.max():.1e}")

    print(f"{a.atoms} atoms, e3md {a.frames} frames (ranks x threads as labelled), MDAnalysis {nf} frames (RDF) "
          f"and {nm} (MSD); ms per frame; e3md cpu is that of all ranks")
    print(f"{'':11} {'e3md wall':>10} {'e3md cpu':>10} {'e3md an.':>10} {'MDA wall':>10} {'MDA cpu':>10} "
          f"{'wall x':>7} {'cpu x':>7} {'an. x':>7}")
    for name, we, ce, ae, wm, cm in rows:
        print(f"{name:11} {1e3 * we:10.3f} {1e3 * ce:10.3f} {1e3 * ae:10.3f} {1e3 * wm:10.3f} {1e3 * cm:10.3f} "
              f"{wm / we:7.1f} {cm / ce:7.1f} {wm / ae:7.1f}")


if __name__ == "__main__":
    sys.exit(main())
