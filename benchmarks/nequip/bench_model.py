"""The benchmark's random-weight nequip 0.6.1 model: the reference study's architecture (6 layers, r_max 4.3 Å,
8 Bessel functions, polynomial cutoff p = 6, radial MLP 2 x 64, l_max 2 with both parities, 32 features, species
Li P O N), built by nequip's own builders with e3nn's random initialisation, saved as a nequip-train-like run
directory and exported to an e3md model file."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests" / "nequip"))

CONFIG = dict(num_layers=6, r_max=4.3, num_basis=8, PolynomialCutoff_p=6.0, invariant_layers=2,
              invariant_neurons=64, l_max=2, parity=True, num_features=32, chemical_symbols=["Li", "P", "O", "N"],
              avg_num_neighbors=30.0)
NAME = "lipon_6x32_lmax2"


def make(out_dir):
    """Writes OUT_DIR/NAME/train (config.yaml, best_model.pth) and OUT_DIR/NAME.h5 unless they exist; returns
    (train_dir, model_file)."""
    import nequip_loader as nl
    out_dir = pathlib.Path(out_dir)
    train, h5 = out_dir / NAME / "train", out_dir / f"{NAME}.h5"
    if not h5.exists():
        import logging

        import export_nequip
        import make_models
        nl.silence_warnings()
        logging.disable(logging.WARNING)
        out_dir.mkdir(parents=True, exist_ok=True)
        make_models.build(NAME, CONFIG, 4242, out_dir)
        export_nequip.export(h5, train_dir=train)
    return train, h5


if __name__ == "__main__":
    print(make(sys.argv[1]))
