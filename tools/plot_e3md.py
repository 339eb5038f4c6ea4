#!/usr/bin/env python3
"""Figures from the CSV files of `e3md analyze` (matplotlib, Agg backend): PNG and SVG.

  plot_e3md.py rdf run1.csv [run2.csv ...] --out rdf [--labels a,b]     g(r) panels, one per pair, runs overlaid
  plot_e3md.py msd msd.csv --out msd                                     MSD(t) per species, fit window shaded
  plot_e3md.py arrhenius arrhenius.csv --out arr                         log D vs 1000/T with the fit
  plot_e3md.py profile profile.csv --out prof [--species Li] [--interface z1,z2]

CSV columns carry units in brackets ("r[Angstrom]"); lines starting with '#' hold metadata such as fit windows.
"""
import argparse
import math
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read_csv(path):
    """Returns (comments, names, columns dict of numpy arrays)."""
    comments, rows, names = [], [], None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            if line.startswith("#"):
                comments.append(line[1:].strip())
            elif names is None:
                names = line.split(",")
            else:
                rows.append([float(v) for v in line.split(",")])
    if names is None:
        sys.exit(f"plot_e3md: {path}: no header line; is it a CSV written by e3md analyze?")
    data = np.array(rows, dtype=float).reshape(len(rows), len(names))
    return comments, names, {n: data[:, i] for i, n in enumerate(names)}


def save(fig, stem):
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(f"{stem}.{ext}", dpi=150)
    plt.close(fig)
    print(f"plot_e3md: wrote {stem}.png and {stem}.svg")


def plot_rdf(args):
    runs = [read_csv(p) for p in args.csv]
    labels = args.labels.split(",") if args.labels else args.csv
    pairs = [n[2:].split("[")[0] for n in runs[0][1] if n.startswith("g_")]
    fig, axes = plt.subplots(len(pairs), 1, figsize=(6, 2.6 * len(pairs)), sharex=True, squeeze=False)
    for ax, pair in zip(axes[:, 0], pairs):
        for (_, _, cols), label in zip(runs, labels):
            if f"g_{pair}[1]" in cols:
                ax.plot(cols["r[Angstrom]"], cols[f"g_{pair}[1]"], label=label, lw=1.2)
        ax.axhline(1.0, color="0.6", lw=0.6, ls=":")
        ax.set_ylabel(f"g(r) {pair}")
        twin = ax.twinx()
        _, _, first = runs[0]
        twin.plot(first["r[Angstrom]"], first[f"n_{pair}[1]"], color="0.4", lw=0.8, ls="--")
        twin.set_ylabel("n(r)", color="0.4")
        if len(runs) > 1:
            ax.legend(fontsize=8)
    axes[-1, 0].set_xlabel("r (Å)")
    save(fig, args.out)


def plot_msd(args):
    comments, names, cols = read_csv(args.csv[0])
    fits = {}
    for c in comments:
        m = re.match(r"fit (\S+) (.*)", c)
        if m:
            fits[m.group(1)] = {k: float(v) for k, v in (kv.split("=") for kv in m.group(2).split())}
    t = cols["t[ps]"]
    species = [n[4:-len("_total[Angstrom^2]")] for n in names if n.endswith("_total[Angstrom^2]")]
    fig, ax = plt.subplots(figsize=(6, 4))
    for sp in species:
        line, = ax.plot(t[1:], cols[f"msd_{sp}_total[Angstrom^2]"][1:], label=f"{sp} total", lw=1.4)
        for comp, ls in (("a", ":"), ("b", "-."), ("normal", "--")):
            ax.plot(t[1:], 3 * cols[f"msd_{sp}_{comp}[Angstrom^2]"][1:], color=line.get_color(), ls=ls, lw=0.8,
                    label=f"{sp} 3×{comp}")
        if sp in fits:
            f = fits[sp]
            ax.axvspan(f["t_begin_ps"], f["t_end_ps"], color=line.get_color(), alpha=0.12)
            tt = np.linspace(f["t_begin_ps"], f["t_end_ps"], 50)
            ax.plot(tt, f["slope"] * tt + f["intercept"], color="k", lw=0.8)
            ax.text(f["t_begin_ps"], f["slope"] * f["t_end_ps"] + f["intercept"],
                    f"D = {f['D_A2ps'] * 1e-4:.3g} cm²/s", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("t (ps)")
    ax.set_ylabel("MSD (Å²)")
    ax.legend(fontsize=7, ncol=2)
    save(fig, args.out)


def plot_arrhenius(args):
    comments, _, cols = read_csv(args.csv[0])
    meta = {}
    for c in comments:
        for kv in c.split():
            if "=" in kv:
                k, v = kv.split("=", 1)
                try:
                    meta[k] = float(v)
                except ValueError:
                    pass
    fig, ax = plt.subplots(figsize=(5, 4))
    x = cols["1000/T[1/K]"]
    ax.errorbar(x, cols["D[cm^2/s]"], yerr=cols["D_err[cm^2/s]"], fmt="o", capsize=3, label="MD")
    xs = np.linspace(min(x.min(), 1000 / 300) * 0.98, x.max() * 1.02, 100)
    kb = 8.617343e-5
    ea, d0 = meta.get("Ea_eV", math.nan), meta.get("D0_cm2s", math.nan)
    ax.plot(xs, d0 * np.exp(-ea / (kb * 1000.0 / xs)), "k-", lw=1,
            label=f"Ea = {ea:.3f} ± {meta.get('Ea_err_eV', math.nan):.3f} eV")
    if "D300_cm2s" in meta:
        ax.plot([1000 / 300], [meta["D300_cm2s"]], "s", mfc="none", color="C3", label="300 K (extrapolated)")
    ax.set_yscale("log")
    ax.set_xlabel("1000/T (1/K)")
    ax.set_ylabel("D (cm²/s)")
    ax.legend(fontsize=8)
    save(fig, args.out)


def interfaces_from(z, rho):
    """Positions where rho crosses the middle of its range (linear interpolation), periodic."""
    mid = 0.5 * (np.nanmax(rho) + np.nanmin(rho))
    out = []
    for i in range(len(z)):
        j = (i + 1) % len(z)
        if (rho[i] - mid) * (rho[j] - mid) < 0:
            zj = z[j] if j > i else z[j] + (z[1] - z[0]) * len(z)
            out.append(z[i] + (mid - rho[i]) / (rho[j] - rho[i]) * (zj - z[i]))
    return out


def plot_profile(args):
    _, names, cols = read_csv(args.csv[0])
    z = cols["z[Angstrom]"]
    dens = [n for n in names if n.startswith("rho_")]
    nn = [n for n in names if n.startswith("nn_")]
    cn = [n for n in names if n.startswith("cn_")]
    fig, axes = plt.subplots(3, 1, figsize=(6, 7), sharex=True)
    for n in dens:
        axes[0].plot(z, cols[n], label=n[4:].split("[")[0], lw=1.2)
    axes[0].set_ylabel("number density (Å⁻³)")
    axes[0].legend(fontsize=8)
    for n in nn:
        axes[1].plot(z, cols[n], "o-", ms=3, lw=1)
    axes[1].set_ylabel(f"{nn[0][3:].split('[')[0]} nearest (Å)" if nn else "")
    for n in cn:
        axes[2].plot(z, cols[n], "o-", ms=3, lw=1)
    axes[2].set_ylabel("neighbours within cutoff" if cn else "")
    axes[2].set_xlabel("z (Å)")
    if args.interface:
        zi = [float(v) for v in args.interface.split(",")]
    else:
        key = f"rho_{args.species}[Angstrom^-3]"
        zi = interfaces_from(z, cols[key]) if key in cols else []
    for ax in axes:
        for v in zi:
            ax.axvline(v, color="C3", ls="--", lw=0.8)
    save(fig, args.out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["rdf", "msd", "arrhenius", "profile"])
    p.add_argument("csv", nargs="+")
    p.add_argument("--out", required=True, help="output stem: writes <out>.png and <out>.svg")
    p.add_argument("--labels", default="", help="rdf: comma-separated run labels")
    p.add_argument("--species", default="Li", help="profile: species whose density marks the interfaces")
    p.add_argument("--interface", default="", help="profile: interface positions (Å, comma-separated)")
    args = p.parse_args()
    {"rdf": plot_rdf, "msd": plot_msd, "arrhenius": plot_arrhenius, "profile": plot_profile}[args.kind](args)


if __name__ == "__main__":
    main()
