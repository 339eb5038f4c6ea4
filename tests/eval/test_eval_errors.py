#!/usr/bin/env python3
"""`e3md eval` refuses bad input with one line that names the file or option and says what to do, exits
non-zero, and leaves an existing output file as it was."""
import argparse
import pathlib
import re
import shutil
import subprocess
import sys

GOOD_XYZ = """2
Lattice="6 0 0 0 6 0 0 0 6" Properties=species:S:1:pos:R:3 pbc="T T T"
Li 0 0 0
O 1.9 0 0
"""


def main():
    ap = argparse.ArgumentParser()
    for k in ("--e3md", "--model", "--potential", "--work"):
        ap.add_argument(k, required=True)
    args = ap.parse_args()
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    good = work / "good.xyz"
    good.write_text(GOOD_XYZ)
    (work / "unknown_species.xyz").write_text(GOOD_XYZ.replace("O 1.9", "Cl 1.9"))
    (work / "empty.xyz").write_text("0\nLattice=\"6 0 0 0 6 0 0 0 6\" Properties=species:S:1:pos:R:3\n")
    (work / "garbage.xyz").write_text("two\nnot a comment line\nLi x y z\n")
    (work / "overlap.xyz").write_text(GOOD_XYZ.replace("O 1.9 0 0", "O 0.01 0 0"))
    keep = work / "keep.json"
    sentinel = '{"previous": "result"}\n'

    model = ["--model", args.model]
    cases = [
        ("missing structure", model + ["--structure", str(work / "nope.xyz")], r"nope\.xyz"),
        ("missing model", ["--model", str(work / "nope.h5"), "--structure", str(good)], r"nope\.h5"),
        ("unknown species", model + ["--structure", str(work / "unknown_species.xyz")],
         r"unknown_species\.xyz.*'Cl'.*(Li|O)"),
        ("empty structure", model + ["--structure", str(work / "empty.xyz")], r"empty\.xyz.*no atoms"),
        ("malformed structure", model + ["--structure", str(work / "garbage.xyz")], r"garbage\.xyz"),
        ("overlapping atoms", model + ["--structure", str(work / "overlap.xyz")], r"overlap\.xyz.*(atoms|Å|apart)"),
        ("no potential", ["--structure", str(good)], r"--model .*--potential"),
        ("unknown format", model + ["--structure", str(good), "--format", "csv"], r"--format csv.*json or extxyz"),
        ("unknown precision", model + ["--structure", str(good), "--precision", "float16"],
         r"--precision float16.*float64.*float32"),
        ("unknown device", model + ["--structure", str(good), "--device", "gpu"], r"--device: device 'gpu'.*cpu or cuda"),
        ("unknown gpu-aware mode", model + ["--structure", str(good), "--device", "cuda", "--gpu-aware-mpi", "maybe"],
         r"--gpu-aware-mpi: gpu_aware_mpi 'maybe'.*auto.*true.*false"),
        ("cuda for classical", ["--potential", args.potential, "--structure", str(good), "--device", "cuda"],
         r"--device cuda.*classical.*CPU"),
        ("float32 classical", ["--potential", args.potential, "--structure", str(good), "--precision", "float32"],
         r"--precision float32.*classical.*float64"),
    ]
    if shutil.which("nvidia-smi") is None:  # no GPU here: device cuda is refused by any build, with the fix
        cases.append(("cuda unavailable", model + ["--structure", str(good), "--device", "cuda"],
                      r"(-DE3MD_CUDA=ON|no CUDA device is visible).*device: cpu"))
    failures = 0
    for name, extra, pattern in cases:
        keep.write_text(sentinel)
        cmd = [args.e3md, "eval"] + extra + ["-o", str(keep)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        problems = []
        if res.returncode == 0:
            problems.append("exit code 0")
        if not lines or not re.search(pattern, lines[-1]):
            problems.append(f"last stderr line does not match /{pattern}/")
        if len(lines) != 1:
            problems.append(f"{len(lines)} stderr lines, expected one")
        if keep.read_text() != sentinel:
            problems.append("existing output file changed")
        status = "ok" if not problems else "FAIL: " + "; ".join(problems)
        print(f"{name:22s} rc={res.returncode} {status}\n    stderr: {res.stderr.strip()}")
        failures += bool(problems)
    # The good structure still works, in both precisions, so the refusals above are about the input and not
    # the set-up.
    for precision in ("float64", "float32"):
        res = subprocess.run([args.e3md, "eval"] + model + ["--structure", str(good), "-o", str(keep),
                                                             "--precision", precision], capture_output=True, text=True)
        if res.returncode != 0 or f'"precision": "{precision}"' not in keep.read_text():
            print(f"good structure, {precision}: rc={res.returncode} FAIL\n{res.stderr}")
            failures += 1
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
