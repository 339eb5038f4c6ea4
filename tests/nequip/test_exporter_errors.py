#!/usr/bin/env python3
"""The exporter refuses what it cannot describe, with one line naming the file/option and what is supported.

    test_exporter_errors.py MODELS_DIR     (a directory written by make_models.py)
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile

import yaml

HERE = pathlib.Path(__file__).resolve().parent
EXPORT = HERE.parents[1] / "tools" / "export_nequip.py"
failures = []


def run_export(*args):
    p = subprocess.run([sys.executable, str(EXPORT), *map(str, args)], capture_output=True, text=True)
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith("export_nequip: error:")]
    return p.returncode, lines[0] if lines else p.stderr[-500:]


def expect_error(what, args, must_contain, out):
    code, msg = run_export(*args, "-o", out)
    ok = code == 2 and all(s in msg for s in must_contain) and not pathlib.Path(out).exists()
    print(("ok   " if ok else "FAIL ") + f"{what}: exit {code}: {msg}", flush=True)
    if not ok:
        failures.append(what)


def main():
    models = pathlib.Path(sys.argv[1])
    good = models / "l1_lmax1_T1" / "train"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        out = tmp / "out.h5"
        expect_error("missing training dir", ["--train-dir", tmp / "nope"], ["nope", "not a directory"], out)

        def variant(name, edit, drop=None):
            d = tmp / name
            shutil.copytree(good, d)
            cfg = yaml.load((d / "config.yaml").read_text(), Loader=yaml.Loader)
            edit(cfg)
            (d / "config.yaml").write_text(yaml.dump(cfg))
            if drop:
                (d / drop).unlink()
            return d

        d = variant("zbl", lambda c: c.__setitem__("model_builders", c["model_builders"] + ["PairPotentialTerm"]))
        expect_error("pair-potential builder", ["--train-dir", d], ["PairPotentialTerm", "not supported", "0.6"], out)
        d = variant("norm", lambda c: c.__setitem__("nonlinearity_type", "norm"))
        expect_error("norm nonlinearity", ["--train-dir", d], ["nonlinearity_type", "gate"], out)
        d = variant("new", lambda c: c.__setitem__("nequip_version", "0.8.2"))
        expect_error("nequip >= 0.7 training dir", ["--train-dir", d], ["0.8.2", ">= 0.7", "0.6"], out)
        d = variant("hydra", lambda c: c.update({"training_module": {"_target_": "nequip.train.EMALightningModule"}}))
        expect_error("nequip >= 0.7 hydra config", ["--train-dir", d], ["training_module", ">= 0.7"], out)
        d = variant("nockpt", lambda c: None, drop="best_model.pth")
        expect_error("missing best_model.pth", ["--train-dir", d], ["best_model.pth", "missing"], out)
        d = variant("edited", lambda c: c.__setitem__("num_layers", 2))
        expect_error("config does not match the weights", ["--train-dir", d], ["do not match", "config"], out)

        junk = tmp / "junk.pth"
        junk.write_bytes(b"not a torchscript archive")
        expect_error("not TorchScript", ["--deployed", junk], ["junk.pth", "not a TorchScript"], out)
        zipped = tmp / "model.nequip.zip"
        zipped.write_bytes(b"PK")
        expect_error("nequip >= 0.7 package", ["--deployed", zipped], ["nequip >= 0.7", "0.6"], out)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
