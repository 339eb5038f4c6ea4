#!/usr/bin/env python3
"""Export a nequip 0.5.x/0.6.x model to the e3md model file (HDF5, schema "e3md-nequip" version 1).

    export_nequip.py (--train-dir DIR | --deployed FILE.pth) -o OUT.h5 [--reference-structures a.xyz ...]

The model is rebuilt with nequip's own builders in float64 and the saved weights are loaded into it; every
irreps list, instruction list, normalisation constant and activation is then read from the built modules (not
re-derived), so the file describes exactly the network nequip runs. docs/model-format.md documents each field.
Reference evaluations (energy, forces, virial, stress from nequip in float64) are stored for CI.
"""
import argparse
import datetime
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import nequip_loader as nl  # noqa: E402

SCHEMA = "e3md-nequip"
SCHEMA_VERSION = 1


def irreps_array(irreps):
    """e3nn Irreps -> (n, 3) int32 rows (mul, l, p)."""
    rows = [(mul, ir.l, ir.p) for mul, ir in irreps]
    return np.array(rows, dtype=np.int32).reshape(len(rows), 3)


def flat(t):
    return t.detach().double().numpy().reshape(-1).copy()


def act_name(fn):
    import torch
    from nequip.nn.nonlinearities import ShiftedSoftPlus
    table = [(torch.nn.functional.silu, "silu"), (torch.tanh, "tanh"), (torch.abs, "abs"),
             (ShiftedSoftPlus, "ssp"), (torch.sigmoid, "sigmoid")]
    for f, name in table:
        if fn is f:
            return name
    raise nl.ExportError(f"activation {fn!r} is not supported (silu, tanh, abs, ssp, sigmoid)")


def activation(mod):
    """normalize2mom(f) -> (name, constant); constant is 1 when e3nn treats the wrapper as the identity."""
    if mod is None:
        return "identity", 1.0
    cst = 1.0 if mod._is_id else float(mod.cst)
    return act_name(mod.f), cst


def block_activations(act_mod, irreps_part, where):
    """One (name, constant) per block of the simplified irreps. e3nn's Activation holds one per block of the
    unsimplified list it was built with; merged neighbours have the same parity and hence the same function."""
    per_dim = []
    for (mul, ir), a in zip(act_mod.irreps_in, act_mod.acts):
        per_dim += [activation(a)] * (mul * ir.dim)
    out, start = [], 0
    for mi in irreps_part:
        chunk = set(per_dim[start:start + mi.dim])
        if len(chunk) != 1:
            raise nl.ExportError(f"{where}: block {mi} mixes activations {sorted(chunk)}")
        out.append(chunk.pop())
        start += mi.dim
    if start != len(per_dim):
        raise nl.ExportError(f"{where}: activation blocks do not cover the gate input")
    return out


def write_linear(g, name, lin):
    """e3nn o3.Linear (no biases): irreps, (i_in, i_out) instructions, path weights (alpha), flat weight."""
    if lin.internal_weights is False or getattr(lin, "bias_numel", 0):
        raise nl.ExportError(f"{name}: Linear with external weights or biases is not supported")
    s = g.create_group(name)
    s.create_dataset("irreps_in", data=irreps_array(lin.irreps_in))
    s.create_dataset("irreps_out", data=irreps_array(lin.irreps_out))
    s.create_dataset("instructions", data=np.array([(i.i_in, i.i_out) for i in lin.instructions],
                                                    dtype=np.int32).reshape(-1, 2))
    s.create_dataset("path_weights", data=np.array([i.path_weight for i in lin.instructions], dtype=np.float64))
    s.create_dataset("weight", data=flat(lin.weight))
    return s


def write_layer(g, k, layer):
    from e3nn import o3
    from e3nn.nn import Gate
    conv = layer.conv
    lg = g.create_group(f"layer{k}")
    lg.attrs["resnet"] = np.int32(bool(layer.resnet))
    ann = conv.avg_num_neighbors
    lg.attrs["avg_num_neighbors"] = np.float64(ann if ann is not None else np.nan)
    lg.attrs["use_sc"] = np.int32(conv.sc is not None)
    lg.create_dataset("irreps_in", data=irreps_array(conv.irreps_in["node_features"]))
    write_linear(lg, "linear_1", conv.linear_1)

    fc = conv.fc
    mg = lg.create_group("radial_mlp")
    mg.create_dataset("sizes", data=np.array(fc.hs, dtype=np.int32))
    names, csts = set(), set()
    for j, lay in enumerate(fc):
        if lay.var_in != 1 or lay.var_out != 1:
            raise nl.ExportError(f"layer{k}.conv.fc: variance_in/out != 1 is not supported")
        mg.create_dataset(f"weight_{j}", data=lay.weight.detach().double().numpy())
        if lay.act is not None:
            n, c = activation(lay.act)
            names.add(n)
            csts.add(c)
    if len(names) > 1:
        raise nl.ExportError(f"layer{k}.conv.fc: mixed activations")
    mg.attrs["activation"] = names.pop() if names else "identity"
    mg.attrs["activation_constant"] = np.float64(csts.pop() if csts else 1.0)

    tp = conv.tp
    tg = lg.create_group("tp")
    tg.create_dataset("irreps_in1", data=irreps_array(tp.irreps_in1))
    tg.create_dataset("irreps_in2", data=irreps_array(tp.irreps_in2))
    tg.create_dataset("irreps_out", data=irreps_array(tp.irreps_out))
    for ins in tp.instructions:
        if ins.connection_mode != "uvu" or not ins.has_weight or tp.irreps_in2[ins.i_in2].mul != 1:
            raise nl.ExportError(f"layer{k}.conv.tp: instruction {ins} is not 'uvu' with per-edge weights")
    tg.create_dataset("instructions", data=np.array([(i.i_in1, i.i_in2, i.i_out) for i in tp.instructions],
                                                    dtype=np.int32).reshape(-1, 3))
    tg.create_dataset("path_weights", data=np.array([i.path_weight for i in tp.instructions], dtype=np.float64))
    tg.attrs["weight_numel"] = np.int32(tp.weight_numel)
    wg = tg.create_group("w3j")
    for ins in tp.instructions:
        l1, l2, l3 = tp.irreps_in1[ins.i_in1].ir.l, tp.irreps_in2[ins.i_in2].ir.l, tp.irreps_out[ins.i_out].ir.l
        key = f"{l1}_{l2}_{l3}"
        if key not in wg:
            import torch
            wg.create_dataset(key, data=o3.wigner_3j(l1, l2, l3, dtype=torch.float64).numpy())
    write_linear(lg, "linear_2", conv.linear_2)

    if conv.sc is not None:
        sc = conv.sc
        sg = lg.create_group("sc")
        sg.create_dataset("irreps_in1", data=irreps_array(sc.irreps_in1))
        sg.create_dataset("irreps_in2", data=irreps_array(sc.irreps_in2))
        sg.create_dataset("irreps_out", data=irreps_array(sc.irreps_out))
        for ins in sc.instructions:
            if ins.connection_mode != "uvw" or sc.irreps_in2[ins.i_in2].ir.l != 0:
                raise nl.ExportError(f"layer{k}.conv.sc: instruction {ins} is not 'uvw' with scalar attributes")
        sg.create_dataset("instructions", data=np.array([(i.i_in1, i.i_in2, i.i_out) for i in sc.instructions],
                                                        dtype=np.int32).reshape(-1, 3))
        sg.create_dataset("path_weights", data=np.array([i.path_weight for i in sc.instructions], dtype=np.float64))
        sg.create_dataset("weight", data=flat(sc.weight))

    gate = layer.equivariant_nonlin
    if not isinstance(gate, Gate):
        raise nl.ExportError(f"layer{k}: nonlinearity_type '{type(gate).__name__}' is not supported; use "
                             "nonlinearity_type: gate")
    gg = lg.create_group("gate")
    gg.create_dataset("irreps_in", data=irreps_array(gate.irreps_in))
    gg.create_dataset("irreps_out", data=irreps_array(gate.irreps_out))
    cut = gate.sc.cut
    sorted_in = cut.irreps_in  # sorted, not simplified: instruction indices point into it
    starts = np.cumsum([0] + [mi.dim for mi in sorted_in])
    for part, irreps_part, ins in zip(("scalars", "gates", "gated"), cut.irreps_outs, cut.instructions):
        pg = gg.create_group(part)
        pg.create_dataset("irreps", data=irreps_array(irreps_part))
        pg.create_dataset("offsets", data=np.array([starts[i] for i in ins], dtype=np.int32))
        for mi, i in zip(irreps_part, ins):
            if sorted_in[i] != mi:
                raise nl.ExportError(f"layer{k}.gate: block {mi} does not match the gate input {sorted_in[i]}")
        act_mod = {"scalars": gate.act_scalars, "gates": gate.act_gates, "gated": None}[part]
        if act_mod is not None:
            pairs = block_activations(act_mod, irreps_part, f"layer{k}.gate.{part}")
            pg.attrs["activations"] = ",".join(n for n, _ in pairs)
            pg.create_dataset("activation_constants", data=np.array([c for _, c in pairs], dtype=np.float64))
    if gate.irreps_gates.num_irreps != gate.irreps_gated.num_irreps:
        raise nl.ExportError(f"layer{k}.gate: gate and gated counts differ")
    return lg


def expected_sequence(func):
    names = list(func._modules.keys())
    layers = [n for n in names if n.startswith("layer") and n.endswith("_convnet")]
    want = ["one_hot", "spharm_edges", "radial_basis", "chemical_embedding"] + \
        [f"layer{k}_convnet" for k in range(len(layers))] + ["conv_to_output_hidden", "output_hidden_to_scalar"]
    if "per_species_rescale" in names:
        want.append("per_species_rescale")
    want.append("total_energy_sum")
    if names != want:
        raise nl.ExportError(f"model modules {names} are not the default nequip energy model {want}; custom "
                             f"builders are not supported ({nl.SUPPORTED})")
    return len(layers)


def find_parts(model):
    """(func: SequentialGraphNetwork, rescale: RescaleOutput or None, output module name) of the built model."""
    from nequip.nn import RescaleOutput, SequentialGraphNetwork
    func = rescale = None
    for name, mod in model.named_modules():
        if isinstance(mod, RescaleOutput) and rescale is None:
            rescale = mod
        if isinstance(mod, SequentialGraphNetwork) and func is None:
            func = mod
    if func is None:
        raise nl.ExportError("built model has no SequentialGraphNetwork; not a nequip 0.5/0.6 energy model")
    return func, rescale


def write_model(h5, source, model, config):
    import torch
    func, rescale = find_parts(model)
    num_layers = expected_sequence(func)
    meta = h5.create_group("e3md_model")
    meta.attrs["schema"] = SCHEMA
    meta.attrs["schema_version"] = np.int32(SCHEMA_VERSION)
    import e3nn
    import nequip
    meta.attrs["nequip_version"] = source.versions.get("nequip") or nequip.__version__
    meta.attrs["e3nn_version"] = source.versions.get("e3nn") or e3nn.__version__
    meta.attrs["torch_version"] = source.versions.get("torch") or torch.__version__
    meta.attrs["exporter_nequip_version"] = nequip.__version__
    meta.attrs["exporter_e3nn_version"] = e3nn.__version__
    meta.attrs["source_kind"] = source.kind
    meta.attrs["source_path"] = str(pathlib.Path(source.path).resolve())
    meta.attrs["model_dtype"] = str(source.config.get("model_dtype", "float32"))
    meta.attrs["default_dtype"] = str(source.config.get("default_dtype", "float64"))
    import yaml
    meta.attrs["config_yaml"] = yaml.dump(source.config)
    meta.attrs["num_layers"] = np.int32(num_layers)
    meta.attrs["parameter_count_nequip"] = np.int64(sum(p.numel() for p in model.parameters()))
    meta.attrs["created_utc"] = datetime.datetime.utcnow().replace(microsecond=0).isoformat() + "Z"

    names = nl.type_names(config)
    t2s = config.get("type_to_chemical_symbol") or {}
    from ase.data import atomic_numbers
    sp = h5.create_group("species")
    sp.create_dataset("names", data=np.array(names, dtype=object), dtype=__import__("h5py").string_dtype())
    sym = [t2s.get(i, n) for i, n in enumerate(names)]
    sp.create_dataset("atomic_numbers", data=np.array([atomic_numbers.get(s, 0) for s in sym], dtype=np.int32))
    num_types = func.one_hot.num_types
    if num_types != len(names):
        raise nl.ExportError(f"config: {len(names)} type_names but the model has {num_types} types")

    sh = func.spharm_edges
    if sh.sh.normalization != "component" or not sh.sh.normalize:
        raise nl.ExportError("edge spherical harmonics must use normalize=true, normalization=component")
    eg = h5.create_group("edge")
    eg.create_dataset("sh_irreps", data=irreps_array(sh.irreps_out["edge_attrs"]))
    eg.attrs["l_max"] = np.int32(sh.sh._lmax)
    basis, cutoff = func.radial_basis.basis, func.radial_basis.cutoff
    if type(basis).__name__ != "BesselBasis" or type(cutoff).__name__ != "PolynomialCutoff":
        raise nl.ExportError(f"radial basis {type(basis).__name__}/{type(cutoff).__name__} is not supported "
                             "(BesselBasis with PolynomialCutoff)")
    eg.attrs["r_max"] = np.float64(basis.r_max)
    eg.attrs["polynomial_p"] = np.float64(cutoff.p)
    eg.attrs["bessel_trainable"] = np.int32(isinstance(basis.bessel_weights, torch.nn.Parameter))
    eg.create_dataset("bessel_weights", data=flat(basis.bessel_weights))
    if abs(float(basis.prefactor) - 2.0 / float(basis.r_max)) > 1e-12 * abs(float(basis.prefactor)):
        raise nl.ExportError("BesselBasis prefactor is not 2/r_max; unknown nequip variant")
    if abs(float(config["r_max"]) - float(basis.r_max)) > 0:
        raise nl.ExportError("config r_max differs from the radial basis r_max; per-module r_max is not supported")

    emb = h5.create_group("embedding")
    emb.attrs["num_types"] = np.int32(num_types)
    write_linear(emb, "chemical_embedding", func.chemical_embedding.linear)
    lg = h5.create_group("layers")
    for k in range(num_layers):
        write_layer(lg, k, getattr(func, f"layer{k}_convnet"))
    og = h5.create_group("output")
    write_linear(og, "conv_to_output_hidden", func.conv_to_output_hidden.linear)
    write_linear(og, "output_hidden_to_scalar", func.output_hidden_to_scalar.linear)

    rg = h5.create_group("rescale")
    ps = getattr(func, "per_species_rescale", None)
    for key in ("scales", "shifts"):
        has = ps is not None and bool(getattr(ps, f"has_{key}"))
        t = getattr(ps, key) if has else torch.zeros(0)
        d = rg.create_dataset(f"per_species_{key}", data=flat(t))
        d.attrs["trainable"] = np.int32(has and isinstance(t, torch.nn.Parameter))
        if has and t.numel() not in (1, num_types):
            raise nl.ExportError(f"per_species_rescale.{key} has {t.numel()} entries for {num_types} types")
    scale = shift = None
    if rescale is not None:
        if rescale.has_scale:
            scale = rescale.scale_by
        if rescale.has_shift:
            shift = rescale.shift_by
        keys = set(rescale.scale_keys)
        if not keys <= {"atomic_energy", "total_energy", "forces", "stress", "virial"}:
            raise nl.ExportError(f"RescaleOutput scales unsupported keys {sorted(keys)}")
    rg.attrs["has_global_scale"] = np.int32(scale is not None)
    rg.attrs["global_scale"] = np.float64(float(scale) if scale is not None else 1.0)
    rg.attrs["has_global_shift"] = np.int32(shift is not None)
    rg.attrs["global_shift"] = np.float64(float(shift) if shift is not None else 0.0)
    rg.attrs["global_trainable"] = np.int32(any(isinstance(t, torch.nn.Parameter) for t in (scale, shift)))


def random_structures(names, r_max, seed=1234):
    """Two small periodic test cells (triclinic and orthorhombic) with the model's species, about 16 neighbours per
    atom within r_max, atoms no closer than 0.35 r_max. Deterministic for a given seed."""
    from ase import Atoms
    rng = np.random.default_rng(seed)
    out = []
    for n_atoms, tilt in ((7, 0.25), (12, 0.0)):
        a = (n_atoms * 4.0 / 3.0 * np.pi * r_max ** 3 / 16.0) ** (1.0 / 3.0)
        cell = np.diag([a, 1.05 * a, 0.95 * a]) + tilt * a * np.array([[0, 0, 0], [0.3, 0, 0], [-0.2, 0.25, 0]])
        pos = []
        while len(pos) < n_atoms:
            p = rng.random(3) @ cell
            if all(_min_image_dist(p, q, cell) > 0.35 * r_max for q in pos):
                pos.append(p)
        syms = [names[i % len(names)] for i in range(n_atoms)]
        rng.shuffle(syms)
        out.append(Atoms(symbols=syms, positions=np.array(pos), cell=cell, pbc=True))
    return out


def _min_image_dist(p, q, cell):
    d = np.linalg.solve(cell.T, p - q)
    d -= np.round(d)
    return np.linalg.norm(d @ cell)


def write_references(h5, model, config, structures):
    g = h5.create_group("reference")
    g.attrs["method"] = "nequip float64 rebuild, TF32 off, ASE neighbour list (nequip AtomicData.from_points)"
    names = nl.type_names(config)
    for n, (label, atoms) in enumerate(structures):
        types = nl.types_for_atoms(atoms, config, label) if label else \
            np.array([names.index(s) for s in atoms.get_chemical_symbols()])
        res = nl.evaluate(model, config, atoms, types)
        s = g.create_group(f"structure{n}")
        s.attrs["label"] = label or "generated"
        s.create_dataset("positions", data=np.asarray(atoms.positions, dtype=np.float64))
        s.create_dataset("cell", data=np.asarray(atoms.cell.array, dtype=np.float64))
        s.create_dataset("pbc", data=np.asarray(atoms.pbc, dtype=np.int32))
        s.create_dataset("types", data=types.astype(np.int32))
        s.attrs["energy"] = np.float64(res["energy"])
        s.attrs["num_edges"] = np.int64(res["num_edges"])
        s.create_dataset("forces", data=res["forces"])
        s.create_dataset("atomic_energies", data=res["atomic_energies"])
        for key in ("virial", "stress"):
            if key in res:
                s.create_dataset(key, data=res[key])


def export(out, train_dir=None, deployed=None, reference_structures=(), n_generated=2):
    import ase.io
    import h5py
    source = nl.load_source(train_dir=train_dir, deployed=deployed)
    model, config = nl.build_float64_model(source)
    structures = []
    for path in reference_structures:
        for atoms in ase.io.read(path, index=":"):
            structures.append((str(path), atoms))
    if n_generated:
        structures += [("", a) for a in random_structures(nl.type_names(config), float(config["r_max"]))]
    out = pathlib.Path(out)
    tmp = out.with_name(out.name + ".partial")
    try:
        with h5py.File(tmp, "w") as h5:
            write_model(h5, source, model, config)
            write_references(h5, model, config, structures)
        tmp.replace(out)  # no half-written file under the final name
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--train-dir", help="nequip-train run directory (config.yaml + best_model.pth)")
    src.add_argument("--deployed", help="TorchScript file from `nequip-deploy build`")
    ap.add_argument("-o", "--output", required=True, help="e3md model file to write (.h5)")
    ap.add_argument("--reference-structures", nargs="*", default=[], help="extxyz files evaluated by nequip and "
                    "stored as reference data (plus two generated cells unless --no-generated)")
    ap.add_argument("--no-generated", action="store_true", help="do not add the two generated reference cells")
    args = ap.parse_args(argv)
    nl.silence_warnings()
    try:
        out = export(args.output, args.train_dir, args.deployed, args.reference_structures,
                     0 if args.no_generated else 2)
    except nl.ExportError as e:
        print(f"export_nequip: error: {e}", file=sys.stderr)
        return 2
    print(f"export_nequip: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
