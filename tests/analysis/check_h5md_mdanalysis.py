"""MDAnalysis reads an e3md H5MD trajectory: positions, triclinic box and time equal what e3md wrote.

Usage: check_h5md_mdanalysis.py traj.h5md expected.txt
expected.txt: one line per frame: time, 9 cell numbers (rows a, b, c), then x y z of every atom (float64).
MDAnalysis keeps float32 coordinates: positions are compared to 5e-6 Å (float32 round-off of values up to ~40 Å),
box lengths to 1e-5 relative, angles to 1e-4 degrees.
"""
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
import MDAnalysis as mda  # noqa: E402
from MDAnalysis.lib.mdamath import triclinic_box  # noqa: E402

path, expected = sys.argv[1], sys.argv[2]
rows = np.loadtxt(expected, ndmin=2)
n = (rows.shape[1] - 10) // 3
u = mda.Universe.empty(n, trajectory=True)
u.load_new(path, format="H5MD")
assert len(u.trajectory) == len(rows), f"{len(u.trajectory)} frames, expected {len(rows)}"
worst_x = worst_box = worst_ang = 0.0
for ts, row in zip(u.trajectory, rows):
    cell = row[1:10].reshape(3, 3)
    x = row[10:].reshape(n, 3)
    assert abs(ts.time - row[0]) < 1e-12, (ts.time, row[0])
    worst_x = max(worst_x, np.abs(ts.positions - x).max())
    ref = triclinic_box(*cell)
    worst_box = max(worst_box, np.abs(ts.dimensions[:3] / ref[:3] - 1).max())
    worst_ang = max(worst_ang, np.abs(ts.dimensions[3:] - ref[3:]).max())
print(f"MDAnalysis H5MD: {len(rows)} frames, max |dx| = {worst_x:.2e} A, box rel {worst_box:.1e}, angle {worst_ang:.1e} deg")
assert worst_x < 5e-6, worst_x
assert worst_box < 1e-5, worst_box
assert worst_ang < 1e-4, worst_ang
