"""Loading nequip 0.5.x / 0.6.x models (training directory or `nequip-deploy` TorchScript file) as a float64
eager model, and evaluating it on ASE structures. Shared by tools/export_nequip.py and tools/nequip_reference.py.

Why a float64 *rebuild*: a deployed model usually runs in float32 (model_dtype) and casts positions to it, so
its outputs are good to ~1e-7 only. Parity tests at 1e-10 need the same weights in a float64 network; nequip's
own builders give exactly the architecture the weights were trained in (docs/model-format.md, "Precision").
"""
import os
import pathlib
import re

import numpy as np

SUPPORTED = "nequip 0.5.x and 0.6.x (on e3nn 0.4.4-0.5.x) with the default model builders"
# initialize_from_state only sets the starting weights of a training run (a fine-tuning); it adds no module, and
# the exporter builds with initialize=False, where it does nothing, then loads the trained weights.
SUPPORTED_BUILDERS = {"SimpleIrrepsConfig", "EnergyModel", "PerSpeciesRescale", "StressForceOutput",
                      "ForceOutput", "RescaleEnergyEtc", "initialize_from_state"}
EXTRA_KEYS = ["config", "nequip_version", "e3nn_version", "torch_version", "r_max", "n_species", "type_names",
              "model_dtype", "default_dtype", "num_types"]


class ExportError(RuntimeError):
    """A model that cannot be exported; the message names the file/key and what to do."""


def _import_nequip():
    import torch  # noqa: F401  (imported first so the venv's torch-version hook runs before nequip)
    import nequip
    version = nequip.__version__
    if not re.match(r"^0\.[56]\.", version):
        raise ExportError(f"installed nequip {version} is not supported by this exporter; supported: {SUPPORTED} "
                          "(install nequip==0.6.1 e3nn==0.5.1, see tools/setup.sh)")
    return nequip


def _version_tuple(text):
    m = re.match(r"^(\d+)\.(\d+)", str(text))
    return (int(m.group(1)), int(m.group(2))) if m else None


def _reject_new_nequip(version, where):
    vt = _version_tuple(version)
    if vt is not None and vt >= (0, 7):
        raise ExportError(f"{where}: model written by nequip {version}; only {SUPPORTED} is supported — nequip >= 0.7 "
                          "changed the architecture and file formats (docs/model-format.md, 'nequip >= 0.7')")
    if vt is not None and vt < (0, 5):
        raise ExportError(f"{where}: model written by nequip {version}; only {SUPPORTED} is supported")


class Source:
    """A model as found on disk: resolved config (dict), state dict (tensors as saved), versions, origin."""

    def __init__(self, kind, path, config, state_dict, versions):
        self.kind, self.path, self.config, self.state_dict, self.versions = kind, path, config, state_dict, versions


def load_train_dir(train_dir, checkpoint="best_model.pth"):
    import torch
    import yaml
    d = pathlib.Path(train_dir)
    if not d.is_dir():
        raise ExportError(f"{d}: --train-dir is not a directory; give the nequip-train run directory "
                          "(with config.yaml and best_model.pth)")
    if list(d.glob("*.ckpt")) or (d / ".hydra").exists():
        raise ExportError(f"{d}: looks like a nequip >= 0.7 (Lightning/hydra) run; only {SUPPORTED} is supported "
                          "(docs/model-format.md, 'nequip >= 0.7')")
    cfg_path = d / "config.yaml"
    if not cfg_path.is_file():
        raise ExportError(f"{cfg_path}: missing; a nequip-train directory has config.yaml next to {checkpoint}")
    with open(cfg_path) as f:
        config = yaml.load(f, Loader=yaml.Loader)
    if not isinstance(config, dict):
        raise ExportError(f"{cfg_path}: not a YAML mapping; expected the config.yaml that nequip-train writes")
    if "_target_" in str(config.get("model", "")) or "training_module" in config:
        raise ExportError(f"{cfg_path}: a nequip >= 0.7 config (model/_target_, training_module); only {SUPPORTED} "
                          "is supported (docs/model-format.md, 'nequip >= 0.7')")
    ckpt = d / checkpoint
    if not ckpt.is_file():
        raise ExportError(f"{ckpt}: missing; nequip-train writes best_model.pth in the run directory")
    state_dict = torch.load(str(ckpt), map_location="cpu")
    if not isinstance(state_dict, dict):
        raise ExportError(f"{ckpt}: not a state dict (got {type(state_dict).__name__}); give best_model.pth, "
                          "not trainer.pth or a deployed model")
    versions = {"nequip": config.get("nequip_version", ""), "e3nn": config.get("e3nn_version", ""),
                "torch": config.get("torch_version", "")}
    if versions["nequip"]:
        _reject_new_nequip(versions["nequip"], str(cfg_path))
    return Source("train-dir", str(d), config, dict(state_dict), versions)


def load_deployed(path):
    import torch
    import yaml
    p = pathlib.Path(path)
    if not p.is_file():
        raise ExportError(f"{p}: --deployed file not found; give the .pth written by `nequip-deploy build`")
    if p.name.endswith(".nequip.pt2") or p.name.endswith(".nequip.zip"):
        raise ExportError(f"{p}: a nequip >= 0.7 compiled/packaged model; only {SUPPORTED} is supported "
                          "(docs/model-format.md, 'nequip >= 0.7')")
    extra = {k: "" for k in EXTRA_KEYS}
    try:
        module = torch.jit.load(str(p), map_location="cpu", _extra_files=extra)
    except Exception as e:  # torch raises several types for non-TorchScript files
        raise ExportError(f"{p}: not a TorchScript archive ({type(e).__name__}); give the .pth written by "
                          "`nequip-deploy build`") from None
    extra = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in extra.items()}
    if extra["nequip_version"]:
        _reject_new_nequip(extra["nequip_version"], str(p))
    if not extra["config"]:
        if extra["num_types"]:
            raise ExportError(f"{p}: has nequip >= 0.7 metadata (num_types, no config); only {SUPPORTED} is supported")
        raise ExportError(f"{p}: TorchScript file without nequip's 'config' metadata; deploy it with "
                          "`nequip-deploy build` from nequip 0.5/0.6")
    config = yaml.load(extra["config"], Loader=yaml.Loader)
    versions = {"nequip": extra["nequip_version"], "e3nn": extra["e3nn_version"], "torch": extra["torch_version"]}
    return Source("deployed", str(p), config, dict(module.state_dict()), versions)


def load_source(train_dir=None, deployed=None):
    if (train_dir is None) == (deployed is None):
        raise ExportError("give exactly one of --train-dir DIR or --deployed FILE.pth")
    return load_train_dir(train_dir) if train_dir is not None else load_deployed(deployed)


def check_builders(config, where):
    builders = config.get("model_builders", ["SimpleIrrepsConfig", "EnergyModel", "PerSpeciesRescale",
                                              "StressForceOutput", "RescaleEnergyEtc"])
    for b in builders:
        name = b if isinstance(b, str) else getattr(b, "__name__", str(b))
        if name not in SUPPORTED_BUILDERS:
            raise ExportError(f"{where}: model_builders entry '{name}' is not supported; supported builders: "
                              f"{', '.join(sorted(SUPPORTED_BUILDERS))} ({SUPPORTED}); pair potentials and custom "
                              "builders have no e3md equivalent yet")
    nonlin = config.get("nonlinearity_type", "gate")
    if nonlin != "gate":
        raise ExportError(f"{where}: nonlinearity_type '{nonlin}' is not supported; e3md reads nonlinearity_type: gate "
                          "(the nequip default)")


def build_float64_model(source):
    """nequip's own builders in float64 + the saved weights. Returns (model in eval mode, resolved Config)."""
    _import_nequip()
    import torch
    from nequip.model import model_from_config
    from nequip.utils import Config
    from nequip.utils._global_options import _set_global_options

    check_builders(source.config, source.path)
    cfg = dict(source.config)
    cfg["default_dtype"] = "float64"
    cfg["model_dtype"] = "float64"
    cfg["allow_tf32"] = False
    config = Config.from_dict(cfg)
    _set_global_options(config)
    torch.set_default_dtype(torch.float64)
    model = model_from_config(config, initialize=False)
    sd = dict(source.state_dict)
    expected = model.state_dict()
    if not any(k in expected for k in sd) and any(("model." + k) in expected for k in sd):
        sd = {"model." + k: v for k, v in sd.items()}  # nequip 0.5.x: no GraphModel wrapper
    # The saved _w3j buffers carry the training dtype (float32 by default); keep the float64 ones computed by
    # e3nn at build time, after checking that the saved ones are the same tensors rounded (sign convention).
    for k in [k for k in sd if "_w3j_" in k]:
        saved = sd.pop(k).double()
        if k not in expected or expected[k].shape != saved.shape:
            raise ExportError(f"{source.path}: buffer {k} does not match the rebuilt model; the model was built with "
                              "a different e3nn; export with the e3nn version it was trained with")
        if (saved - expected[k]).abs().max().item() > 1e-6:
            raise ExportError(f"{source.path}: Wigner-3j buffer {k} differs from e3nn {_e3nn_version()}'s; "
                              "export with the e3nn version the model was trained with")
    try:
        missing, unexpected = model.load_state_dict(sd, strict=False)
    except RuntimeError as e:
        first = [ln.strip() for ln in str(e).splitlines() if "size mismatch" in ln][:1]
        raise ExportError(f"{source.path}: weights do not match the architecture built from its config "
                          f"({first[0] if first else type(e).__name__}); was config.yaml edited?") from None
    missing = [k for k in missing if "_w3j_" not in k]
    if missing or unexpected:
        raise ExportError(f"{source.path}: weights do not match the architecture built from its config "
                          f"(missing {missing[:3]}, unexpected {unexpected[:3]}); was config.yaml edited?")
    model.eval()
    return model, config


def _e3nn_version():
    import e3nn
    return e3nn.__version__


def type_names(config):
    names = config.get("type_names")
    if names:
        return list(names)
    raise ExportError("config has no type_names; export from a config.yaml written by nequip-train or a deployed file")


def types_for_atoms(atoms, config, where):
    """nequip type index of each atom, from its chemical symbol (type_names or chemical_symbol_to_type)."""
    names = type_names(config)
    sym2type = config.get("chemical_symbol_to_type") or {}
    if not sym2type:
        t2s = config.get("type_to_chemical_symbol") or {}
        sym2type = {s: int(t) for t, s in t2s.items()} if t2s else {n: i for i, n in enumerate(names)}
    out = []
    for s in atoms.get_chemical_symbols():
        if s not in sym2type:
            raise ExportError(f"{where}: element {s} is not a species of the model (types: {' '.join(names)})")
        out.append(sym2type[s])
    return np.array(out, dtype=np.int64)


def evaluate(model, config, atoms, types):
    """nequip's energy, forces, virial and stress (float64, eV, eV/Å, eV, eV/Å^3), nequip sign conventions."""
    import torch
    from nequip.data import AtomicData, AtomicDataDict
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    data = AtomicData.from_points(pos=np.asarray(atoms.positions, dtype=np.float64), r_max=float(config["r_max"]),
                                  cell=np.asarray(atoms.cell.array, dtype=np.float64), pbc=atoms.pbc,
                                  atom_types=torch.as_tensor(types, dtype=torch.long))
    out = model(AtomicData.to_AtomicDataDict(data))
    res = {"energy": float(out[AtomicDataDict.TOTAL_ENERGY_KEY].detach().reshape(-1)[0]),
           "forces": out[AtomicDataDict.FORCE_KEY].detach().numpy().astype(np.float64),
           "atomic_energies": out[AtomicDataDict.PER_ATOM_ENERGY_KEY].detach().numpy().reshape(-1)}
    for key in ("virial", "stress"):
        if key in out:
            res[key] = out[key].detach().numpy().reshape(3, 3).astype(np.float64)
    res["num_edges"] = int(data.edge_index.shape[1])
    return res


def silence_warnings():
    import warnings
    warnings.filterwarnings("ignore")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
