"""MSD parity: e3md's MSD (CSV) against MDAnalysis EinsteinMSD(fft=True) and a float64 numpy direct MSD of
the same H5MD trajectory (unwrapped coordinates, orthorhombic box: a, b, normal = x, y, z).

Usage: parity_msd.py traj.h5md e3md_msd.csv
Tolerances: numpy float64 direct sum over all time origins: 1e-8 relative to the largest MSD value.
MDAnalysis (float32 coordinates of magnitude ~20 A, so ~1e-6 A per coordinate): 1e-4 relative to the largest
MSD value, and 1e-4 relative per lag for lags past the first tenth.
"""
import sys
import warnings

import h5py
import numpy as np

warnings.filterwarnings("ignore")
import MDAnalysis as mda  # noqa: E402
from MDAnalysis.analysis.msd import EinsteinMSD  # noqa: E402


def read_csv(path):
    lines = [ln for ln in open(path).read().splitlines() if ln and not ln.startswith("#")]
    names = lines[0].split(",")
    values = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]])
    return {n: values[:, i] for i, n in enumerate(names)}


traj, csv = sys.argv[1], sys.argv[2]
data = read_csv(csv)
with h5py.File(traj, "r") as f:
    x = f["particles/all/position/value"][...]
    names = list(f["particles/all/species"].attrs["names"])
    species = np.array([names[i] for i in f["particles/all/species"][...]])
T = len(x)
u = mda.Universe.empty(len(species), trajectory=True)
u.load_new(traj, format="H5MD")
ok = True
for sp in ("Li", "O"):
    idx = np.where(species == sp)[0]
    ref = {c: np.zeros(T) for c in "xyz"}
    for m in range(1, T):
        d = x[m:, idx, :] - x[:-m, idx, :]
        for k, c in enumerate("xyz"):
            ref[c][m] = (d[..., k] ** 2).mean()
    ref_total = ref["x"] + ref["y"] + ref["z"]
    cols = {"x": f"msd_{sp}_a[Angstrom^2]", "y": f"msd_{sp}_b[Angstrom^2]", "z": f"msd_{sp}_normal[Angstrom^2]"}
    total = data[f"msd_{sp}_total[Angstrom^2]"]
    err64 = np.abs(total - ref_total).max() / ref_total.max()
    for c in "xyz":
        err64 = max(err64, np.abs(data[cols[c]] - ref[c]).max() / ref[c].max())
    ag = u.atoms[idx]
    mda_total = EinsteinMSD(ag, msd_type="xyz", fft=True).run().results.timeseries
    mda_x = EinsteinMSD(ag, msd_type="x", fft=True).run().results.timeseries
    err32 = max(np.abs(total - mda_total).max() / mda_total.max(),
                np.abs(data[cols["x"]] - mda_x).max() / mda_x.max())
    late = slice(T // 10, T)
    err32_lag = np.abs(total[late] / mda_total[late] - 1).max()
    print(f"MSD {sp}: |msd - numpy64|/max = {err64:.1e}; |msd - MDAnalysis fft|/max = {err32:.1e}, "
          f"per-lag (t > T/10) {err32_lag:.1e}")
    ok &= err64 < 1e-8 and err32 < 1e-4 and err32_lag < 1e-4
sys.exit(0 if ok else 1)
