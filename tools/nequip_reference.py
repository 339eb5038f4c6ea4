#!/usr/bin/env python3
"""nequip's energy, forces, virial and stress for structures in extxyz files, in float64, for parity tests.

    nequip_reference.py (--train-dir DIR | --deployed FILE.pth) STRUCTURE.xyz ... [-o OUT.json] [--as-deployed]

By default the model is rebuilt in float64 by nequip's own builders with the saved weights (TF32 off), which
is what e3md's float64 path must reproduce to ~1e-12. --as-deployed runs the TorchScript file itself in its
own model_dtype (usually float32, positions cast to it too), which is what LAMMPS' pair_nequip sees.

The structures are read from the files given — the same bytes e3md reads. Do not compare against in-memory
structures that were written with rounding (ASE writes 8 decimals).
Output JSON: one entry per frame: file, frame, energy (eV), forces (N x 3, eV/Å), atomic_energies (eV),
virial (3x3, eV, nequip sign), stress (3x3, eV/Å^3, ASE sign: -virial/V), num_edges.
"""
import argparse
import json
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import nequip_loader as nl  # noqa: E402


def evaluate_deployed(path, config, atoms, types):
    """Runs the deployed TorchScript as is (its own dtype), like pair_nequip does (but float64 inputs)."""
    import torch
    from nequip.data import AtomicData, AtomicDataDict
    from nequip.scripts.deploy import load_deployed_model
    model, _ = load_deployed_model(path, device="cpu", set_global_options=False, freeze=False)
    torch.backends.cuda.matmul.allow_tf32 = False
    data = AtomicData.from_points(pos=np.asarray(atoms.positions, dtype=np.float64), r_max=float(config["r_max"]),
                                  cell=np.asarray(atoms.cell.array, dtype=np.float64), pbc=atoms.pbc,
                                  atom_types=torch.as_tensor(types, dtype=torch.long))
    out = model(AtomicData.to_AtomicDataDict(data))
    res = {"energy": float(out[AtomicDataDict.TOTAL_ENERGY_KEY].detach().reshape(-1)[0]),
           "forces": out[AtomicDataDict.FORCE_KEY].detach().double().numpy(),
           "atomic_energies": out[AtomicDataDict.PER_ATOM_ENERGY_KEY].detach().double().numpy().reshape(-1),
           "num_edges": int(data.edge_index.shape[1])}
    for key in ("virial", "stress"):
        if key in out:
            res[key] = out[key].detach().double().numpy().reshape(3, 3)
    return res


def references(structure_files, train_dir=None, deployed=None, as_deployed=False):
    import ase.io
    source = nl.load_source(train_dir=train_dir, deployed=deployed)
    if as_deployed and source.kind != "deployed":
        raise nl.ExportError("--as-deployed needs --deployed FILE.pth")
    model, config = (None, source.config) if as_deployed else nl.build_float64_model(source)
    out = []
    for path in structure_files:
        for frame, atoms in enumerate(ase.io.read(str(path), index=":")):
            types = nl.types_for_atoms(atoms, config, f"{path} frame {frame}")
            res = evaluate_deployed(source.path, config, atoms, types) if as_deployed else \
                nl.evaluate(model, config, atoms, types)
            entry = {"file": str(path), "frame": frame}
            entry.update({k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in res.items()})
            out.append(entry)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--train-dir")
    src.add_argument("--deployed")
    ap.add_argument("structures", nargs="+", help="extxyz (or any ASE-readable) structure files")
    ap.add_argument("-o", "--output", help="JSON file (default: print to stdout)")
    ap.add_argument("--as-deployed", action="store_true", help="run the TorchScript file in its own dtype")
    args = ap.parse_args(argv)
    nl.silence_warnings()
    try:
        res = references(args.structures, args.train_dir, args.deployed, args.as_deployed)
    except nl.ExportError as e:
        print(f"nequip_reference: error: {e}", file=sys.stderr)
        return 2
    text = json.dumps(res, indent=1)
    if args.output:
        pathlib.Path(args.output).write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
