#!/usr/bin/env python3
"""Builds the classical-potential test configurations and computes LAMMPS references.

usage: lammps_reference.py OUTDIR CASE
  CASE = <form>-<config>[-shift] with form in born, buck, pedone, lj and config in crystal, small, random;
         or nve-pedone (1000-step NVE from a 600 K start on the crystal).

Writes into OUTDIR:
  structure.txt   N / 9 cell numbers (rows a, b, c) / periodic flags / N lines "species x y z vx vy vz"
  potential.yaml  the e3md potential
  in.lmp, data.lmp, and the LAMMPS results:
  ref.txt         energy (eV) / virial xx yy zz xy xz yz (eV) / N lines fx fy fz (eV/Å) ordered by id
  nve_*.txt       for nve-pedone: thermo rows and unwrapped positions at steps 100 and 1000

Cells are LAMMPS "restricted triclinic" (a along x, b in the xy plane), so LAMMPS and e3md see the same
Cartesian coordinates without rotation. The random configuration is a Li-P-O-N packing (50 Li3PO4 +
12 Li7PN4 formula units, 544 atoms, neutral with the Pedone charges) with minimum distance 1.6 Å.

The Pedone C/r^12 term has no LAMMPS 2022 pair style. It is written as lj/cut(eps = C/4, sigma = 1 Å),
which gives C/r^12 - C/r^6, plus buck(A = 0, C' = -C), which adds +C/r^6: the r^-6 parts cancel to
round-off (~1e-16 relative), so the comparison is exact instead of limited by table interpolation.
"""
import os
import subprocess
import sys

import numpy as np

SPECIES = ["Li", "P", "O", "N"]
MASS = {"Li": 6.94, "P": 30.973762, "O": 15.999, "N": 14.007}
CHARGE = {"Li": 0.6, "P": 3.0, "O": -1.2, "N": -1.8}

# Pedone et al. 2006 (Li-O, P-O, O-O) and the labelled non-physical N extension (spec section C.3).
PEDONE = {
    ("Li", "O"): (0.001114, 3.429506, 2.681360, 1.0),
    ("P", "O"): (0.831326, 2.585833, 1.800790, 1.0),
    ("O", "O"): (0.042395, 1.379316, 3.618701, 22.0),
    ("P", "N"): (0.831326, 2.585833, 1.90, 1.0),
    ("Li", "N"): (0.001114, 3.429506, 2.78, 1.0),
    ("N", "N"): (0.042395, 1.379316, 3.70, 22.0),
    ("O", "N"): (0.042395, 1.379316, 3.70, 22.0),
}
# Test-only Born-Mayer-Huggins parameters (A eV, rho Å, sigma Å, C eV Å^6, D eV Å^8): not a physical fit.
BORN = {
    ("Li", "O"): (420.0, 0.26, 0.0, 1.0, 0.5),
    ("Li", "N"): (450.0, 0.27, 0.0, 1.2, 0.6),
    ("P", "O"): (1200.0, 0.25, 0.1, 5.0, 2.0),
    ("P", "N"): (1300.0, 0.26, 0.1, 6.0, 2.5),
    ("O", "O"): (1500.0, 0.28, 0.2, 28.0, 10.0),
    ("O", "N"): (1550.0, 0.285, 0.2, 30.0, 11.0),
    ("N", "N"): (1600.0, 0.29, 0.2, 32.0, 12.0),
}
# Test-only Lennard-Jones parameters (epsilon eV, sigma Å) for every pair.
LJ_SPECIES = {"Li": (0.010, 1.6), "P": (0.020, 2.0), "O": (0.015, 2.2), "N": (0.016, 2.3)}


def lj_pair(a, b):
    ea, sa = LJ_SPECIES[a]
    eb, sb = LJ_SPECIES[b]
    return (np.sqrt(ea * eb), 0.5 * (sa + sb))


def lookup(table, a, b):
    return table.get((a, b), table.get((b, a)))


def crystal(rep=(4, 3, 3)):
    """beta-Li3PO4 (spec appendix, mp-13725), 4x3x3 supercell: 576 atoms, orthorhombic ("small": 2x2x2,
    128 atoms, every cell length below the 8 Å Coulomb cutoff + 1 Å skin)."""
    cell0 = np.diag([6.176136, 5.296402, 4.922448])
    frac = [
        ("Li", 0.000000, 0.844520, 0.509417), ("Li", 0.500000, 0.155480, 0.009417),
        ("Li", 0.747127, 0.326434, 0.508363), ("Li", 0.752873, 0.673566, 0.008363),
        ("Li", 0.247127, 0.673566, 0.008363), ("Li", 0.252873, 0.326434, 0.508363),
        ("O", 0.207138, 0.313509, 0.107010), ("O", 0.500000, 0.103508, 0.602126),
        ("O", 0.500000, 0.818396, 0.185191), ("O", 0.000000, 0.181604, 0.685191),
        ("O", 0.707138, 0.686491, 0.607010), ("O", 0.792862, 0.313509, 0.107010),
        ("O", 0.000000, 0.896492, 0.102126), ("O", 0.292862, 0.686491, 0.607010),
        ("P", 0.500000, 0.824261, 0.501420), ("P", 0.000000, 0.175739, 0.001420),
    ]
    species, pos = [], []
    for i in range(rep[0]):
        for j in range(rep[1]):
            for k in range(rep[2]):
                for s, fx, fy, fz in frac:
                    species.append(s)
                    pos.append((np.array([fx + i, fy + j, fz + k]) / rep) % 1.0)
    cell = cell0 * np.array(rep)[:, None]
    return species, np.array(pos) @ cell, cell


def random_packing(seed=12345):
    """544-atom random Li-P-O-N packing in a restricted-triclinic cell, minimum distance 1.6 Å."""
    rng = np.random.default_rng(seed)
    cell = np.array([[17.5, 0.0, 0.0], [3.0, 16.5, 0.0], [-2.5, 2.0, 17.8]])
    species = ["Li"] * (50 * 3 + 12 * 7) + ["P"] * 62 + ["O"] * 200 + ["N"] * 48
    rng.shuffle(species)
    inv = np.linalg.inv(cell)
    pos = []
    shifts = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)]) @ cell
    for _ in species:
        for _attempt in range(100000):
            x = rng.random(3) @ cell
            if not pos:
                break
            d = np.array(pos)[:, None, :] - x[None, None, :] + shifts[None, :, :]
            if np.min(np.einsum("ijk,ijk->ij", d, d)) > 1.6 ** 2:
                break
        else:
            raise RuntimeError("random packing failed")
        pos.append(x)
    pos = np.array(pos)
    frac = (pos @ inv) % 1.0
    return species, frac @ cell, cell


def write_structure(path, species, pos, cell, vel):
    with open(path, "w") as f:
        f.write(f"{len(species)}\n")
        f.write(" ".join(f"{v:.17g}" for v in cell.reshape(-1)) + "\n1 1 1\n")
        for s, x, v in zip(species, pos, vel):
            f.write(f"{s} {x[0]:.17g} {x[1]:.17g} {x[2]:.17g} {v[0]:.17g} {v[1]:.17g} {v[2]:.17g}\n")


def write_data(path, species, pos, cell, vel, charges):
    types = {s: i + 1 for i, s in enumerate(SPECIES)}
    with open(path, "w") as f:
        f.write("e3md classical parity\n\n")
        f.write(f"{len(species)} atoms\n{len(SPECIES)} atom types\n\n")
        f.write(f"0 {cell[0,0]:.17g} xlo xhi\n0 {cell[1,1]:.17g} ylo yhi\n0 {cell[2,2]:.17g} zlo zhi\n")
        f.write(f"{cell[1,0]:.17g} {cell[2,0]:.17g} {cell[2,1]:.17g} xy xz yz\n\nMasses\n\n")
        for s in SPECIES:
            f.write(f"{types[s]} {MASS[s]}\n")
        f.write("\nAtoms # charge\n\n")
        for i, (s, x) in enumerate(zip(species, pos)):
            q = charges[s] if charges else 0.0
            f.write(f"{i+1} {types[s]} {q} {x[0]:.17g} {x[1]:.17g} {x[2]:.17g}\n")
        f.write("\nVelocities\n\n")
        for i, v in enumerate(vel):
            f.write(f"{i+1} {v[0]:.17g} {v[1]:.17g} {v[2]:.17g}\n")


def pair_keys():
    for i, a in enumerate(SPECIES):
        for b in SPECIES[i:]:
            yield i + 1, a, b


def potential(form, shift):
    """Returns (yaml text, LAMMPS pair commands, charges or None)."""
    y = [f"style: {form}" + ("/coul/dsf" if form != "lj" else "") if form != "lj" else "style: lj/cut"]
    y.append("comment: test parameters generated by tests/classical/lammps_reference.py")
    lmp = []
    charges = None if form == "lj" else CHARGE
    sr_cut = {"born": 6.0, "buck": 6.0, "pedone": 5.5, "lj": 8.0}[form]
    y.append(f"cutoff: {sr_cut}")
    if charges:
        y += ["alpha: 0.25", "coulomb_cutoff: 8.0"]
    if shift:
        y.append("shift: true")
    y.append("species:")
    for s in SPECIES:
        y.append(f"  {s}: {{mass: {MASS[s]}" + (f", charge: {CHARGE[s]}}}" if charges else "}"))
    y.append("pairs:")
    t = {s: i + 1 for i, s in enumerate(SPECIES)}
    if form == "born":
        lmp.append(f"pair_style born/coul/dsf 0.25 {sr_cut} 8.0")
    elif form == "buck":
        lmp.append(f"pair_style hybrid/overlay buck {sr_cut} coul/dsf 0.25 8.0")
        lmp.append("pair_coeff * * coul/dsf")
    elif form == "pedone":
        lmp.append(f"pair_style hybrid/overlay morse {sr_cut} lj/cut {sr_cut} buck {sr_cut} coul/dsf 0.25 8.0")
        lmp.append("pair_coeff * * coul/dsf")
    else:
        lmp.append(f"pair_style lj/cut {sr_cut}")
    for _, a, b in pair_keys():
        i, j = sorted((t[a], t[b]))
        if form == "born":
            p = lookup(BORN, a, b)
            if p is None:
                y.append(f"  {a}-{b}: none")
                lmp.append(f"pair_coeff {i} {j} 0.0 1.0 0.0 0.0 0.0")
            else:
                y.append(f"  {a}-{b}: {{A: {p[0]}, rho: {p[1]}, sigma: {p[2]}, C: {p[3]}, D: {p[4]}}}")
                lmp.append(f"pair_coeff {i} {j} {p[0]} {p[1]} {p[2]} {p[3]} {p[4]}")
        elif form == "buck":
            p = lookup(BORN, a, b)
            if p is None:
                y.append(f"  {a}-{b}: none")
            else:
                y.append(f"  {a}-{b}: {{A: {p[0]}, rho: {p[1]}, C: {p[3]}}}")
                lmp.append(f"pair_coeff {i} {j} buck {p[0]} {p[1]} {p[3]}")
        elif form == "pedone":
            p = lookup(PEDONE, a, b)
            if p is None:
                y.append(f"  {a}-{b}: none")
            else:
                y.append(f"  {a}-{b}: {{D0: {p[0]}, alpha: {p[1]}, r0: {p[2]}, C: {p[3]}}}")
                lmp.append(f"pair_coeff {i} {j} morse {p[0]} {p[1]} {p[2]}")
                lmp.append(f"pair_coeff {i} {j} lj/cut {p[3] / 4.0!r} 1.0")
                lmp.append(f"pair_coeff {i} {j} buck 0.0 1.0 {-p[3]!r}")
        else:
            e, s = lj_pair(a, b)
            y.append(f"  {a}-{b}: {{epsilon: {e!r}, sigma: {s!r}}}")
            lmp.append(f"pair_coeff {i} {j} {e!r} {s!r}")
    if shift:
        lmp.append("pair_modify shift yes")
    return "\n".join(y) + "\n", lmp, charges


def velocities(species, temperature, seed=7):
    rng = np.random.default_rng(seed)
    m = np.array([MASS[s] for s in species])
    kb, mvv2e = 8.617343e-5, 1.0364269e-4
    v = rng.normal(size=(len(species), 3)) * np.sqrt(kb * temperature / (m * mvv2e))[:, None]
    v -= (m[:, None] * v).sum(0) / m.sum()
    t = (m[:, None] * v * v).sum() * mvv2e / ((3 * len(species) - 3) * kb)
    return v * np.sqrt(temperature / t)


def run_lammps(out, lines):
    with open(os.path.join(out, "in.lmp"), "w") as f:
        f.write("\n".join(lines) + "\n")
    # Started from a test that itself runs under mpirun, lmp would inherit the launcher's variables and try to join
    # that job in MPI_Init; without them it starts as a singleton.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_", "PMIX_", "OPAL_", "PRTE_"))}
    r = subprocess.run(["lmp", "-in", "in.lmp", "-log", "log.lammps", "-screen", "none"], cwd=out,
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        tail = open(os.path.join(out, "log.lammps")).read()[-2000:] if os.path.exists(os.path.join(out, "log.lammps")) else ""
        raise RuntimeError(f"lmp failed ({r.returncode}): {r.stdout[-1000:]} {r.stderr[-1000:]} {tail}")


def read_dump(path):
    rows = []
    with open(path) as f:
        lines = f.readlines()
    n = int(lines[3])
    for line in lines[9:9 + n]:
        rows.append([float(v) for v in line.split()])
    rows.sort(key=lambda r: r[0])
    return np.array(rows)[:, 1:]


def main():
    out, case = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    parts = case.split("-")
    if parts[0] == "nve":
        form, config, shift = parts[1], "crystal", False
    else:
        form, config, shift = parts[0], parts[1], len(parts) > 2 and parts[2] == "shift"
    if config == "crystal":
        species, pos, cell = crystal()
    elif config == "small":
        species, pos, cell = crystal((2, 2, 2))
    else:
        species, pos, cell = random_packing()
    vel = velocities(species, 600.0) if parts[0] == "nve" else np.zeros_like(pos)
    ytext, pair_lines, charges = potential(form, shift)
    with open(os.path.join(out, "potential.yaml"), "w") as f:
        f.write(ytext)
    write_structure(os.path.join(out, "structure.txt"), species, pos, cell, vel)
    write_data(os.path.join(out, "data.lmp"), species, pos, cell, vel, charges)
    head = ["units metal", "atom_style charge", "boundary p p p", "atom_modify map array", "read_data data.lmp"]
    head += pair_lines
    head += ["neighbor 1.0 bin", "neigh_modify every 1 delay 0 check yes",
             "compute vir all pressure NULL virial"]
    if parts[0] != "nve":
        lines = head + [
            "dump f all custom 1 forces.dump id fx fy fz", "dump_modify f format float %.17g sort id",
            "thermo_style custom step pe c_vir[1] c_vir[2] c_vir[3] c_vir[4] c_vir[5] c_vir[6] vol",
            "run 0",
            'print "RESULT $(pe:%.17g) $(c_vir[1]:%.17g) $(c_vir[2]:%.17g) $(c_vir[3]:%.17g) '
            '$(c_vir[4]:%.17g) $(c_vir[5]:%.17g) $(c_vir[6]:%.17g) $(vol:%.17g)" file result.txt',
        ]
        run_lammps(out, lines)
        vals = [float(v) for v in open(os.path.join(out, "result.txt")).read().split()[1:]]
        energy, p, vol = vals[0], np.array(vals[1:7]), vals[7]
        virial = p * vol / 1.6021765e6  # bar -> eV: W = P V / nktv2p
        forces = read_dump(os.path.join(out, "forces.dump"))
        with open(os.path.join(out, "ref.txt"), "w") as f:
            f.write(f"{energy:.17g}\n" + " ".join(f"{v:.17g}" for v in virial) + "\n")
            for fr in forces:
                f.write(f"{fr[0]:.17g} {fr[1]:.17g} {fr[2]:.17g}\n")
    else:
        lines = head + [
            "timestep 0.001", "fix 1 all nve",
            "thermo_style custom step pe ke etotal", "thermo_modify format float %.17g", "thermo 100",
            "dump x all custom 100 traj.dump id xu yu zu", "dump_modify x format float %.17g sort id",
            "run 1000",
        ]
        run_lammps(out, lines)
        rows = []
        log = open(os.path.join(out, "log.lammps")).read().splitlines()
        for i, line in enumerate(log):
            if line.split()[:4] == ["Step", "PotEng", "KinEng", "TotEng"]:
                for row in log[i + 1:]:
                    w = row.split()
                    if len(w) != 4 or not w[0].isdigit():
                        break
                    rows.append(w)
        with open(os.path.join(out, "nve_thermo.txt"), "w") as f:
            for w in rows:
                f.write(" ".join(w) + "\n")
        # Split the dump into one file per frame of unwrapped positions.
        with open(os.path.join(out, "traj.dump")) as f:
            lines = f.readlines()
        n = len(species)
        k = 0
        while k < len(lines):
            step = int(lines[k + 1])
            frame = sorted(([float(v) for v in l.split()] for l in lines[k + 9:k + 9 + n]), key=lambda r: r[0])
            if step in (100, 1000):
                with open(os.path.join(out, f"nve_x{step}.txt"), "w") as f:
                    for r in frame:
                        f.write(f"{r[1]:.17g} {r[2]:.17g} {r[3]:.17g}\n")
            k += 9 + n


if __name__ == "__main__":
    main()
