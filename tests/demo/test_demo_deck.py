#!/usr/bin/env python3
"""The README's main job in a shortened form: inputs/decks/demo.yaml with every stage's length cut tenfold (same
system of 234 atoms, same model, same stages, same outputs and analysis section) on 2 ranks, then every output it
promises is checked for existence and form:

  * the H5MD trajectory: the expected number of complete frames of 234 atoms, finite positions, velocities and
    observables, times increasing;
  * the checkpoints (at most `keep`): readable HDF5 with 234 finite positions and velocities (exact restarts
    from them are tests/run's);
  * the final structure: 234 atoms, composition Li90 P30 O99 N15;
  * rdf.csv, msd.csv, diffusion.csv: the columns the analysis promises, finite numbers; g(r) ≥ 0 with its P-O
    first peak at a phosphate bond length (1.40-1.75 Å); n(r) non-decreasing; MSD zero at t = 0 and non-negative;
    a positive Li diffusivity;
  * rdf/msd/diffusion .png (decodable, at least 300 × 200 pixels) and .svg (XML with an <svg> root);
  * the log shows progress: thermo lines with throughput and an ETA.

    test_demo_deck.py --e3md E3MD --mpiexec "mpiexec -np N ..." --work DIR
"""
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "run"))
from run_support import ROOT, check, read_trajectory, script_setup  # noqa: E402

DECK = ROOT / "inputs" / "decks" / "demo.yaml"
N_ATOMS = 234
SHORTEN = 10


def shortened(text, work):
    """The demo deck with each stage tenfold shorter and the analysis windows to match; every edit is counted so
    that a change of the deck that this test does not follow fails here."""
    edits = {}

    def sub(pattern, repl, expect):
        nonlocal text
        text, n = re.subn(pattern, repl, text)
        edits[pattern] = (n, expect)

    sub(r"duration: ([\d.]+)", lambda m: f"duration: {float(m.group(1)) / SHORTEN:g}", 4)
    sub(r"rate: ([\d.]+)", lambda m: f"rate: {float(m.group(1)) * SHORTEN:g}", 1)
    sub(r"max_iterations: \d+", "max_iterations: 50", 1)
    sub(r"checkpoint: \{file: demo.h5, every: \d+", "checkpoint: {file: demo.h5, every: 400", 1)
    # Frames five times as often, so that the analysis windows keep the demo's block averages (5 blocks of at
    # least 4 frames): the last 81 frames are the shortened diffusion stage.
    sub(r"trajectory: \{file: demo.h5md, every: 50\}", "trajectory: {file: demo.h5md, every: 10}", 1)
    sub(r"start: -161", "start: -81", 3)
    sub(r"model: \.\./models/demo_lipon\.h5", f"model: {ROOT / 'inputs/models/demo_lipon.h5'}", 1)
    sub(r"directory: \S+", f"directory: {work / 'out'}", 1)
    for pattern, (n, expect) in edits.items():
        check(n == expect, f"deck edit /{pattern}/: {n} of {expect}")
    return text


def read_csv(path):
    lines = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    header = lines[0].split(",")
    data = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]])
    check(data.ndim == 2 and data.shape[1] == len(header) and np.all(np.isfinite(data)),
          f"{path.name}: {data.shape[0]} rows of {len(header)} finite columns")
    return {h: data[:, i] for i, h in enumerate(header)}


def check_plot(stem):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    png = stem.with_suffix(".png")
    check(png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{png.name} is a PNG file")
    img = mpimg.imread(png)
    check(img.shape[0] >= 200 and img.shape[1] >= 300 and float(img.std()) > 0.01,
          f"{png.name}: {img.shape[1]}×{img.shape[0]} pixels, not blank")
    svg = stem.with_suffix(".svg")
    root = ET.parse(svg).getroot()
    check(root.tag.endswith("svg"), f"{svg.name} is SVG")


def main():
    args, work, run = script_setup(mpi=True)
    deck = work / "demo_short.yaml"
    deck.write_text(shortened(DECK.read_text(), work))
    plan = run.run(["run", deck, "--dry-run"]).stdout
    steps = int(re.search(r"(\d+) MD steps", plan).group(1))
    p = run.run(["run", deck], args.ranks, timeout=1500)
    log = p.stdout
    check("run finished" in log, f"shortened demo deck ({steps} MD steps) ran on {args.ranks} ranks")
    thermo = [ln for ln in log.splitlines() if re.search(r"\]\s+\d+\s+[\d.]+\s+[\d.]+\s+-?\d", ln)]
    check(len(thermo) >= 5 and "ETA" in log, f"progress shown: {len(thermo)} thermo lines and an ETA column")
    out = work / "out"

    traj = read_trajectory(out / "demo.h5md")
    check(traj["position"].shape[1:] == (N_ATOMS, 3), f"trajectory frames of {N_ATOMS} atoms")
    check(traj["frames"] >= steps // 10 + 1, f"{traj['frames']} frames for {steps} steps every 10")
    check(all(np.all(np.isfinite(v)) for v in (traj["position"], traj["velocity"], traj["box"]))
          and all(np.all(np.isfinite(v)) for v in traj["observables"].values()), "trajectory values finite")
    check(np.all(np.diff(traj["time"]) >= 0) and traj["step"][-1] == steps, "times increasing up to the last step")

    ckpts = sorted(out.glob("demo.*.h5"))
    check(1 <= len(ckpts) <= 2, f"checkpoints kept: {[c.name for c in ckpts]}")
    for c in ckpts:
        with h5py.File(c, "r") as f:
            pos, vel = f["atoms/position"][:], f["atoms/velocity"][:]
        check(pos.shape == (N_ATOMS, 3) and np.all(np.isfinite(pos)) and np.all(np.isfinite(vel)),
              f"{c.name}: {N_ATOMS} finite positions and velocities")

    from ase.io import read
    final = read(out / "final.xyz")
    counts = {s: final.get_chemical_symbols().count(s) for s in ("Li", "P", "O", "N")}
    check(len(final) == N_ATOMS and counts == {"Li": 90, "P": 30, "O": 99, "N": 15}, f"final.xyz: {counts}")

    rdf = read_csv(out / "rdf.csv")
    r = rdf["r[Angstrom]"]
    for pair in ("P-O", "P-N", "Li-O", "Li-N", "Li-Li", "P-P"):
        g, n = rdf[f"g_{pair}[1]"], rdf[f"n_{pair}[1]"]
        check(np.all(g >= 0) and np.all(np.diff(n) >= -1e-12), f"g_{pair} ≥ 0, n_{pair} non-decreasing")
    m = (r > 1.2) & (r < 2.0)
    peak = float(r[m][np.argmax(rdf["g_P-O[1]"][m])])
    check(1.40 <= peak <= 1.75, f"P-O first peak at {peak:.3f} Å")
    msd = read_csv(out / "msd.csv")
    for s in ("Li", "P", "O"):
        for comp in ("a", "b", "normal", "total"):
            v = msd[f"msd_{s}_{comp}[Angstrom^2]"]
            check(abs(v[0]) < 1e-9 and np.all(v >= -1e-9), f"msd_{s}_{comp}: 0 at t = 0, non-negative")
    dif = read_csv(out / "diffusion.csv")
    total = dif["component[index]"] == 3
    d_li = float(dif["D[cm^2/s]"][total][0])
    check(d_li > 0, f"Li diffusivity {d_li:.3g} cm²/s")
    for name in ("rdf", "msd", "diffusion_msd"):
        check_plot(out / name)
    print("shortened demo deck: every output present and well formed")


if __name__ == "__main__":
    main()
