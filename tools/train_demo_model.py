#!/usr/bin/env python3
"""Train the shipped demo NequIP model (inputs/models/demo_lipon.h5) with e3md's own pipeline.

    .venv/bin/python tools/train_demo_model.py [--from STAGE] [--only STAGE]

No DFT can run here, so the classical Pedone-form potential inputs/potentials/pedone_lipon.yaml stands in
for it as the teacher: every label (energy, forces, stress) is that potential's, computed by `e3md eval`.
The model is therefore a NequIP fit of a classical potential, good for demonstrations, tests and benchmarks,
not for LiPON science. Two training rounds; every stage writes under out/demo_model/ (git-ignored) except
the last three:

  structures  `e3md build dataset` (base crystals, slabs), `e3md build strain-series`, `e3md build defects`
              over the charge-neutral Li-P-O-N crystals; melt-quench snapshots of amorphous LiPON and Li3PO4
              and of hot liquid LiPON (`e3md run inputs/decks/training/amorphous_*.yaml`, classical MD,
              300-4000 K); classical relaxations of random packings, a frame every doubling of the FIRE
              iterations (relax_*.yaml)
  label       `e3md eval --potential pedone_lipon.yaml --format extxyz`, one call per frame
  split       train / validation / held-out test, stratified by kind of frame, fixed seed
  train       round 1: nequip-train 0.6.1 on the CPU with tools/demo_model/nequip.yaml (seeds fixed there)
  exploreK    (K = 2 .. ROUNDS) the round K-1 model (exported to out/demo_model/explore_model.h5) runs the
              demo's kind of MD on small cells (inputs/decks/training/explore_*.yaml, 2 ranks): a young model
              drifts into wrong, collapsed states that MD with the teacher never visits, and the teacher's
              labels of those states teach it why they are wrong
  labelK      classical labels of the new frames; frames with a force above MAX_FORCE, or atoms closer than
              e3md accepts, are dropped
  splitK      the new frames split like the first ones and added to the previous split
  trainK      round K: nequip_round2.yaml, continuing from round K-1's weights on all frames so far
  export      tools/export_nequip.py --train-dir -> inputs/models/demo_lipon.h5
  evaluate    `e3md eval --model demo_lipon.h5` on every frame; errors per split into
              inputs/models/demo_lipon.errors.json; the held-out set into inputs/models/demo_lipon_test.xyz
  card        inputs/models/demo_lipon.md from tools/demo_model/card_template.md

Everything is seeded (builders, MD decks, split, nequip; the exploration runs on a fixed 2 ranks), so a rerun
regenerates the committed files up to the floating-point reduction order of the training threads. Not run in
CI (tens of minutes).
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import re
import resource
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
CLASSICAL = ROOT / "inputs/potentials/pedone_lipon.yaml"
CONFIG = ROOT / "tools/demo_model/nequip.yaml"
CONFIG2 = ROOT / "tools/demo_model/nequip_round2.yaml"
WORK = ROOT / "out/demo_model"  # the training decks write below it too
CARD_TEMPLATE = ROOT / "tools/demo_model/card_template.md"
MODEL = ROOT / "inputs/models/demo_lipon.h5"
ERRORS = ROOT / "inputs/models/demo_lipon.errors.json"
TEST_SET = ROOT / "inputs/models/demo_lipon_test.xyz"
CARD = ROOT / "inputs/models/demo_lipon.md"
ROUNDS = 2  # round 1 on the builder and classical frames, then one exploration round
STAGES = ["structures", "label", "split", "train"] + [
    f"{s}{k}" for k in range(2, ROUNDS + 1) for s in ("explore", "label", "split", "train")] + [
    "export", "evaluate", "card"]

# Crystals whose formal composition is neutral with the teacher's fixed charges (Li +0.6, P +3, O −1.2,
# N −1.8: x_Li + 5 x_P = 2 x_O + 3 x_N). The other shipped crystals (Li metal, Li2O2, LiO8, the Li-P
# phosphides, LiN3) would carry a net charge under this potential, and their labels would be meaningless.
CRYSTALS = ["Li2O", "Li3N", "Li3PO4", "Li4P2O7", "Li2PO2N", "P3N5", "PON", "LiPN2", "P2O5", "LiPO3", "Li7PN4"]
# Small cells (≤ 32 atoms) also get strain series; the three large ones enter only as base structures.
STRAINED = ["Li2O", "Li3N", "Li3PO4", "Li4P2O7", "Li2PO2N", "P3N5", "PON", "LiPN2"]
HYDROSTATIC = ("-0.06", "0.06", "0.04")      # min, max, step: −6, −2, +2, +6 % in volume
ORTHORHOMBIC = ("-0.04", "0.04", "0.08")     # −4, +4 % along a
MAX_SLAB_ATOMS = 32
DEFECTS = [("li-rich", 2), ("li-poor", 2)]   # Li3PO4 1×1×2 (32 atoms), seed 7
MD_DECKS = ["amorphous_lipon_a", "amorphous_lipon_b", "amorphous_li3po4", "amorphous_lipon_hot"]
RELAX_DECKS = ["relax_lipon_a", "relax_lipon_b", "relax_lipon_c", "relax_li3po4"]  # classical relaxations
EXPLORE_DECKS = ["explore_lipon_a", "explore_lipon_b"]  # round 2, the round-1 model
EXPLORE_RANKS = 2
EXPLORE_STRIDE = 1                           # every frame (every 25 steps) of the exploration runs
MAX_FORCE = 100.0                            # eV/Å: the random packings of round 1 reach ~75
SPLIT_SEED = 20242
SPLIT_FRACTIONS = {"val": 0.1, "test": 0.1}


def log(msg):
    print(f"[train_demo_model {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, cwd=None, env=None):
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, check=True)


# --- extended XYZ as text (the bytes e3md writes are the bytes every later step reads) -------------------

def read_frames(path):
    """Frames of an extxyz file as (header line, atom lines)."""
    lines = pathlib.Path(path).read_text().splitlines()
    out, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        n = int(lines[i])
        out.append((lines[i + 1], lines[i + 2:i + 2 + n]))
        i += n + 2
    return out


def write_frames(path, frames):
    text = "".join(f"{len(atoms)}\n{header}\n" + "".join(a + "\n" for a in atoms) for header, atoms in frames)
    pathlib.Path(path).write_text(text)


def header_value(header, key):
    m = re.search(r'(?:^|\s)' + re.escape(key) + r'=("([^"]*)"|\S+)', header)
    if not m:
        return None
    return m.group(2) if m.group(2) is not None else m.group(1)


def set_header_value(header, key, value):
    v = f'"{value}"' if " " in value else value
    if header_value(header, key) is None:
        return header + f" {key}={v}"
    return re.sub(r'((?:^|\s)' + re.escape(key) + r'=)("[^"]*"|\S+)', lambda m: m.group(1) + v, header, count=1)


def species_and_positions(frame):
    """The frame with only species and positions (drops velocities and image flags of MD snapshots)."""
    header, atoms = frame
    props = header_value(header, "Properties").split(":")
    cols, start = {}, 0
    for k in range(0, len(props), 3):
        width = int(props[k + 2])
        cols[props[k]] = (start, start + width)
        start += width
    s0, s1 = cols["species"]
    p0, p1 = cols["pos"]
    rows = []
    for line in atoms:
        t = line.split()
        rows.append(" ".join(t[s0:s1] + t[p0:p1]))
    return set_header_value(header, "Properties", "species:S:1:pos:R:3"), rows


# --- stages ---------------------------------------------------------------------------------------------

def md_snapshots(e3md, deck, folder, kind, ranks=1, stride=1, may_fail=False, keep_step0=False):
    """Runs a training deck (it writes snapshots.xyz under out/demo_model/<folder>/<deck>) and returns its frames,
    every `stride`-th; those of step 0 (the random packing and the minimised one) only with keep_step0."""
    md = WORK / folder / deck
    if md.exists():
        shutil.rmtree(md)
    cmd = [e3md, "run", ROOT / "inputs/decks/training" / f"{deck}.yaml"]
    if ranks > 1:
        cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(ranks)] + cmd
    try:
        run(cmd)
    except subprocess.CalledProcessError:
        if not may_fail:
            raise
        log(f"{deck}: the run stopped early (the model went astray); its frames up to there are kept")
    frames = [f for f in read_frames(md / "snapshots.xyz") if keep_step0 or header_value(f[0], "step") != "0"]
    frames = frames[::stride]
    return [(set_header_value(set_header_value(h, "config_type", kind), "run", deck), a) for h, a in frames]


def stage_structures(w, e3md):
    d = w / "structures"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    run([e3md, "build", "dataset", "--crystals", ",".join(CRYSTALS), "--no-strain", "--no-defects",
         "-o", d / "dataset.xyz"])
    frames = []
    for header, atoms in read_frames(d / "dataset.xyz"):
        kind = header_value(header, "config_type")
        if kind == "slab" and len(atoms) > MAX_SLAB_ATOMS:
            continue
        frames.append((header, atoms))
    for name in STRAINED:
        run([e3md, "build", "strain-series", "--crystal", name, "--kind", "hydrostatic", "--min", HYDROSTATIC[0],
             "--max", HYDROSTATIC[1], "--step", HYDROSTATIC[2], "-o", d / f"{name}_hydrostatic.xyz"])
        run([e3md, "build", "strain-series", "--crystal", name, "--kind", "orthorhombic", "--axis", "a",
             "--min", ORTHORHOMBIC[0], "--max", ORTHORHOMBIC[1], "--step", ORTHORHOMBIC[2],
             "-o", d / f"{name}_orthorhombic.xyz"])
        frames += read_frames(d / f"{name}_hydrostatic.xyz") + read_frames(d / f"{name}_orthorhombic.xyz")
    for kind, cap in DEFECTS:
        run([e3md, "build", "defects", "--crystal", "Li3PO4", "--supercell", "1", "1", "2", "--kind", kind,
             "--cap", str(cap), "--seed", "7", "-o", d / f"Li3PO4_{kind}.xyz"])
        frames += read_frames(d / f"Li3PO4_{kind}.xyz")
    for deck in MD_DECKS:
        frames += md_snapshots(e3md, deck, "md", "amorphous")
    for deck in RELAX_DECKS:
        frames += md_snapshots(e3md, deck, "md", "relaxation", keep_step0=True)
    frames = [species_and_positions(f) for f in frames]
    write_frames(w / "structures.xyz", frames)
    log(f"structures: {len(frames)} frames, {sum(len(a) for _, a in frames)} atoms -> {w / 'structures.xyz'}")


def eval_frames(e3md, frames, potential_args, tmp, workers=2, drop_overlaps=False):
    """`e3md eval` on each frame (one process per frame, `workers` at a time); returns the labelled frames. With
    drop_overlaps, a frame e3md refuses for overlapping atoms (a collapsed state) comes back as None."""
    tmp.mkdir(parents=True, exist_ok=True)

    def one(k):
        src, dst = tmp / f"in{k}.xyz", tmp / f"out{k}.xyz"
        write_frames(src, [frames[k]])
        r = subprocess.run([str(e3md), "eval", *potential_args, "--structure", str(src), "--format", "extxyz",
                            "-o", str(dst)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            if drop_overlaps and "apart (minimum" in r.stderr:
                src.unlink()
                return None
            raise SystemExit(f"e3md eval failed on frame {k} ({src}):\n{r.stderr}")
        out = read_frames(dst)
        src.unlink()
        dst.unlink()
        return out[0]

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(len(frames))))


def stage_label(w, e3md, src="structures.xyz", dst="labelled.xyz", max_force=None):
    frames = read_frames(w / src)
    t0 = time.time()
    labelled = eval_frames(e3md, frames, ["--potential", str(CLASSICAL)], w / "tmp_label",
                           drop_overlaps=max_force is not None)
    if max_force is not None:
        overlapping = sum(f is None for f in labelled)
        labelled = [f for f in labelled if f is not None]
        log(f"label: {overlapping} of {len(frames)} frames have atoms closer than e3md accepts and are dropped")
        keep = [f for f in labelled if max(abs(float(x)) for line in f[1] for x in line.split()[4:7]) <= max_force]
        log(f"label: {len(labelled) - len(keep)} of {len(labelled)} frames have a force above {max_force} eV/A "
            "and are dropped")
        labelled = keep
    write_frames(w / dst, labelled)
    log(f"label: {len(labelled)} frames in {time.time() - t0:.0f} s -> {w / dst}")


def kind_of(header):
    kind = header_value(header, "config_type")
    return "strain" if kind.startswith("strain") else "defect" if kind.startswith("defect") else kind


def stage_split(w, _, src="labelled.xyz", out="data", add_to=None, seed=SPLIT_SEED):
    frames = read_frames(w / src)
    rng = np.random.default_rng(seed)
    groups = {}
    for k, (header, _) in enumerate(frames):
        groups.setdefault(kind_of(header), []).append(k)
    split = {"train": [], "val": [], "test": []}
    for kind in sorted(groups):
        idx = np.array(groups[kind])
        rng.shuffle(idx)
        n_test = max(1, int(round(SPLIT_FRACTIONS["test"] * len(idx))))
        n_val = max(1, int(round(SPLIT_FRACTIONS["val"] * len(idx))))
        split["test"] += sorted(idx[:n_test].tolist())
        split["val"] += sorted(idx[n_test:n_test + n_val].tolist())
        split["train"] += sorted(idx[n_test + n_val:].tolist())
    data = w / out
    data.mkdir(exist_ok=True)
    for name, idx in split.items():
        chosen = ([] if add_to is None else read_frames(w / add_to / f"{name}.xyz")) + [frames[k] for k in sorted(idx)]
        write_frames(data / f"{name}.xyz", chosen)
        log(f"split: {name} {len(chosen)} frames, {sum(len(f[1]) for f in chosen)} atoms ({len(idx)} from {src})")
    (data / "split.json").write_text(json.dumps({k: sorted(v) for k, v in split.items()}, indent=1))


def stage_train(w, _, config=CONFIG, name="config.yaml", tag=""):
    import yaml
    cfg = yaml.safe_load(config.read_text())
    cfg["n_train"] = len(read_frames(w / cfg["dataset_file_name"]))
    cfg["n_val"] = len(read_frames(w / cfg["validation_dataset_file_name"]))
    (w / name).write_text(yaml.safe_dump(cfg, sort_keys=False))
    if (w / cfg["root"]).exists():
        shutil.rmtree(w / cfg["root"])
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    nequip_train = pathlib.Path(sys.executable).with_name("nequip-train")
    t0, cpu0 = time.time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    run([nequip_train, name], cwd=w, env=env)
    wall, cpu1 = time.time() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    (w / f"train{tag}_time.json").write_text(json.dumps({"wall_s": wall, "cpu_s": cpu,
                                                          "threads": env["OMP_NUM_THREADS"]}))
    log(f"train{tag}: {wall / 60:.1f} min wall, {cpu / 60:.1f} min CPU")


def train_dir(k):
    return "train" if k == 1 else f"train{k}"


def data_dir(k):
    return "data" if k == 1 else f"data{k}"


def stage_explore(w, e3md, k):
    """Round k's new frames: MD with the round k-1 model (exported to explore_model.h5, which the explore decks
    read)."""
    run([sys.executable, ROOT / "tools/export_nequip.py", "--train-dir", w / train_dir(k - 1) / "demo_lipon",
         "-o", w / "explore_model.h5", "--no-generated"])
    frames = []
    for deck in EXPLORE_DECKS:
        frames += md_snapshots(e3md, deck, "explore", "explore", ranks=EXPLORE_RANKS, stride=EXPLORE_STRIDE,
                               may_fail=True)
    frames = [(set_header_value(h, "round", str(k)), a) for h, a in map(species_and_positions, frames)]
    write_frames(w / f"structures{k}.xyz", frames)
    log(f"explore: {len(frames)} frames, {sum(len(a) for _, a in frames)} atoms -> {w / f'structures{k}.xyz'}")


def stage_train_round(w, e3md, k):
    """Round k continues from round k-1's best weights on all frames so far (nequip_round2.yaml, with the round's
    folders and seeds filled in)."""
    import yaml
    cfg = yaml.safe_load(CONFIG2.read_text())
    cfg.update(root=train_dir(k), seed=cfg["seed"] + 10 * (k - 2), dataset_seed=cfg["dataset_seed"] + 10 * (k - 2),
               initial_model_state=f"{train_dir(k - 1)}/demo_lipon/best_model.pth",
               dataset_file_name=f"{data_dir(k)}/train.xyz", validation_dataset_file_name=f"{data_dir(k)}/val.xyz")
    path = w / f"template_round{k}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    stage_train(w, e3md, path, f"config_round{k}.yaml", str(k))


def stage_export(w, _):
    MODEL.parent.mkdir(parents=True, exist_ok=True)
    run([sys.executable, ROOT / "tools/export_nequip.py", "--train-dir", w / train_dir(ROUNDS) / "demo_lipon",
         "-o", MODEL])


def errors(ref_frames, got_frames):
    """MAE and RMSE of energy per atom (meV/atom), force components (eV/Å) and stress components (GPa)."""
    de, df, ds = [], [], []
    for (hr, ar), (hg, ag) in zip(ref_frames, got_frames):
        n = len(ar)
        de.append((float(header_value(hg, "energy")) - float(header_value(hr, "energy"))) / n * 1000.0)
        fr = np.array([[float(x) for x in line.split()[4:7]] for line in ar])
        fg = np.array([[float(x) for x in line.split()[4:7]] for line in ag])
        df.append((fg - fr).reshape(-1))
        sr, sg = header_value(hr, "stress"), header_value(hg, "stress")
        if sr is not None and sg is not None:
            ds.append((np.array(sg.split(), float) - np.array(sr.split(), float)) * 160.21766208)  # eV/Å³ → GPa
    de, df = np.array(de), np.concatenate(df)
    ds = np.concatenate(ds) if ds else np.zeros(0)
    stat = lambda v: {"mae": float(np.mean(np.abs(v))), "rmse": float(np.sqrt(np.mean(v ** 2)))}  # noqa: E731
    return {"frames": len(ref_frames), "atoms": int(sum(len(a) for _, a in ref_frames)),
            "energy_meV_per_atom": stat(de), "forces_eV_per_A": stat(df), "stress_GPa": stat(ds)}


def check_properties(frames, where):
    for header, _ in frames:
        if header_value(header, "Properties") != "species:S:1:pos:R:3:forces:R:3":
            raise SystemExit(f"{where}: unexpected Properties {header_value(header, 'Properties')}")


def stage_evaluate(w, e3md):
    result = {"model": str(MODEL.relative_to(ROOT)), "teacher": str(CLASSICAL.relative_to(ROOT)), "splits": {}}
    for name in ("train", "val", "test"):
        ref = read_frames(w / data_dir(ROUNDS) / f"{name}.xyz")
        check_properties(ref, name)
        # The model sees the bytes of the labelled file minus the labels (the same positions to the last bit).
        inputs = [species_and_positions(f) for f in ref]
        got = eval_frames(e3md, inputs, ["--model", str(MODEL)], w / f"tmp_eval_{name}")
        write_frames(w / data_dir(ROUNDS) / f"{name}_model.xyz", got)
        result["splits"][name] = errors(ref, got)
        log(f"evaluate {name}: {json.dumps(result['splits'][name])}")
        if name == "test":  # the frames most like the demo's
            am = [k for k, (h, _) in enumerate(ref) if kind_of(h) == "amorphous"]
            result["splits"]["test_amorphous"] = errors([ref[k] for k in am], [got[k] for k in am])
    shutil.copyfile(w / data_dir(ROUNDS) / "test.xyz", TEST_SET)
    ERRORS.write_text(json.dumps(result, indent=1) + "\n")


def composition_table(frames):
    rows = {}
    for header, atoms in frames:
        kind = kind_of(header)
        r = rows.setdefault(kind, {"frames": 0, "atoms": 0, "names": set()})
        r["frames"] += 1
        r["atoms"] += len(atoms)
        r["names"].add(header_value(header, "crystal") or header_value(header, "run") or "")
    return rows


def stage_card(w, _):
    import yaml
    res = json.loads(ERRORS.read_text())
    cfg1 = yaml.safe_load((w / "config.yaml").read_text())
    cfgs = [cfg1] + [yaml.safe_load((w / f"config_round{k}.yaml").read_text()) for k in range(2, ROUNDS + 1)]
    frames = read_frames(w / "labelled.xyz")
    for k in range(2, ROUNDS + 1):
        frames += read_frames(w / f"labelled{k}.xyz")
    table = composition_table(frames)
    lines = ["| kind | frames | atoms | from |", "|---|---|---|---|"]
    for kind in sorted(table):
        r = table[kind]
        lines.append(f"| {kind} | {r['frames']} | {r['atoms']} | {', '.join(sorted(n for n in r['names'] if n))} |")
    lines.append(f"| **total** | **{len(frames)}** | **{sum(len(a) for _, a in frames)}** | |")
    err = ["| split | frames | atoms | energy MAE / RMSE (meV/atom) | force MAE / RMSE (eV/Å) | "
           "stress MAE / RMSE (GPa) |", "|---|---|---|---|---|---|"]
    for name in ("train", "val", "test", "test_amorphous"):
        s = res["splits"][name]
        e, f, st = s["energy_meV_per_atom"], s["forces_eV_per_A"], s["stress_GPa"]
        label = "test, amorphous frames only" if name == "test_amorphous" else name
        err.append(f"| {label} | {s['frames']} | {s['atoms']} | {e['mae']:.2f} / {e['rmse']:.2f} | "
                   f"{f['mae']:.3f} / {f['rmse']:.3f} | {st['mae']:.3f} / {st['rmse']:.3f} |")
    rounds = ["| round | data (train / val frames) | epochs | learning rate | wall (min) | CPU (min) |",
              "|---|---|---|---|---|---|"]
    wall = cpu = 0.0
    for k, cfg in enumerate(cfgs, start=1):
        t = json.loads((w / f"train{'' if k == 1 else k}_time.json").read_text())
        log_csv = w / train_dir(k) / "demo_lipon/metrics_epoch.csv"
        epochs = sum(1 for _ in log_csv.open()) - 1 if log_csv.exists() else cfg["max_epochs"]
        what = "builders + classical MD and relaxations" if k == 1 else f"+ round-{k - 1} model MD"
        rounds.append(f"| {k} | {what} ({cfg['n_train']} / {cfg['n_val']}) | {epochs} | {cfg['learning_rate']} → "
                      f"{cfg['lr_scheduler_eta_min']} | {t['wall_s'] / 60:.0f} | {t['cpu_s'] / 60:.0f} |")
        wall, cpu = wall + t["wall_s"], cpu + t["cpu_s"]
    rounds.append(f"| **total** | | | | **{wall / 60:.0f}** | **{cpu / 60:.0f}** |")
    text = CARD_TEMPLATE.read_text().format(
        dataset_table="\n".join(lines), error_table="\n".join(err), rounds_table="\n".join(rounds),
        threads=json.loads((w / "train_time.json").read_text())["threads"], rounds=ROUNDS,
        n_train=cfgs[-1]["n_train"], n_val=cfgs[-1]["n_val"], n_test=res["splits"]["test"]["frames"],
        max_force=MAX_FORCE, **{k: cfg1[k] for k in (
            "r_max", "num_basis", "PolynomialCutoff_p", "invariant_layers", "invariant_neurons", "num_layers",
            "l_max", "num_features", "batch_size", "seed", "dataset_seed")},
        stress_coeff=cfg1["loss_coeffs"]["stress"], split_seed=SPLIT_SEED)
    CARD.write_text(text)
    log(f"card: {CARD}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--e3md", default=str(ROOT / "build/driver/e3md"), help="the e3md executable")
    ap.add_argument("--from", dest="start", choices=STAGES, default=STAGES[0], help="first stage to run")
    ap.add_argument("--only", choices=STAGES, help="run this stage only")
    args = ap.parse_args()
    w = WORK
    w.mkdir(parents=True, exist_ok=True)
    e3md = pathlib.Path(args.e3md).resolve()
    if not e3md.exists():
        raise SystemExit(f"{e3md}: not found; build it first (cmake --build build --target e3md)")
    todo = [args.only] if args.only else STAGES[STAGES.index(args.start):]
    fns = {"structures": stage_structures, "label": stage_label, "split": stage_split, "train": stage_train,
           "export": stage_export, "evaluate": stage_evaluate, "card": stage_card}
    for k in range(2, ROUNDS + 1):
        fns[f"explore{k}"] = lambda w, e, k=k: stage_explore(w, e, k)
        fns[f"label{k}"] = lambda w, e, k=k: stage_label(w, e, f"structures{k}.xyz", f"labelled{k}.xyz", MAX_FORCE)
        fns[f"split{k}"] = lambda w, e, k=k: stage_split(w, e, f"labelled{k}.xyz", data_dir(k), data_dir(k - 1),
                                                          SPLIT_SEED + k)
        fns[f"train{k}"] = lambda w, e, k=k: stage_train_round(w, e, k)
    for s in todo:
        log(f"stage {s}")
        fns[s](w, e3md)


if __name__ == "__main__":
    main()
