#!/usr/bin/env python3
"""Crash safety of `e3md run`.

1. SIGKILL mid-run (the trajectory is written every 5 steps, so the kill often lands inside a frame): the
   trajectory stays readable up to its last complete frame, the newest checkpoint is valid, and restarting from it
   completes the run with every frame present once, identical to an uninterrupted run.
2. A run that blows up (a far too large time step on a hot crystal) stops with one error line naming the step and
   the first affected atom, after writing the last good state; that state is a valid checkpoint to restart from.

    test_crash.py --e3md E3MD --work DIR
"""
import argparse
import pathlib
import shutil
import signal
import time

import h5py
import numpy as np

from run_support import Runner, check, checkpoints, fail, read_trajectory, standard_output, write_deck

KILL_STAGE = "{name: md, type: nvt, timestep: 0.001, steps: 3000, temperature: 900}"


def kill_and_restart(run, work, kills):
    ref_dir = work / "uninterrupted"
    deck = write_deck(ref_dir / "deck.yaml", [KILL_STAGE], output=standard_output(traj_every=5, ckpt_every=500),
                      extra="velocities: {temperature: 900}\n")
    run.run(["run", deck])
    ref = read_trajectory(ref_dir / "out" / "traj.h5md")
    check(ref["frames"] == 601, "uninterrupted run: 601 frames")

    for attempt in range(kills):
        d = work / f"killed{attempt}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        shutil.copy(deck, d / "deck.yaml")
        proc = run.popen(["run", d / "deck.yaml"])
        # Wait for the first checkpoint, then kill at a time that varies between attempts.
        t0 = time.time()
        while len(checkpoints(d / "out")) < 1 or not (d / "out" / "traj.h5md").exists():
            if proc.poll() is not None:
                fail(f"attempt {attempt}: the run ended (rc {proc.returncode}) before it could be killed")
            if time.time() - t0 > 120:
                fail(f"attempt {attempt}: no checkpoint within 120 s")
            time.sleep(0.01)
        time.sleep(0.05 + 0.037 * attempt)
        if proc.poll() is not None:
            fail(f"attempt {attempt}: the run finished before the kill; make it longer")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        traj = read_trajectory(d / "out" / "traj.h5md")
        n = traj["frames"]
        check(0 < n < ref["frames"], f"attempt {attempt}: killed run's trajectory readable, {n} complete frames")
        check(np.all(np.isfinite(traj["position"])), f"attempt {attempt}: every complete frame has finite positions")
        check(np.array_equal(traj["position"], ref["position"][:n]),
              f"attempt {attempt}: complete frames equal the uninterrupted run's")
        ckpts = checkpoints(d / "out")
        check(len(ckpts) >= 1, f"attempt {attempt}: a checkpoint survives ({ckpts[-1].name})")
        latest = ckpts[-1]
        with h5py.File(latest, "r") as f:
            step = int(f.attrs["step"])
        check(step % 500 == 0 and step > 0, f"attempt {attempt}: newest checkpoint opens, step {step}")
        run.run(["run", d / "deck.yaml", "--restart", latest])
        done = read_trajectory(d / "out" / "traj.h5md")
        steps = done["step"]
        check(np.array_equal(steps, np.arange(0, 3001, 5)), f"attempt {attempt}: after restart every frame once")
        check(np.array_equal(done["position"], ref["position"]),
              f"attempt {attempt}: restarted trajectory bit-identical to the uninterrupted run")


def blow_up(run, work):
    d = work / "blowup"
    deck = write_deck(d / "deck.yaml", ["{name: hot, type: nve, timestep: 0.006, steps: 2000}"],
                      output=standard_output(traj_every=10, ckpt_every=1000), extra="velocities: {temperature: 3000}\n")
    p = run.run(["run", deck], check_rc=False)
    check(p.returncode != 0, f"blow-up: non-zero exit ({p.returncode})")
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    check(len(lines) == 1 and lines[0].startswith("e3md: error: run blew up at step "),
          f"blow-up: one error line: {lines[-1] if lines else '(none)'}")
    check("stage `hot`" in lines[0] and "atom id" in lines[0], "blow-up: the message names the stage and an atom")
    good = d / "out" / "lastgood.h5"
    check(good.exists() and "saved to" in lines[0], "blow-up: last good state written and named")
    with h5py.File(good, "r") as f:
        step = int(f.attrs["step"])
        x = f["atoms/position"][:]
    check(len(x) == 128 and np.all(np.isfinite(x)), f"blow-up: last good state (step {step}) has 128 finite positions")
    traj = read_trajectory(d / "out" / "traj.h5md")
    check(traj["frames"] >= 1 and np.all(np.isfinite(traj["position"])),
          f"blow-up: trajectory readable, {traj['frames']} finite frames")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--e3md", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--kills", type=int, default=2)
    args = ap.parse_args()
    work = pathlib.Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    run = Runner(args.e3md, "")
    kill_and_restart(run, work, args.kills)
    blow_up(run, work)
    print("all crash checks passed")


if __name__ == "__main__":
    main()
