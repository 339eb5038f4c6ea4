#!/usr/bin/env python3
"""`e3md run --restart`: a run of 2N steps equals N steps + restart + N steps.

For NVE, Nosé–Hoover NVT (with a temperature ramp), Langevin NVT and MTK NPT on a 2×2×2 β-Li3PO4 supercell with the
Pedone potential:
  * same rank count: the restarted trajectory (every frame's positions, velocities, images, box, observables) is
    bit-identical to the uninterrupted one;
  * another rank count: positions within 1e-10 Å.
The restart is made the hard way: the uninterrupted run's trajectory is copied, its frames after the checkpoint are
overwritten with NaN and its frame counter cut back (what a crash leaves), and the restart must rewrite them.
A two-stage deck is also cut at the stage boundary: a one-stage deck runs N steps, the two-stage deck continues.
A checkpoint edited to hold two atoms 0.45 Å apart (closer than an input structure may have) still restarts.

    test_restart.py --e3md E3MD --mpiexec "mpiexec -np N ..." --ranks R --other-ranks R2 --work DIR
"""
import argparse
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np

from run_support import Runner, check, checkpoints, fail, max_abs_diff, read_trajectory, standard_output, write_deck

STAGES = {
    "nve": "{name: md, type: nve, timestep: 0.001, steps: 400}",
    "nose-hoover": "{name: md, type: nvt, timestep: 0.001, steps: 400, temperature: {start: 600, end: 900}}",
    "langevin": "{name: md, type: nvt, timestep: 0.001, steps: 400, temperature: 700, "
                "thermostat: {kind: langevin, damping: 0.05}}",
    "npt": "{name: md, type: npt, timestep: 0.001, steps: 400, temperature: 600, "
           "barostat: {pressure: 1000, damping: 0.5, couple: aniso}}",
}


def cut_after(traj_path, keep_step):
    """Leaves `traj_path` as a crash after the frame at `keep_step` would: later frames invisible and garbage."""
    with h5py.File(traj_path, "r+") as f:
        steps = f["particles/all/position/step"][:]
        keep = int(np.searchsorted(steps, keep_step, side="right"))
        f["parameters/e3md"].attrs["frames_written"] = np.int64(keep)
        pos = f["particles/all/position/value"]
        pos[keep:] = np.nan
        if "velocity" in f["particles/all"]:
            f["particles/all/velocity/value"][keep:] = np.nan
    return keep


def compare(a, b, exact, what):
    check(a["frames"] == b["frames"], f"{what}: {b['frames']} frames, as the uninterrupted run ({a['frames']})")
    check(np.array_equal(a["step"], b["step"]), f"{what}: the same frame steps")
    if exact:
        for key in ("position", "velocity", "image", "box", "time"):
            if key in a:
                same = np.array_equal(a[key], b[key])
                check(same, f"{what}: {key} bit-identical (max diff {max_abs_diff(a[key], b[key]):.3g})")
        for k, v in a["observables"].items():
            check(np.array_equal(v, b["observables"][k]), f"{what}: observable {k} bit-identical")
    else:
        unwrap_a = a["position"] + np.einsum("fni,fij->fnj", a["image"].astype(float), a["box"])
        unwrap_b = b["position"] + np.einsum("fni,fij->fnj", b["image"].astype(float), b["box"])
        d = max_abs_diff(unwrap_a, unwrap_b)
        print(f"  {what}: max position difference {d:.3e} Å")
        check(d <= 1e-10, f"{what}: positions within 1e-10 Å (max {d:.3e})")


def mdanalysis_reads(path, traj, work):
    """MDAnalysis opens what `e3md run` wrote (a box that changes every frame) and sees the same numbers."""
    rows = np.hstack([traj["time"][:, None], traj["box"].reshape(-1, 9), traj["position"].reshape(traj["frames"], -1)])
    expected = work / "mdanalysis_expected.txt"
    np.savetxt(expected, rows, fmt="%.17g")
    script = pathlib.Path(__file__).resolve().parents[1] / "analysis" / "check_h5md_mdanalysis.py"
    p = subprocess.run([sys.executable, str(script), str(path), str(expected)], capture_output=True, text=True)
    print(p.stdout.strip())
    check(p.returncode == 0, "MDAnalysis reads the NPT trajectory of `e3md run`" + (p.stderr[-800:] if p.returncode else ""))


def restart_mid_stage(run, work, kind, ranks, other):
    base = work / kind
    deck = write_deck(base / "deck.yaml", [STAGES[kind]], output=standard_output(traj_every=10, ckpt_every=200),
                      extra="velocities: {temperature: 600}\ndecomposition: auto\n")
    run.run(["run", deck], ranks)
    full = read_trajectory(base / "out" / "traj.h5md")
    check(full["frames"] == 41, f"{kind}: uninterrupted run wrote 41 frames")
    check(np.all(np.isfinite(full["position"])), f"{kind}: finite positions")
    if kind == "npt":
        mdanalysis_reads(base / "out" / "traj.h5md", full, work)
    mid = [c for c in checkpoints(base / "out") if c.stem.endswith("000000200")]
    if not mid:
        fail(f"{kind}: no checkpoint at step 200 in {base / 'out'}")
    for r, exact in ((ranks, True), (other, False)):
        rdir = work / f"{kind}_restart_np{r}"
        shutil.rmtree(rdir, ignore_errors=True)
        (rdir / "out").mkdir(parents=True)
        shutil.copy(deck, rdir / "deck.yaml")
        shutil.copy(base / "out" / "traj.h5md", rdir / "out" / "traj.h5md")
        shutil.copy(mid[0], rdir / "out" / mid[0].name)
        kept = cut_after(rdir / "out" / "traj.h5md", 200)
        check(kept == 21, f"{kind}: crash-like trajectory keeps frames up to step 200")
        run.run(["run", rdir / "deck.yaml", "--restart", rdir / "out" / mid[0].name], r)
        compare(full, read_trajectory(rdir / "out" / "traj.h5md"), exact, f"{kind} restarted on {r} rank(s)")


def restart_at_stage_boundary(run, work, ranks):
    first = "{name: warm, type: nvt, timestep: 0.001, steps: 200, temperature: 800}"
    second = "{name: run, type: nve, timestep: 0.001, steps: 200}"
    extra = "velocities: {temperature: 800}\n"
    full_dir, cut_dir = work / "stages_full", work / "stages_cut"
    full_deck = write_deck(full_dir / "deck.yaml", [first, second], output=standard_output(ckpt_every=200), extra=extra)
    run.run(["run", full_deck], ranks)
    half_deck = write_deck(cut_dir / "half.yaml", [first], output=standard_output(ckpt_every=200), extra=extra)
    run.run(["run", half_deck], ranks)
    ckpt = [c for c in checkpoints(cut_dir / "out") if c.stem.endswith("000000200")]
    if not ckpt:
        fail("stage boundary: the one-stage run left no checkpoint at step 200")
    cont_deck = write_deck(cut_dir / "deck.yaml", [first, second], output=standard_output(ckpt_every=200), extra=extra)
    run.run(["run", cont_deck, "--restart", ckpt[0]], ranks)
    compare(read_trajectory(full_dir / "out" / "traj.h5md"), read_trajectory(cut_dir / "out" / "traj.h5md"), True,
            "N steps of stage 1, restart, N steps of stage 2")


def restart_with_close_pair(run, work, ranks):
    """A checkpoint is a state the run's dynamics reached: two atoms closer than the 0.5 Å that an input structure
    may not have are no reason to refuse it (the blow-up check guards the dynamics)."""
    stage = "{name: md, type: nve, timestep: 0.0005, steps: 40}"
    d = work / "close_pair"
    deck = write_deck(d / "deck.yaml", [stage], output=standard_output(ckpt_every=20),
                      extra="velocities: {temperature: 300}\n")
    run.run(["run", deck], ranks)
    ckpt = [c for c in checkpoints(d / "out") if c.stem.endswith("000000020")]
    if not ckpt:
        fail("close pair: no checkpoint at step 20")
    with h5py.File(ckpt[0], "r+") as f:
        li = np.flatnonzero(f["atoms/type"][:].ravel() == 0)  # species 0 is Li
        x = f["atoms/position"]
        x[li[1]] = x[li[0]] + np.array([0.45, 0.0, 0.0])
    p = run.run(["run", deck, "--restart", ckpt[0]], ranks, check_rc=False)
    check(p.returncode == 0, f"close pair: restart from a checkpoint with two Li 0.45 Å apart runs (rc {p.returncode}: "
          f"{p.stderr.strip()[-300:]})")
    steps = read_trajectory(d / "out" / "traj.h5md")["step"]
    check(steps[-1] == 40, f"close pair: the restarted run reached step {steps[-1]} of 40")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--e3md", required=True)
    ap.add_argument("--mpiexec", default="")
    ap.add_argument("--ranks", type=int, default=1)
    ap.add_argument("--other-ranks", type=int, default=2)
    ap.add_argument("--work", required=True)
    ap.add_argument("--kinds", default=",".join(STAGES))
    args = ap.parse_args()
    work = pathlib.Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    run = Runner(args.e3md, args.mpiexec)
    for kind in args.kinds.split(","):
        restart_mid_stage(run, work, kind, args.ranks, args.other_ranks)
    restart_at_stage_boundary(run, work, args.ranks)
    restart_with_close_pair(run, work, args.ranks)
    print("all restart checks passed")


if __name__ == "__main__":
    main()
