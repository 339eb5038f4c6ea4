#!/usr/bin/env python3
"""Builds small random-weight nequip 0.6 models covering the supported architecture space, writes each as a
nequip-train-like run directory, deploys some with `nequip-deploy build`, and exports them to e3md model files.

    make_models.py OUT_DIR [--only NAME ...] [--no-deploy]

For each model NAME it writes:
  OUT_DIR/NAME/train/{config.yaml,best_model.pth}   training directory (the keys nequip-train writes)
  OUT_DIR/NAME/deployed.pth                          nequip-deploy build output (models with deploy=True)
  OUT_DIR/NAME.h5                                    e3md model file exported from the training directory
  OUT_DIR/NAME.deployed.h5                           the same exported from deployed.pth
  OUT_DIR/NAME.nequip.json                           nequip's own view: parameter count, per-tensor checksums
  OUT_DIR/NAME/{crystal,slab}.xyz                    extra reference structures stored in NAME.h5
The weights are e3nn's random initialisation; Bessel frequencies, shifts and scales are perturbed so that a
reader that ignores them fails. Each model file carries nequip's results on four structures: the exporter's two
random (amorphous-like) cells, one triclinic, and a jittered crystal (cell below 2 r_max) and a slab with 10 Å
of vacuum made here with the model's species.
"""
import argparse
import json
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tools"))
import nequip_loader as nl  # noqa: E402

# name: (config overrides, deploy?)  — together: num_layers 1-6, l_max 1-3, parity on/off, features 8-64,
# 1-5 species, resnet, use_sc off, per-species scales, global shift, float32 model_dtype, invariant_layers 1-2.
MODELS = {
    "l1_lmax1_T1": (dict(num_layers=1, l_max=1, parity=True, num_features=8, chemical_symbols=["Si"],
                         invariant_layers=1, invariant_neurons=8), False),
    "l2_lmax2_noparity_T2": (dict(num_layers=2, l_max=2, parity=False, num_features=16, chemical_symbols=["O", "Li"],
                                  resnet=True, per_species_rescale_scales=[1.3, 0.7]), True),
    "l3_lmax3_T3_f32": (dict(num_layers=3, l_max=3, parity=True, num_features=8, chemical_symbols=["P", "O", "Li"],
                             model_dtype="float32", invariant_layers=1, invariant_neurons=16), True),
    "l2_lmax1_F64_T5_nosc": (dict(num_layers=2, l_max=1, parity=True, num_features=64,
                                  chemical_symbols=["H", "C", "N", "O", "S"], use_sc=False), False),
    "l6_lmax2_T2_resnet_shift": (dict(num_layers=6, l_max=2, parity=True, num_features=8,
                                      chemical_symbols=["Li", "N"], resnet=True, per_species_rescale_shifts=None,
                                      global_rescale_shift=-3.25), False),
    "l4_lmax2_T4_sqrt": (dict(num_layers=4, l_max=2, parity=True, num_features=16,
                              chemical_symbols=["Ti", "O", "Sr", "Ba"], invariant_layers=2, invariant_neurons=16,
                              PolynomialCutoff_p=5.0, r_max=3.7), False),
    # nequip 0.5-style defaults (ssp scalars, abs odd gates), forces only, no per-species rescale
    "l1_force_only_ssp": (dict(num_layers=1, l_max=2, parity=True, num_features=8, chemical_symbols=["Cu", "Zr"],
                               model_builders=["SimpleIrrepsConfig", "EnergyModel", "ForceOutput",
                                               "RescaleEnergyEtc"],
                               nonlinearity_scalars={"e": "ssp", "o": "tanh"},
                               nonlinearity_gates={"e": "ssp", "o": "abs"}, invariant_layers=1), False),
}


def base_config(overrides, seed):
    from nequip.scripts.train import default_config
    cfg = dict(default_config)
    cfg.update(dict(root=".", run_name="random", seed=seed, dataset_seed=seed, r_max=4.0, num_basis=8,
                    invariant_layers=2, invariant_neurons=16, avg_num_neighbors=11.7,
                    model_builders=["SimpleIrrepsConfig", "EnergyModel", "PerSpeciesRescale", "StressForceOutput",
                                    "RescaleEnergyEtc"],
                    default_dtype="float64", model_dtype="float64", global_rescale_scale=1.7))
    cfg.update(overrides)
    if "PerSpeciesRescale" not in cfg["model_builders"]:
        cfg.pop("per_species_rescale_shifts", None)
        return cfg
    n = len(cfg["chemical_symbols"])
    rng = np.random.default_rng(seed)
    if "per_species_rescale_shifts" not in overrides:
        cfg["per_species_rescale_shifts"] = [float(x) for x in rng.uniform(-5, -1, n)]
    return cfg


def build(name, overrides, seed, out_dir):
    import torch
    import yaml
    from nequip.model import model_from_config
    from nequip.utils import Config
    from nequip.utils._global_options import _set_global_options

    cfg = base_config(overrides, seed)
    config = Config.from_dict(cfg)
    _set_global_options(config)
    torch.manual_seed(seed)
    model = model_from_config(config, initialize=True)
    with torch.no_grad():
        for k, v in model.named_parameters():
            if k.endswith("bessel_weights"):
                v.mul_(1.0 + 0.05 * torch.rand_like(v))
        for k, v in model.named_buffers():
            if k.endswith("per_species_rescale.scales") and v.numel():
                v.mul_(1.0 + 0.1 * torch.rand_like(v))
    train = out_dir / name / "train"
    train.mkdir(parents=True, exist_ok=True)
    resolved = dict(Config.as_dict(config))
    with open(train / "config.yaml", "w") as f:
        yaml.dump(resolved, f)
    torch.save(model.state_dict(), train / "best_model.pth")
    sd = model.state_dict()
    summary = {"parameter_count": int(sum(p.numel() for p in model.parameters())),
               "tensors": {k: checksum(v) for k, v in sd.items()
                           if v.numel() and not k.endswith(("output_mask", "_empty")) and "_w3j_" not in k}}
    with open(out_dir / f"{name}.nequip.json", "w") as f:
        json.dump(summary, f, indent=1)
    return train


def checksum(t):
    """Count, sum and index-weighted sum of a tensor, as float64 (catches a missing, scaled or permuted array)."""
    v = t.detach().double().reshape(-1).numpy()
    return [int(v.size), float(v.sum()), float((v * (np.arange(v.size) % 7 + 1)).sum())]


def lattice_structures(names, r_max, out_dir, seed):
    """A jittered simple-cubic 3x3x3 crystal (spacing 0.55 r_max, so ~25 neighbours and a cell below 2 r_max) and a
    3x3x2 slab of it with 10 Å of vacuum along c (pbc T T T), species cycling through the model's; extxyz files
    with 17 significant digits, so that nequip and e3md read the same doubles."""
    rng = np.random.default_rng(seed)
    a = 0.55 * r_max
    paths = []
    for label, reps, vacuum in (("crystal", (3, 3, 3), 0.0), ("slab", (3, 3, 2), 10.0)):
        cell = np.diag([reps[0] * a, reps[1] * a, reps[2] * a + vacuum])
        lines = []
        for n, (i, j, k) in enumerate(np.ndindex(*reps)):
            x = a * np.array([i, j, k], dtype=float) + rng.uniform(-0.06 * a, 0.06 * a, 3)
            if vacuum:
                x[2] += vacuum / 2
            lines.append(names[n % len(names)] + " " + " ".join("%.17g" % v for v in x))
        path = out_dir / f"{label}.xyz"
        path.write_text(f"{len(lines)}\nLattice=\"{' '.join('%.17g' % v for v in cell.reshape(-1))}\" "
                        f"Properties=species:S:1:pos:R:3 pbc=\"T T T\"\n" + "\n".join(lines) + "\n")
        paths.append(path)
    return paths


def deploy(train, out):
    from nequip.scripts.deploy import main as deploy_main
    deploy_main(["build", "--train-dir", str(train), str(out)])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--no-deploy", action="store_true")
    args = ap.parse_args(argv)
    nl.silence_warnings()
    import logging
    logging.disable(logging.WARNING)
    sys.path.insert(0, str(HERE.parents[1] / "tools"))
    import export_nequip
    out_dir = pathlib.Path(args.out_dir)
    if out_dir.exists() and not args.only:
        import shutil
        shutil.rmtree(out_dir)  # no stale model from an earlier run may pass a test
    out_dir.mkdir(parents=True, exist_ok=True)
    for i, (name, (overrides, do_deploy)) in enumerate(MODELS.items()):
        if args.only and name not in args.only:
            continue
        train = build(name, overrides, 100 + i, out_dir)
        cfg = base_config(overrides, 100 + i)
        extra = lattice_structures(cfg["chemical_symbols"], cfg["r_max"], out_dir / name, 200 + i)
        export_nequip.export(out_dir / f"{name}.h5", train_dir=train, reference_structures=extra)
        if do_deploy and not args.no_deploy:
            pth = out_dir / name / "deployed.pth"
            deploy(train, pth)
            export_nequip.export(out_dir / f"{name}.deployed.h5", deployed=pth, reference_structures=extra)
        print(f"make_models: {name} done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
