#!/usr/bin/env python3
"""Builds one random-weight nequip 0.6 model for Li, P, O, N with the reference study's radial basis (r_max 4.3 Å,
8 Bessel functions, p = 6) but small (3 layers, l_max 1, 8 features, radial MLP 2×16), and exports it, for the
rank-invariance tests of the distributed NequIP potential (test_nequip_ranks.cpp).

    make_lipon_model.py OUT_DIR      writes OUT_DIR/lipon_l3.h5
"""
import pathlib
import sys

import make_models as mm

CONFIG = dict(num_layers=3, l_max=1, parity=True, num_features=8, chemical_symbols=["Li", "P", "O", "N"],
              r_max=4.3, num_basis=8, PolynomialCutoff_p=6.0, invariant_layers=2, invariant_neurons=16,
              avg_num_neighbors=20.0)


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    mm.nl.silence_warnings()
    import logging
    logging.disable(logging.WARNING)
    import export_nequip
    train = mm.build("lipon_l3", CONFIG, 4300, out)
    export_nequip.export(out / "lipon_l3.h5", train_dir=train)
    print("make_lipon_model: lipon_l3 done")


if __name__ == "__main__":
    main()
