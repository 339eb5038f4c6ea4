#!/usr/bin/env python3
"""`e3md run` on bad input: each of these decks (YAML and schema errors, missing or damaged files, structures the
potential cannot take, builder errors, bad restarts) gives exactly one error line `e3md: error: <where>: ...` that
names the file (and line:column where the deck is at fault), a non-zero exit, no hang, and leaves the outputs of
an earlier good run in the same output folder byte-for-byte unchanged.

    test_bad_decks.py --e3md E3MD --mpiexec "mpiexec -np N ..." --work DIR
"""
import argparse
import pathlib
import re
import shutil
import subprocess

from run_support import PEDONE, Runner, check, checkpoints, crystal_system, fail, sha256, standard_output, write_deck

GOOD_STAGES = ["{name: md, type: nvt, timestep: 0.001, steps: 100, temperature: 600}"]
XYZ_HEADER = 'Lattice="{a} 0 0 0 {a} 0 0 0 {a}" Properties=species:S:1:pos:R:3 pbc="{p}"'


def xyz(path, atoms, a=12.0, pbc="T T T"):
    lines = [str(len(atoms)), XYZ_HEADER.format(a=a, p=pbc)] + [f"{s} {x} {y} {z}" for s, x, y, z in atoms]
    path.write_text("\n".join(lines) + "\n")
    return path


def cases(w):
    """(name, deck text or None, extra args, [regex the error line must match])."""
    li3po4 = [("Li", 0, 0, 0), ("Li", 3, 0, 0), ("Li", 0, 3, 0), ("P", 6, 6, 6),
              ("O", 7.5, 6, 6), ("O", 6, 7.5, 6), ("O", 6, 6, 7.5), ("O", 4.5, 6, 6)]
    files = {
        "cl.xyz": lambda p: xyz(p, li3po4 + [("Cl", 9, 9, 9)]),
        "overlap.xyz": lambda p: xyz(p, li3po4 + [("Li", 0.1, 0, 0)]),
        "truncated.xyz": lambda p: p.write_text("8\n" + XYZ_HEADER.format(a=12, p="T T T") + "\nLi 0 0 0\nLi 3 0\n"),
        "flat.xyz": lambda p: xyz(p, li3po4, a=4.0, pbc="T T F"),
        "garbage.h5": lambda p: p.write_bytes(b"not an HDF5 file at all\n" * 10),
        "badpot.yaml": lambda p: p.write_text(PEDONE.read_text().replace("  P-O: {D0", "  P-X: {D0")),
        "nan.xyz": lambda p: xyz(p, li3po4[:-1] + [("O", "nan", 6, 6)]),
        "truncated_ckpt.h5": lambda p: p.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100),
    }
    for name, make in files.items():
        make(w / name)

    def deck(system=None, potential=None, stages=None, extra=""):
        return dict(system=system, potential=potential, stages=stages or GOOD_STAGES, extra=extra)

    s = lambda f: f"  structure: {w / f}\n"  # noqa: E731
    return [
        ("yaml syntax", "system: [unclosed\n", [], [r"deck\.yaml:\d+:\d+: YAML syntax error"]),
        ("tab indentation", "system:\n\tstructure: x\n", [], [r"deck\.yaml:\d+:\d+"]),
        ("empty deck", "", [], [r"deck\.yaml.*empty"]),
        ("unknown key", deck(extra="seeed: 3\n"), [], [r"deck\.yaml:\d+:1: .*did you mean `seed`"]),
        ("misspelled stage key", deck(stages=["{name: md, type: nvt, timestpe: 0.001, steps: 10, temperature: 600}"]),
         [], [r"deck\.yaml:\d+:\d+: .*did you mean `timestep`"]),
        ("negative timestep", deck(stages=["{name: md, type: nve, timestep: -0.001, steps: 10}"]), [],
         [r"deck\.yaml:\d+:\d+: .*positive"]),
        ("timestep in fs", deck(stages=["{name: md, type: nve, timestep: 1, steps: 10}"]), [], [r"is in ps"]),
        ("string for a number", deck(stages=["{name: md, type: nvt, steps: 10, temperature: warm}"]), [],
         [r"deck\.yaml:\d+:\d+: .*number"]),
        ("unknown stage type", deck(stages=["{name: md, type: nvx, steps: 10, temperature: 300}"]), [],
         [r"deck\.yaml:\d+:\d+: .*did you mean"]),
        ("nvt without temperature", deck(stages=["{name: md, type: nvt, steps: 10}"]), [], [r"needs `temperature`"]),
        ("npt with langevin", deck(stages=["{name: md, type: npt, steps: 10, temperature: 300, thermostat: "
                                           "{kind: langevin}}"]), [], [r"Nosé–Hoover"]),
        ("two stage lengths", deck(stages=["{name: md, type: nve, steps: 10, duration: 1.0}"]), [], [r"length twice"]),
        ("duplicate stage names", deck(stages=GOOD_STAGES * 2), [], [r"used twice"]),
        ("missing structure file", deck(system=s("nope.xyz")), [], [r"deck\.yaml:\d+:\d+: .*nope\.xyz.*not found"]),
        ("missing potential file", deck(potential=f"  classical: {w / 'nope.yaml'}\n"), [], [r"not found"]),
        ("missing model file", deck(potential=f"  model: {w / 'nope.h5'}\n"), [], [r"not found"]),
        ("float32 with classical", deck(potential=f"  classical: {PEDONE}\n  precision: float32\n"), [],
         [r"NequIP models only"]),
        ("damaged model file", deck(potential=f"  model: {w / 'garbage.h5'}\n"), [], [r"garbage\.h5"]),
        ("potential missing a pair", deck(potential=f"  classical: {w / 'badpot.yaml'}\n"), [], [r"badpot\.yaml"]),
        ("species unknown to the potential", deck(system=s("cl.xyz")), [], [r"cl\.xyz.*'Cl'"]),
        ("overlapping atoms", deck(system=s("overlap.xyz")), [], [r"overlap\.xyz.*apart"]),
        ("truncated structure", deck(system=s("truncated.xyz")), [], [r"truncated\.xyz:\d+"]),
        ("NaN coordinate", deck(system=s("nan.xyz")), [], [r"nan\.xyz"]),
        ("box too small along a vacuum axis", deck(system=s("flat.xyz")), [], [r"flat\.xyz.*(non-periodic|box)"]),
        ("unknown crystal", deck(system="  build: {crystal: Unobtainium}\n"), [], [r"deck\.yaml:\d+.*Unobtainium"]),
        ("impossible density", deck(system="  build: {amorphous: {composition: Li3PO4, units: 4, density: 40}}\n"),
         [], [r"deck\.yaml:\d+.*density"]),
        ("zero Miller index", deck(system="  build: {crystal: Li, slab: {miller: [0, 0, 0], layers: 4, vacuum: 10}}\n"),
         [], [r"deck\.yaml:\d+.*[Mm]iller"]),
        ("strain beyond 50 %", deck(system="  build: {crystal: Li, strain: {kind: hydrostatic, value: 0.7}}\n"), [],
         [r"deck\.yaml:\d+.*50"]),
        ("grid not matching the ranks", deck(extra="decomposition: [2, 1, 1]\n"), [], [r"deck\.yaml:\d+:\d+: `decomposition` \[2, 1, 1\] needs 2 MPI ranks"]),
        ("misspelt analysis option", deck(extra="analysis:\n  rdf: {pair: Li-O, plot: true}\n"), [],
         [r"deck\.yaml:\d+:\d+: unknown option `pair` of analysis `rdf`; did you mean `pairs`"]),
        ("restart from a missing checkpoint", deck(), ["--restart", w / "nope.h5"], [r"nope\.h5"]),
        ("restart from a damaged checkpoint", deck(), ["--restart", w / "truncated_ckpt.h5"], [r"truncated_ckpt\.h5"]),
        ("restart with a deck of fewer stages", "SHORT_RESTART", [], [r"stage"]),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--e3md", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    work = pathlib.Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    (work / "files").mkdir(parents=True)
    run = Runner(args.e3md, "")

    # An earlier good run whose outputs every bad deck below points at.
    two = GOOD_STAGES + ["{name: more, type: nve, timestep: 0.001, steps: 100}"]
    good = write_deck(work / "deck.yaml", two, output=standard_output(ckpt_every=100), extra="velocities: {temperature: 600}\n")
    run.run(["run", good])
    outputs = sorted(p for p in (work / "out").iterdir())
    before = {p.name: sha256(p) for p in outputs}
    check(len(before) >= 3, f"good run wrote {sorted(before)}")
    last_ckpt = checkpoints(work / "out")[-1]

    all_cases = cases(work / "files")
    check(len(all_cases) >= 30, f"{len(all_cases)} bad decks")
    failures = 0
    for name, text, extra_args, patterns in all_cases:
        deck_path = work / "deck.yaml"
        if text == "SHORT_RESTART":
            write_deck(deck_path, GOOD_STAGES[:1], output=standard_output(ckpt_every=100))
            extra_args = ["--restart", last_ckpt]
        elif isinstance(text, str):
            deck_path.write_text(text)
        else:
            write_deck(deck_path, text["stages"], system=text["system"], potential=text["potential"],
                       output=standard_output(ckpt_every=100), extra=text["extra"])
        try:
            p = run.run(["run", deck_path] + list(extra_args), timeout=60, check_rc=False)
        except subprocess.TimeoutExpired:
            print(f"FAIL {name}: hung (no exit within 60 s)")
            failures += 1
            continue
        lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
        problems = []
        if p.returncode == 0:
            problems.append("exit code 0")
        if p.returncode < 0 or p.returncode > 125:
            problems.append(f"crashed (rc {p.returncode})")
        if len(lines) != 1:
            problems.append(f"{len(lines)} stderr lines")
        line = lines[-1] if lines else ""
        if not line.startswith("e3md: error: "):
            problems.append("no `e3md: error:` line")
        for pat in patterns:
            if not re.search(pat, line):
                problems.append(f"does not match /{pat}/")
        after = {q.name: sha256(q) for q in sorted((work / "out").iterdir()) if q.name in before}
        if after != before:
            problems.append("earlier outputs changed: " + ", ".join(k for k in before if after.get(k) != before[k]))
        status = "FAIL" if problems else "ok"
        print(f"{status:4} {name}: rc={p.returncode} {line}" + (f"  <-- {'; '.join(problems)}" if problems else ""))
        failures += bool(problems)
    if failures:
        fail(f"{failures} of {len(all_cases)} bad decks handled badly")
    print(f"all {len(all_cases)} bad decks rejected cleanly")


if __name__ == "__main__":
    main()
