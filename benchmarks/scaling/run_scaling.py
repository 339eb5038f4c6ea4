#!/usr/bin/env python3
"""Strong and weak scaling of `e3md run` with a NequIP model (or a classical potential), and the communication model.

For each size and rank count it runs an NVT deck on amorphous LiPON (Li3PO3.3N0.5 built at 2.3 g/cm³) and reads
from the run's log: atom-steps/s (last thermo line), the halo-exchange time on the slowest rank and the bytes sent
per MD step. It writes a table (markdown and CSV) and a plot of throughput and parallel efficiency, and compares
the measured bytes per step with the model below.

Communication model (one force call of an L-layer model; per rank, P_k ranks along axis k, cutoff + skin r_g):
  ghosts sent   G: the shell of width r_g around the subdomain that crosses to other ranks (see
                predicted_bytes_per_step: swaps along x, y, z in turn, later axes relaying earlier ghosts)
  bytes         B = 8 · G · (sum_{l<L-1} w_out(l) + sum_{l>=1} w_in(l) + 3)
                     features forward   feature gradients reverse   forces reverse
                (ghost positions are refreshed too, 3 doubles per ghost, not counted by the engine either)
with d_k the cell's plane spacing and w the per-layer feature widths from `e3md model info`. The same one-cutoff
shell serves every layer. The alternative without per-layer exchange needs a ghost shell of L·r_max and recomputes
the ghosts' messages: `--project` tabulates both for 8-GPU nodes and 1e6-1e8 atoms.

    run_scaling.py --e3md build/driver/e3md --model M.h5 --units 128 --ranks 1 2 --steps 20 [--weak] [--out DIR]
    run_scaling.py --project --model M.h5
"""
import argparse
import math
import os
import pathlib
import re
import subprocess
import tempfile

DENSITY = 0.0970  # atoms/Å³ of Li3PO3.3N0.5 at 2.3 g/cm³ (78 atoms per 1116.0 amu formula unit)
ATOMS_PER_UNIT = 78


def model_widths(e3md, model):
    text = subprocess.run([e3md, "model", "info", model], capture_output=True, text=True, check=True).stdout
    dims = []
    for m in re.finditer(r"in (\S+) -> out (\S+)", text):
        dims.append(tuple(sum(int(mul) * (2 * int(l) + 1) for mul, l in re.findall(r"(\d+)x(\d)[eo]", s))
                          for s in m.groups()))
    r_max = float(re.search(r"r_max\s+([0-9.]+)", text).group(1))
    return dims, r_max


def predicted_bytes_per_step(dims, natoms, ranks, r_g, grid, calls_per_step=1.0):
    """Bytes all ranks send per MD step. The swaps run along x, then y, then z, and each axis also sends the
    ghosts received along the earlier ones (that is how edges and corners arrive), so the set scanned along axis k
    is n_local · prod_{j<k} (1 + 2 f_j), with f_j = (r_g / d_j) · P_j the shell's fraction of a subdomain; an axis
    with P_k > 1 sends 2 f_k of its scanned set to other ranks, an unsplit axis copies in memory for free."""
    side = (natoms / DENSITY) ** (1 / 3)  # cubic cell
    n_local = natoms / ranks
    scanned, sent = n_local, 0.0
    for p in grid:
        f = min(1.0, (r_g / side) * p)
        if p > 1:
            sent += 2 * f * scanned
        scanned *= 1 + 2 * f
    width = sum(w_out for _, w_out in dims[:-1]) + sum(w_in for w_in, _ in dims[1:]) + 3
    return 8 * sent * width * ranks * calls_per_step, sent


def run_one(e3md, potential, units, ranks, steps, work):
    deck = work / f"deck_{units}_{ranks}.yaml"
    deck.write_text(
        f"system:\n  build: {{amorphous: {{composition: Li3PO3.3N0.5, units: {units}, density: 2.3, seed: 3}}}}\n"
        f"potential:\n{potential}"
        "velocities: {temperature: 300}\n"
        f"stages:\n  - {{name: md, type: nvt, timestep: 0.0005, steps: {steps}, temperature: 300, "
        "thermostat: {kind: langevin, damping: 0.1}}\n"
        f"output:\n  directory: {work / 'out'}\n  thermo: {steps}\n")
    cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(ranks), e3md, "run", str(deck)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    if out.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    thermo = [ln.split() for ln in out.stdout.splitlines() if re.match(r".*\[info\]\s+\d+\s+[0-9.]+\s", ln)]
    rate = float(thermo[-1][-3])  # atomstep/s column of the last thermo line
    halo = re.search(r"halo exchange: ([0-9.]+) s on the slowest rank \(([0-9.]+) %.*, ([0-9.]+) kB per MD step",
                     out.stdout)
    wall = float(re.search(r"in ([0-9.]+) s wall", out.stdout).group(1))
    grid = [int(v) for v in re.search(r"grid (\d+)x(\d+)x(\d+)", out.stdout).groups()]
    return dict(units=units, atoms=units * ATOMS_PER_UNIT, ranks=ranks, steps=steps, grid="x".join(map(str, grid)),
                rate=rate, wall=wall,
                comm_s=float(halo.group(1)), comm_pct=float(halo.group(2)), kb_per_step=float(halo.group(3)))


def project(dims, r_max, skin=0.5):
    layers = len(dims)
    r_g = r_max + skin
    print(f"| atoms | GPUs | atoms/GPU | subdomain side (Å) | ghosts, 1 cutoff | bytes/step, per-layer exchange | "
          f"ghosts, {layers}×r_max shell | redundant edge work |")
    print("|---|---|---|---|---|---|---|---|")
    width = sum(w for _, w in dims[:-1]) + sum(w for w, _ in dims[1:]) + 3
    for natoms in (1e6, 1e7, 1e8):
        for gpus in (8, 64):
            per = natoms / gpus
            s = (per / DENSITY) ** (1 / 3)
            shell1 = ((s + 2 * r_g) ** 3 - s ** 3) * DENSITY
            shell_l = ((s + 2 * layers * r_max + 2 * skin) ** 3 - s ** 3) * DENSITY
            # messages of ghosts within (L-1)·r_max must be recomputed: extra edges ∝ that shell's atoms
            redundant = ((s + 2 * (layers - 1) * r_max) ** 3 - s ** 3) / s ** 3
            print(f"| {natoms:.0e} | {gpus} | {per:,.0f} | {s:.0f} | {shell1:,.0f} | {8 * shell1 * width / 1e6:.1f} MB | "
                  f"{shell_l:,.0f} | +{100 * redundant:.0f} % |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--e3md", default="build/driver/e3md")
    ap.add_argument("--model", help="NequIP model file (default: the classical Pedone potential)")
    ap.add_argument("--units", type=int, nargs="+", default=[128])
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--weak", action="store_true", help="scale units with the rank count")
    ap.add_argument("--project", action="store_true", help="tabulate the communication model for large runs")
    ap.add_argument("--layers", type=int, default=6, help="--project without --model: nequip layers")
    ap.add_argument("--lmax", type=int, default=2, help="--project without --model: l_max (parity on)")
    ap.add_argument("--features", type=int, default=32, help="--project without --model: features per irrep")
    ap.add_argument("--r-max", type=float, default=4.3, help="--project without --model: cutoff (Å)")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                    help="NequIP network on the CPU or on the GPUs (one rank per GPU: --ranks up to the GPU count)")
    ap.add_argument("--gpu-aware-mpi", choices=["auto", "true", "false"], default="auto",
                    help="--device cuda: hand MPI device buffers (true), stage through host memory (false), or ask MPI")
    ap.add_argument("--out", default="out/scaling")
    args = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parents[2]
    dims, r_max = model_widths(args.e3md, args.model) if args.model else ([], 0.0)
    if args.project:
        if not dims:  # nequip's SimpleIrrepsConfig: layer 0 reaches only l with parity (-1)^l from the 0e input
            f, lm = args.features, args.lmax
            hidden = f * sum(2 * (2 * l + 1) for l in range(lm + 1))
            dims = [(f, f * sum(2 * l + 1 for l in range(lm + 1)))] + [(hidden, hidden)] * (args.layers - 1)
            r_max = args.r_max
        project(dims, r_max)
        return
    if args.device != "cpu" and not args.model:
        raise SystemExit("--device cuda runs a NequIP model on the GPU; pass --model M.h5")
    potential = (f"  model: {os.path.abspath(args.model)}\n" if args.model
                 else f"  classical: {root / 'inputs/potentials/pedone_lipon.yaml'}\n")
    if args.device != "cpu":
        potential += f"  device: {args.device}\n  gpu_aware_mpi: {args.gpu_aware_mpi}\n"
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for units in args.units:
            for ranks in args.ranks:
                u = units * ranks if args.weak else units
                rows.append(run_one(args.e3md, potential, u, ranks, args.steps, pathlib.Path(tmp)))
                print(rows[-1], flush=True)
    lines = ["| atoms | ranks | atom-steps/s | parallel efficiency | halo time share | kB/step measured | "
             "kB/step model |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        base = next(b for b in rows if b["ranks"] == min(args.ranks) and (args.weak or b["units"] == r["units"]))
        eff = r["rate"] / (base["rate"] * r["ranks"] / base["ranks"])
        r["efficiency"] = eff
        # One force call per step plus the integrator's set-up call.
        calls = (r["steps"] + 1) / r["steps"]
        grid = [int(v) for v in r["grid"].split("x")]
        model_kb = (predicted_bytes_per_step(dims, r["atoms"], r["ranks"], r_max + 0.5, grid, calls)[0] / 1e3
                    if dims else float("nan"))
        r["model_kb"] = model_kb
        lines.append(f"| {r['atoms']} | {r['ranks']} | {r['rate']:.4g} | {100 * eff:.1f} % | {r['comm_pct']:.1f} % | "
                     f"{r['kb_per_step']:.1f} | {model_kb:.1f} |")
    table = "\n".join(lines)
    print(table)
    (out / "scaling.md").write_text(table + "\n")
    with open(out / "scaling.csv", "w") as f:
        keys = list(rows[0])
        f.write(",".join(keys) + "\n")
        for r in rows:
            f.write(",".join(str(r[k]) for k in keys) + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
        for units in sorted({r["units"] for r in rows}):
            sel = [r for r in rows if r["units"] == units] if not args.weak else rows
            ax[0].plot([r["ranks"] for r in sel], [r["rate"] for r in sel], "o-", label=f"{sel[0]['atoms']} atoms")
            ax[1].plot([r["ranks"] for r in sel], [100 * r["efficiency"] for r in sel], "o-")
            if args.weak:
                break
        ax[0].set(xlabel="MPI ranks", ylabel="atom-steps/s", title="weak" if args.weak else "strong scaling")
        ax[1].set(xlabel="MPI ranks", ylabel="parallel efficiency (%)", ylim=(0, 110))
        ax[0].legend()
        fig.tight_layout()
        fig.savefig(out / "scaling.png", dpi=120)
    except ImportError:
        print("matplotlib missing: no plot")
    print(f"wrote {out}/scaling.md, scaling.csv, scaling.png")


if __name__ == "__main__":
    main()
