"""Writes e3nn 0.5 / nequip 0.6 reference values for the kernel parity tests as one JSON file.

Usage: e3nn_reference.py OUT.json. Everything is float64 and seeded; the C++ tests read the inputs from the
file, run the kernels and compare with the outputs and the autograd vector-Jacobian products stored here.
"""
import json
import math
import sys

import torch
from e3nn import o3
from e3nn.nn import FullyConnectedNet, Gate
from nequip.nn.cutoffs import PolynomialCutoff
from nequip.nn.radial_basis import BesselBasis

torch.set_default_dtype(torch.float64)
torch.manual_seed(1234)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def sh_case():
    lmax = 6
    vecs = torch.randn(12, 3) * torch.rand(12, 1).mul(3).add(0.2)
    vecs[0] = torch.tensor([0.3, -0.5, 0.8])
    vecs[1] = torch.tensor([0.0, 1.7, 0.0])   # on the polar axis
    vecs[2] = torch.tensor([0.0, 0.0, -0.9])
    ls = list(range(lmax + 1))
    Y = o3.spherical_harmonics(ls, vecs, normalize=True, normalization="component")
    jac = torch.stack([torch.autograd.functional.jacobian(
        lambda v: o3.spherical_harmonics(ls, v, normalize=True, normalization="component"), v) for v in vecs])
    return {"lmax": lmax, "vecs": flat(vecs), "Y": flat(Y), "jac": flat(jac)}  # jac: E x dim x 3


def w3j_case():
    out = []
    for l1 in range(5):
        for l2 in range(5):
            for l3 in range(abs(l1 - l2), min(l1 + l2, 4) + 1):
                out.append({"l": [l1, l2, l3], "C": flat(o3.wigner_3j(l1, l2, l3))})
    return out


def nequip_instructions(irreps_in, irreps_sh, lmax):
    """Creation-ordered uvu instructions and the sorted slot irreps, as nequip's InteractionBlock does."""
    mid, instr = [], []
    for i, (mul, ir_in) in enumerate(irreps_in):
        for j, (_, ir_sh) in enumerate(irreps_sh):
            for ir_out in ir_in * ir_sh:
                if ir_out.l <= lmax:
                    instr.append((i, j, len(mid)))
                    mid.append((mul, ir_out))
    mid = o3.Irreps(mid)
    mid_sorted, p, _ = mid.sort()
    instr = [(a, b, p[c]) for a, b, c in instr]
    return mid_sorted, instr


def tp_case(in1, lmax, parity, num_edges):
    irreps_in = o3.Irreps(in1)
    irreps_sh = o3.Irreps.spherical_harmonics(lmax, p=-1 if parity else 1)
    irreps_out, instr = nequip_instructions(irreps_in, irreps_sh, lmax)
    tp = o3.TensorProduct(irreps_in, irreps_sh, irreps_out, [(a, b, c, "uvu", True) for a, b, c in instr],
                          shared_weights=False, internal_weights=False)
    x = torch.randn(num_edges, irreps_in.dim, requires_grad=True)
    vec = torch.randn(num_edges, 3)
    y = o3.spherical_harmonics(irreps_sh, vec, normalize=True, normalization="component").requires_grad_(True)
    w = torch.randn(num_edges, tp.weight_numel, requires_grad=True)
    out = tp(x, y, w)
    g = torch.randn_like(out)
    gx, gy, gw = torch.autograd.grad(out, [x, y, w], g)
    return {"in1": str(irreps_in), "sh": str(irreps_sh), "out": str(irreps_out),
            "instructions": [list(t) for t in instr], "E": num_edges, "x": flat(x), "y": flat(y),
            "w": flat(w), "result": flat(out), "gout": flat(g), "gx": flat(gx), "gy": flat(gy), "gw": flat(gw)}


def linear_case(irin, irout, n):
    lin = o3.Linear(o3.Irreps(irin), o3.Irreps(irout))
    with torch.no_grad():
        lin.weight.normal_()
    x = torch.randn(n, lin.irreps_in.dim, requires_grad=True)
    y = lin(x)
    g = torch.randn_like(y)
    (gx,) = torch.autograd.grad(y, [x], g)
    return {"in": irin, "out": irout, "N": n, "weight": flat(lin.weight), "x": flat(x), "result": flat(y),
            "gout": flat(g), "gx": flat(gx)}


def sc_case(irin, T, irout, n):
    fctp = o3.FullyConnectedTensorProduct(o3.Irreps(irin), o3.Irreps(f"{T}x0e"), o3.Irreps(irout))
    with torch.no_grad():
        fctp.weight.normal_()
    x = torch.randn(n, fctp.irreps_in1.dim, requires_grad=True)
    types = torch.randint(0, T, (n,))
    onehot = torch.nn.functional.one_hot(types, T).to(torch.float64)
    y = fctp(x, onehot)
    g = torch.randn_like(y)
    (gx,) = torch.autograd.grad(y, [x], g)
    return {"in": irin, "T": T, "out": irout, "N": n, "weight": flat(fctp.weight), "types": types.tolist(),
            "x": flat(x), "result": flat(y), "gout": flat(g), "gx": flat(gx)}


def gate_case(n):
    acts = {1: torch.nn.functional.silu, -1: torch.tanh}
    scal = o3.Irreps("8x0e+4x0o+2x0e")
    gates = o3.Irreps("3x0e+4x0o+2x0e")
    gated = o3.Irreps("2x1o+3x2e+2x1e+2x1o")
    gate = Gate(scal, [acts[ir.p] for _, ir in scal], gates, [acts[ir.p] for _, ir in gates], gated)
    x = torch.randn(n, gate.irreps_in.dim, requires_grad=True) * 1.5
    y = gate(x)
    g = torch.randn_like(y)
    (gx,) = torch.autograd.grad(y, [x], g)
    return {"scalars": str(scal), "act_scalars": [ir.p for _, ir in scal], "gates": str(gates),
            "act_gates": [ir.p for _, ir in gates], "gated": str(gated), "irreps_in": str(gate.irreps_in),
            "N": n, "x": flat(x), "result": flat(y), "gout": flat(g), "gx": flat(gx)}


def mlp_case(dims, n):
    net = FullyConnectedNet(dims, torch.nn.functional.silu)
    x = torch.randn(n, dims[0], requires_grad=True)
    y = net(x)
    g = torch.randn_like(y)
    (gx,) = torch.autograd.grad(y, [x], g)
    ws = [flat(getattr(net, f"layer{j}").weight) for j in range(len(dims) - 1)]
    return {"dims": dims, "N": n, "weights": ws, "x": flat(x), "result": flat(y), "gout": flat(g),
            "gx": flat(gx)}


def radial_case():
    r_max, p, nb = 4.0, 6.0, 8
    basis = BesselBasis(r_max, nb, trainable=True)
    with torch.no_grad():
        basis.bessel_weights.add_(0.1 * torch.randn(nb))  # trained frequencies differ from n pi
    cut = PolynomialCutoff(r_max, p=p)
    r = torch.cat([torch.tensor([2.5, 0.3, 3.999]), torch.rand(9) * 3.9 + 0.05]).requires_grad_(True)
    b = basis(r) * cut(r)[:, None]
    g = torch.randn_like(b)
    (gr,) = torch.autograd.grad(b, [r], g)
    return {"r_max": r_max, "p": p, "freq": flat(basis.bessel_weights), "r": flat(r), "b": flat(b),
            "gout": flat(g), "gr": flat(gr)}


def conv_case(in1, lmax, mlp_hidden, num_atoms, num_edges, ann):
    """The fused convolution composed from e3nn/nequip pieces, with autograd gradients."""
    irreps_in = o3.Irreps(in1)
    irreps_sh = o3.Irreps.spherical_harmonics(lmax, p=-1)
    irreps_out, instr = nequip_instructions(irreps_in, irreps_sh, lmax)
    tp = o3.TensorProduct(irreps_in, irreps_sh, irreps_out, [(a, b, c, "uvu", True) for a, b, c in instr],
                          shared_weights=False, internal_weights=False)
    r_max, p, nb = 3.5, 6.0, 8
    basis = BesselBasis(r_max, nb, trainable=True)
    with torch.no_grad():
        basis.bessel_weights.add_(0.1 * torch.randn(nb))
    cut = PolynomialCutoff(r_max, p=p)
    dims = [nb] + mlp_hidden + [tp.weight_numel]
    net = FullyConnectedNet(dims, torch.nn.functional.silu)
    x = torch.randn(num_atoms, irreps_in.dim, requires_grad=True)
    center = torch.randint(0, num_atoms, (num_edges,))
    neighbor = torch.randint(0, num_atoms, (num_edges,))
    vec = torch.randn(num_edges, 3)
    vec = (vec / vec.norm(dim=1, keepdim=True) * (0.6 + 2.8 * torch.rand(num_edges, 1))).requires_grad_(True)
    r = vec.norm(dim=1)
    Y = o3.spherical_harmonics(irreps_sh, vec, normalize=True, normalization="component")
    w = net(basis(r) * cut(r)[:, None])
    msg = tp(x[neighbor], Y, w) / math.sqrt(ann)
    A = torch.zeros(num_atoms, irreps_out.dim).index_add(0, center, msg)
    gA = torch.randn_like(A)
    gx, gvec = torch.autograd.grad(A, [x, vec], gA)
    return {"in1": str(irreps_in), "sh": str(irreps_sh), "out": str(irreps_out),
            "instructions": [list(t) for t in instr], "r_max": r_max, "p": p, "freq": flat(basis.bessel_weights),
            "mlp_dims": dims, "mlp_weights": [flat(getattr(net, f"layer{j}").weight) for j in range(len(dims) - 1)],
            "ann": ann, "N": num_atoms, "E": num_edges, "center": center.tolist(), "neighbor": neighbor.tolist(),
            "vec": flat(vec), "x": flat(x), "A": flat(A), "gA": flat(gA), "gx": flat(gx), "gvec": flat(gvec)}


def main():
    ref = {
        "sh": sh_case(),
        "w3j": w3j_case(),
        "tp": [tp_case("8x0e+8x1o", 1, True, 6),
               tp_case("16x0e+16x2e+16x1o", 2, True, 5),
               tp_case("32x0e+32x0o+32x1e+32x2e+32x1o+32x2o", 2, True, 4),
               tp_case("64x0e+64x1o+64x2e+64x3o", 3, True, 3),
               tp_case("8x0e+8x1e+8x2e+8x3e", 3, False, 4)],
        "linear": [linear_case("8x0e+4x1o+8x0e+3x2e+2x1o", "5x0e+6x1o+2x2e+3x1e", 5),
                   linear_case("96x0e+128x1o+64x2e", "160x0e+32x1o+32x2e", 3)],
        "sc": [sc_case("16x0e+8x1o+4x2e", 3, "24x0e+8x1o+4x2e+2x1e", 7)],
        "gate": gate_case(6),
        "mlp": [mlp_case([8, 16, 16, 30], 5), mlp_case([8, 64, 96], 3)],
        "radial": radial_case(),
        "conv": [conv_case("8x0e+8x1o+8x2e", 2, [16, 16], 6, 25, 3.7),
                 conv_case("16x0e+16x1o+16x2e+16x3o", 3, [32], 5, 14, 2.0)],
    }
    with open(sys.argv[1], "w") as f:
        json.dump(ref, f)


if __name__ == "__main__":
    main()
