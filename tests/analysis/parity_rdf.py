"""RDF parity: e3md's g(r), n(r) (CSV) against MDAnalysis InterRDF and a float64 numpy histogram of the same
H5MD trajectory.

Usage: parity_rdf.py traj.h5md e3md_rdf.csv r_max bins
Pairs in the CSV: all-all, Li-O, Li-Li. Same-group RDFs use exclusion_block=(1, 1) in InterRDF, which gives
the N(N-1) normalisation e3md uses.
Tolerances: numpy float64 (same minimum-image distances, np.histogram binning): 1e-8 relative to max g.
MDAnalysis (float32 coordinates: distances move by ~1e-6 A, so a pair within that of a bin edge may change bin):
pair counts agree to 3e-4 relative in total (sum |c - c_MDA| / sum c), n(r) to 1e-4 relative, and every
count difference is explained by ordered pairs lying within 1e-5 A of a bin edge in the float64 distances.
"""
import sys
import warnings

import h5py
import numpy as np

warnings.filterwarnings("ignore")
import MDAnalysis as mda  # noqa: E402
from MDAnalysis.analysis.rdf import InterRDF  # noqa: E402



def read_csv(path):
    """e3md CSV: '#' comment lines, one header line of 'name[unit]', numbers."""
    lines = [ln for ln in open(path).read().splitlines() if ln and not ln.startswith("#")]
    names = lines[0].split(",")
    values = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]])
    return {n: values[:, i] for i, n in enumerate(names)}


traj, csv, rmax, bins = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
data = read_csv(csv)
with h5py.File(traj, "r") as f:
    x = f["particles/all/position/value"][...]
    edges = f["particles/all/box/edges/value"][...]
    species_idx = f["particles/all/species"][...]
    names = list(f["particles/all/species"].attrs["names"])
species = np.array([names[i] for i in species_idx])
n = len(species)
sel = {"all": np.arange(n), "Li": np.where(species == "Li")[0], "O": np.where(species == "O")[0]}

u = mda.Universe.empty(n, trajectory=True)
u.load_new(traj, format="H5MD")

ok = True
for a, b in (("all", "all"), ("Li", "O"), ("Li", "Li")):
    # float64 reference: minimum image in fractional coordinates (exact below half the plane spacing).
    counts = np.zeros(bins)
    near_edge = 0
    vol = 0.0
    for t in range(len(x)):
        h = edges[t]
        inv = np.linalg.inv(h)
        d = x[t][sel[b]][None, :, :] - x[t][sel[a]][:, None, :]
        s = d @ inv
        s -= np.round(s)
        r = np.linalg.norm(s @ h, axis=-1)
        if a == b:
            r = r[~np.eye(len(sel[a]), dtype=bool)]
        c, e = np.histogram(r.ravel(), bins=bins, range=(0.0, rmax))
        near_edge += int((np.abs(r.ravel()[:, None] - e[None, :]) < 1e-5).sum())
        counts += c
        vol += abs(np.linalg.det(h))
    na, nb = len(sel[a]), len(sel[b])
    npairs = na * (na - 1) if a == b else na * nb
    shell = 4.0 / 3.0 * np.pi * np.diff(e ** 3)
    g_ref = counts / (len(x) * shell * npairs / (vol / len(x)))
    n_ref = np.cumsum(counts) / (len(x) * na)

    g = data[f"g_{a}-{b}[1]"]
    ncum = data[f"n_{a}-{b}[1]"]
    err64 = np.abs(g - g_ref).max() / g_ref.max()
    errn64 = np.abs(ncum - n_ref).max() / n_ref.max()

    ga, gb = u.atoms[sel[a]], u.atoms[sel[b]]
    rdf = InterRDF(ga, gb, nbins=bins, range=(0.0, rmax), exclusion_block=(1, 1) if a == b else None).run()
    g_mda = rdf.results.rdf
    n_mda = np.cumsum(rdf.results.count) / (len(x) * na)
    c_e3md = np.round(np.diff(np.concatenate([[0.0], ncum])) * len(x) * na)
    mismatch = np.abs(c_e3md - rdf.results.count).sum()
    err32 = mismatch / rdf.results.count.sum()
    errn32 = np.abs(ncum - n_mda).max() / n_mda.max()
    errg32 = np.abs(g - g_mda).max() / g_mda.max()
    print(f"RDF {a}-{b}: |g-g_numpy64|/max g = {err64:.1e}, n: {errn64:.1e}; MDAnalysis: counts {err32:.1e} "
          f"({mismatch:.0f} of {rdf.results.count.sum():.0f}, {near_edge} pairs near edges), n {errn32:.1e}, "
          f"max |dg|/max g {errg32:.1e}")
    ok &= err64 < 1e-8 and errn64 < 1e-8 and err32 < 3e-4 and errn32 < 1e-4 and mismatch <= 2 * near_edge
sys.exit(0 if ok else 1)
