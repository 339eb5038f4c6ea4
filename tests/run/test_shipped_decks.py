#!/usr/bin/env python3
"""Every shipped deck (inputs/decks/*.yaml and inputs/decks/study/*.yaml) is valid: `e3md run --dry-run` builds its
system, loads its potential and prints a plan with all its stages. NequIP decks run with `--model` (a Li-P-O-N
model), which must replace the deck's own model file; interface decks read the LiPON block a melt-quench run writes,
so a small amorphous block stands in for it. A model that lacks a species of the system is refused with the
species named.

    test_shipped_decks.py --e3md E3MD --model LIPON.h5 [--other-model LI_O.h5] --work DIR
"""
import argparse
import pathlib
import re
import shutil

from run_support import ROOT, Runner, check, fail


def localised(deck_path, work):
    """The deck's text with its relative paths made absolute and its outputs sent to `work`."""
    text = deck_path.read_text()
    base = deck_path.parent

    def absolute(m):
        return f"{m.group(1)}{(base / m.group(2)).resolve()}"

    text = re.sub(r"((?:classical|model): )(\.\.?/\S+)", absolute, text)
    text = re.sub(r"directory: \S+", f"directory: {work / 'out'}", text)
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--e3md", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--other-model", default="")
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    work = pathlib.Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    run = Runner(args.e3md, "")
    block = work / "block.xyz"
    run.run(["build", "amorphous", "--composition", "Li3PO3.3N0.5", "--units", "4", "--density", "2.3", "--seed", "5",
             "--lateral", "16.96", "19.3848",
             "-o", block])

    decks = sorted((ROOT / "inputs" / "decks").glob("*.yaml")) + sorted((ROOT / "inputs" / "decks" / "study").glob("*.yaml"))
    check(len(decks) >= 12, f"{len(decks)} shipped decks")
    for deck in decks:
        text = localised(deck, work)
        text = re.sub(r"block: \S+", f"block: {block}", text)
        local = work / deck.name
        local.write_text(text)
        nequip = "model:" in text
        extra = ["--model", args.model] if nequip else []
        p = run.run(["run", local, "--dry-run"] + extra, check_rc=False)
        if p.returncode:
            fail(f"{deck.relative_to(ROOT)}: dry run failed: {p.stderr.strip()[-800:]}")
        stages = len(re.findall(r"^\s*- \{?name:", text, flags=re.M))
        listed = len(re.findall(r"^\s+\d+\. ", p.stdout, flags=re.M))
        check(listed == stages and f"{stages} stages" in p.stdout,
              f"{deck.relative_to(ROOT)}: plan of {listed} stages" + (" (with --model)" if nequip else ""))

    if args.other_model:
        study = ROOT / "inputs" / "decks" / "study" / "melt_quench_via900.yaml"
        local = work / "wrong_model.yaml"
        local.write_text(localised(study, work))
        p = run.run(["run", local, "--dry-run", "--model", args.other_model], check_rc=False)
        line = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
        check(p.returncode != 0 and "e3md: error:" in line and "'P'" in line,
              f"a model without P is refused: {line}")
    p = run.run(["run", work / decks[0].name, "--dry-run", "--model", work / "nope.h5"], check_rc=False)
    check(p.returncode != 0 and "--model" in p.stderr and "nope.h5" in p.stderr, "a missing --model file is named")
    print("all shipped decks are valid")


if __name__ == "__main__":
    main()
