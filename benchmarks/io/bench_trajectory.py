#!/usr/bin/env python3
"""Cost of trajectory output against the MD step: `e3md run` of a 10,240-atom beta-Li3PO4 crystal (8x8x10 cells,
Pedone potential, NVE at 600 K) on R ranks, writing an H5MD frame (positions, velocities, images, box,
observables) every K steps. The run's own summary line reports the wall time spent in output (rank 0's clock,
collective writes) and the whole run's wall time; this script turns them into the cost per frame, the time per
MD step, and the share of the run that output takes at one frame every 100 steps.

    bench_trajectory.py --e3md build/driver/e3md [--ranks 2] [--steps 400] [--every 20]
"""
import argparse
import os
import pathlib
import re
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(e3md, ranks, steps, every, work):
    deck = work / f"deck_{every}.yaml"
    traj = f"  trajectory: {{file: t.h5md, every: {every}}}\n" if every else ""
    deck.write_text(
        "system:\n  build: {crystal: Li3PO4, supercell: [8, 8, 10]}\n"
        f"potential:\n  classical: {ROOT / 'inputs/potentials/pedone_lipon.yaml'}\n"
        "velocities: {temperature: 600}\n"
        f"stages:\n  - {{name: md, type: nve, timestep: 0.001, steps: {steps}}}\n"
        f"output:\n  directory: {work / f'out_{every}'}\n{traj}  thermo: {steps}\n")
    cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(ranks), e3md, "run", str(deck)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env=dict(os.environ, OMP_NUM_THREADS="1")).stdout
    wall = float(re.search(r"in ([0-9.]+) s wall", out).group(1))
    frames, out_s = re.search(r"output cost: (\d+) frames ([0-9.]+) s", out).groups()
    return wall, int(frames), float(out_s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--e3md", required=True)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--every", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        wall0, _, _ = run(args.e3md, args.ranks, args.steps, 0, work)
        wall, frames, out_s = run(args.e3md, args.ranks, args.steps, args.every, work)
    per_frame = out_s / frames
    step = (wall - out_s) / args.steps
    share100 = per_frame / (per_frame + 100 * step)
    print(f"ranks {args.ranks}, 10240 atoms, {args.steps} NVE steps")
    print(f"run without trajectory: {wall0:.2f} s wall; with a frame every {args.every} steps: {wall:.2f} s, "
          f"{frames} frames, {out_s:.3f} s in output")
    print(f"cost per frame {1e3 * per_frame:.2f} ms, MD step {1e3 * step:.2f} ms "
          f"(includes set-up; {1e3 * wall0 / args.steps:.2f} ms from the run without output)")
    print(f"share of the run at one frame every 100 steps: {100 * share100:.3f} % (target < 2 %)")


if __name__ == "__main__":
    main()
