"""Helpers shared by the `e3md run` tests: decks written from templates, runs of the executable (optionally
under mpiexec), and reading back H5MD trajectories and checkpoints with h5py."""
import argparse
import hashlib
import os
import pathlib
import shlex
import shutil
import subprocess
import sys

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
PEDONE = ROOT / "inputs" / "potentials" / "pedone_lipon.yaml"


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg, flush=True)


def script_setup(mpi=False, extra=()):
    """The arguments every test script takes (--e3md, --work; with mpi also --mpiexec and --ranks) plus `extra`
    ((flag, keyword arguments) pairs); returns them, an emptied work directory and a Runner."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--e3md", required=True)
    ap.add_argument("--work", required=True)
    if mpi:
        ap.add_argument("--mpiexec", required=True)
        ap.add_argument("--ranks", type=int, default=2)
    for flag, kw in extra:
        ap.add_argument(flag, **kw)
    args = ap.parse_args()
    work = pathlib.Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return args, work, Runner(args.e3md, args.mpiexec if mpi else "")


class Runner:
    """Runs `e3md` with `ranks` MPI processes (1 = the plain executable, an MPI singleton)."""

    def __init__(self, e3md, mpiexec):
        self.e3md = e3md
        self.mpiexec = shlex.split(mpiexec) if mpiexec else []

    def command(self, args, ranks=1):
        if ranks == 1 or not self.mpiexec:
            return [self.e3md] + args
        return [ranks if a == "N" else a for a in self.mpiexec] + [self.e3md] + args

    def run(self, args, ranks=1, timeout=900, check_rc=True):
        cmd = [str(c) for c in self.command(args, ranks)]
        env = dict(os.environ, OMP_NUM_THREADS="1")
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        if check_rc and p.returncode != 0:
            fail(f"{' '.join(cmd)} exited {p.returncode}\nstdout:\n{p.stdout[-3000:]}\nstderr:\n{p.stderr[-3000:]}")
        return p

    def popen(self, args):
        env = dict(os.environ, OMP_NUM_THREADS="1")
        return subprocess.Popen([str(a) for a in [self.e3md] + args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env, start_new_session=True)


def crystal_system(name="Li3PO4", supercell=(2, 2, 2)):
    return f"  build: {{crystal: {name}, supercell: [{supercell[0]}, {supercell[1]}, {supercell[2]}]}}\n"


def write_deck(path, stages, system=None, potential=None, output=None, extra=""):
    """A deck for the Pedone potential on a 2×2×2 β-Li3PO4 supercell (128 atoms) unless overridden."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "system:\n" + (system or crystal_system())
    text += "potential:\n" + (potential or f"  classical: {PEDONE}\n")
    text += extra
    text += "stages:\n" + "".join(f"  - {s}\n" for s in stages)
    if output is not None:
        text += "output:\n" + output
    path.write_text(text)
    return path


def standard_output(traj_every=10, ckpt_every=100, keep=2):
    return ("  directory: out\n"
            f"  trajectory: {{file: traj.h5md, every: {traj_every}}}\n"
            "  thermo: 50\n"
            f"  checkpoint: {{file: ckpt.h5, every: {ckpt_every}, keep: {keep}}}\n"
            "  final_structure: final.xyz\n")


def checkpoints(directory):
    """Checkpoint files of a run, oldest first (named <stem>.<step>.h5)."""
    files = [p for p in pathlib.Path(directory).glob("ckpt.*.h5") if p.stem.split(".")[-1].isdigit()]
    return sorted(files, key=lambda p: int(p.stem.split(".")[-1]))


def read_trajectory(path):
    """Complete frames of an e3md H5MD file: dict of arrays (step, time, position, velocity, image, box)."""
    with h5py.File(path, "r") as f:
        n = int(f["parameters/e3md"].attrs["frames_written"])
        part = f["particles/all"]
        out = {"frames": n,
               "step": part["position/step"][:n],
               "time": part["position/time"][:n],
               "position": part["position/value"][:n],
               "image": part["image/value"][:n],
               "box": part["box/edges/value"][:n]}
        if "velocity" in part:
            out["velocity"] = part["velocity/value"][:n]
        out["observables"] = {k: f["observables"][k]["value"][:n] for k in f["observables"]}
    return out


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def max_abs_diff(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) if np.size(a) else 0.0
