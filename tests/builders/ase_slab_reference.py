"""ASE side of the slab parity test: for each Miller index, the in-plane area (Å²) of the surface cell
ase.build.surface chooses and its number of atoms per period (one layer).

  ase_slab_reference.py BULK.xyz OUT.json h k l [h k l ...]
"""
import json
import sys

import numpy as np
from ase.build import surface
from ase.io import read

bulk = read(sys.argv[1])
idx = [int(x) for x in sys.argv[3:]]
out = []
for h, k, l in zip(idx[0::3], idx[1::3], idx[2::3]):
    s = surface(bulk, (h, k, l), 1, vacuum=10.0)
    c = s.cell.array
    out.append({"miller": [h, k, l], "area": float(np.linalg.norm(np.cross(c[0], c[1]))), "atoms": len(s)})
json.dump(out, open(sys.argv[2], "w"))
