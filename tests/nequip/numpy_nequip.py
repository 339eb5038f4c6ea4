"""A float64 numpy evaluator of a NequIP energy that reads ONLY the e3md model file (no nequip, no e3nn, no torch).

It follows the file's own description: irreps lists, instruction lists with their path weights, the stored
Wigner-3j tensors, gate offsets and activation constants. If it reproduces nequip's energy to 1e-10, the file
is complete for the C++ potential. Forces are checked by central finite differences of this energy.
The only conventions not in the file are the e3nn real spherical harmonics (docs/model-format.md, "Edge
attributes") and C^(l,0,l) = identity/sqrt(2l+1) for the self-connection, both fixed by e3nn 0.5.
"""
import math

import h5py
import numpy as np


def _read_group(g):
    out = {k: v for k, v in g.attrs.items()}
    for k, v in g.items():
        out[k] = _read_group(v) if isinstance(v, h5py.Group) else v[()]
    return out


def load(path):
    with h5py.File(path, "r") as f:
        return _read_group(f)


def dims(irreps):
    return [int(m) * (2 * int(l) + 1) for m, l, _ in irreps]


def offsets(irreps):
    return np.concatenate([[0], np.cumsum(dims(irreps))]).astype(int)


# ---------------------------------------------------------------- edges
def neighbor_list(pos, cell, pbc, r_max):
    """All (i, j, S) with |pos_j + S.cell - pos_i| < r_max, minus i == j at S == 0 (a full directed list)."""
    reps = []
    vol = abs(np.linalg.det(cell)) if any(pbc) else 1.0
    for a in range(3):
        if not pbc[a]:
            reps.append(range(0, 1))
            continue
        b, c = cell[(a + 1) % 3], cell[(a + 2) % 3]
        spacing = vol / np.linalg.norm(np.cross(b, c))
        # positions may lie outside the cell: widen by the extent of the fractional coordinates
        frac = np.linalg.solve(cell.T, pos.T).T[:, a]
        n = int(math.ceil(r_max / spacing + (frac.max() - frac.min()))) + 1
        reps.append(range(-n, n + 1))
    grid = np.array(np.meshgrid(*[list(r) for r in reps], indexing="ij")).reshape(3, -1).T.astype(float)
    d = pos[None, :, None, :] + (grid @ cell)[:, None, None, :] - pos[None, None, :, :]  # (S, j, i, 3)
    r = np.linalg.norm(d, axis=-1)
    s_idx, jj, ii = np.nonzero(r < r_max)
    keep = ~((ii == jj) & ~grid[s_idx].any(axis=1))
    return ii[keep], jj[keep], grid[s_idx[keep]]


def spherical_harmonics(vec, l_max):
    """e3nn 0.5 real SH, normalize=True, 'component' (sum_m Y_lm^2 = 2l+1), input (x, y, z) unpermuted."""
    u = vec / np.maximum(np.linalg.norm(vec, axis=-1, keepdims=True), 1e-12)
    x, y, z = u[:, 0], u[:, 1], u[:, 2]
    out = [np.ones_like(x)]
    if l_max >= 1:
        out += [math.sqrt(3) * x, math.sqrt(3) * y, math.sqrt(3) * z]
    if l_max >= 2:
        s15, y2, q = math.sqrt(15), y * y, x * x + z * z
        a, b = s15 * x * z, 0.5 * s15 * (z * z - x * x)
        out += [a, s15 * x * y, math.sqrt(5) * (y2 - 0.5 * q), s15 * y * z, b]
    if l_max >= 3:
        s42, s7, s168 = math.sqrt(42), math.sqrt(7), math.sqrt(168)
        out += [s42 / 6 * (a * z + b * x), s7 * a * y, s168 / 8 * (4 * y2 - q) * x, 0.5 * s7 * y * (2 * y2 - 3 * q),
                s168 / 8 * z * (4 * y2 - q), s7 * b * y, s42 / 6 * (b * z - a * x)]
    if l_max > 3:
        raise NotImplementedError("numpy evaluator: l_max > 3")
    return np.stack(out, -1)


# ---------------------------------------------------------------- primitives
ACT = {"silu": lambda x: x / (1.0 + np.exp(-x)), "tanh": np.tanh, "abs": np.abs,
       "ssp": lambda x: np.logaddexp(0.0, x) - math.log(2.0), "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
       "identity": lambda x: x}


def linear(x, lin):
    ii, io = lin["irreps_in"], lin["irreps_out"]
    oi, oo = offsets(ii), offsets(io)
    n = x.shape[0]
    out = np.zeros((n, oo[-1]))
    w, woff = lin["weight"], 0
    for (a, o), pw in zip(lin["instructions"], lin["path_weights"]):
        mi, l, _ = ii[a]
        mo, lo, _ = io[o]
        assert l == lo
        d = 2 * l + 1
        W = w[woff:woff + mi * mo].reshape(mi, mo)
        woff += mi * mo
        xa = x[:, oi[a]:oi[a + 1]].reshape(n, mi, d)
        out[:, oo[o]:oo[o + 1]] += pw * np.einsum("uw,nui->nwi", W, xa).reshape(n, mo * d)
    assert woff == w.size
    return out


def radial_mlp(b, mlp):
    sizes = mlp["sizes"]
    f, c = ACT[mlp["activation"]], mlp["activation_constant"]
    h = b
    for j in range(len(sizes) - 1):
        W = mlp[f"weight_{j}"]
        h = h @ W / math.sqrt(W.shape[0])
        if j < len(sizes) - 2:
            h = c * f(h)
    return h


def tensor_product(x1, y, w, tp):
    i1, i2, io = tp["irreps_in1"], tp["irreps_in2"], tp["irreps_out"]
    o1, o2, oo = offsets(i1), offsets(i2), offsets(io)
    e = x1.shape[0]
    out = np.zeros((e, oo[-1]))
    woff = 0
    for (a, b, c), pw in zip(tp["instructions"], tp["path_weights"]):
        mu, l1, _ = i1[a]
        l2, l3 = i2[b][1], io[c][1]
        C = tp["w3j"][f"{l1}_{l2}_{l3}"]
        xa = x1[:, o1[a]:o1[a + 1]].reshape(e, mu, 2 * l1 + 1)
        yb = y[:, o2[b]:o2[b + 1]]
        we = w[:, woff:woff + mu]
        woff += mu
        out[:, oo[c]:oo[c + 1]] += pw * np.einsum("eui,eik,eu->euk", xa, np.einsum("ijk,ej->eik", C, yb), we).reshape(e, -1)
    assert woff == w.shape[1] == tp["weight_numel"]
    return out


def self_connection(x, types, num_types, sc):
    i1, io = sc["irreps_in1"], sc["irreps_out"]
    o1, oo = offsets(i1), offsets(io)
    n = x.shape[0]
    out = np.zeros((n, oo[-1]))
    w, woff = sc["weight"], 0
    for (a, _, o), pw in zip(sc["instructions"], sc["path_weights"]):
        mi, l, _ = i1[a]
        mo = io[o][0]
        d = 2 * l + 1
        W = w[woff:woff + mi * num_types * mo].reshape(mi, num_types, mo)
        woff += mi * num_types * mo
        xa = x[:, o1[a]:o1[a + 1]].reshape(n, mi, d)
        Wt = W[:, types, :]  # (mi, n, mo): the one-hot picks the atom's type
        out[:, oo[o]:oo[o + 1]] += (pw / math.sqrt(d)) * np.einsum("unw,nui->nwi", Wt, xa).reshape(n, mo * d)
    assert woff == w.size
    return out


def gate(z, g):
    n = z.shape[0]
    parts = []
    s = g["scalars"]
    names = s["activations"].split(",") if len(s["irreps"]) else []
    assert len(names) == len(s["irreps"])
    for (m, l, _), off, name, c in zip(s["irreps"], s["offsets"], names, s.get("activation_constants", [])):
        parts.append(c * ACT[name](z[:, off:off + m]))
    gt = g["gates"]
    gates = []
    if len(gt["irreps"]):
        names = gt["activations"].split(",")
        assert len(names) == len(gt["irreps"]) == len(gt["activation_constants"])
        for (m, l, _), off, name, c in zip(gt["irreps"], gt["offsets"], names, gt["activation_constants"]):
            gates.append(c * ACT[name](z[:, off:off + m]))
        gates = np.concatenate(gates, -1)
        ch = 0
        for (m, l, _), off in zip(g["gated"]["irreps"], g["gated"]["offsets"]):
            d = 2 * l + 1
            v = z[:, off:off + m * d].reshape(n, m, d) * gates[:, ch:ch + m, None]
            ch += m
            parts.append(v.reshape(n, m * d))
    out = np.concatenate(parts, -1)
    assert out.shape[1] == offsets(g["irreps_out"])[-1]
    return out


# ---------------------------------------------------------------- the model
def atomic_energies(M, pos, cell, pbc, types, edges=None):
    """Per-atom energies (eV) and the edge count. `edges` = (center, neighbour, shift) may be passed in to keep
    the list fixed under tiny displacements (finite differences)."""
    edge = M["edge"]
    r_max, p = float(edge["r_max"]), float(edge["polynomial_p"])
    dst, src, S = edges if edges is not None else neighbor_list(pos, cell, pbc, r_max)
    vec = pos[src] - pos[dst] + S @ cell
    r = np.linalg.norm(vec, axis=-1)
    Y = spherical_harmonics(vec, int(edge["l_max"]))
    w = edge["bessel_weights"]
    B = (2.0 / r_max) * np.sin(w[None, :] * r[:, None] / r_max) / r[:, None]
    x = r / r_max
    fc = (1 - (p + 1) * (p + 2) / 2 * x ** p + p * (p + 2) * x ** (p + 1) - p * (p + 1) / 2 * x ** (p + 2)) * (x < 1)
    emb = B * fc[:, None]
    T = int(M["embedding"]["num_types"])
    n = pos.shape[0]
    onehot = np.zeros((n, T))
    onehot[np.arange(n), types] = 1.0
    h = linear(onehot, M["embedding"]["chemical_embedding"])
    scatter = np.zeros((n, len(dst)))  # sum of edge messages onto their centre atom
    scatter[dst, np.arange(len(dst))] = 1.0
    layers = M["layers"]
    for k in range(len(layers)):
        L = layers[f"layer{k}"]
        sc = self_connection(h, types, T, L["sc"]) if L["use_sc"] else 0.0
        h1 = linear(h, L["linear_1"])
        wE = radial_mlp(emb, L["radial_mlp"])
        m = tensor_product(h1[src], Y, wE, L["tp"])
        ann = float(L["avg_num_neighbors"])
        if not math.isnan(ann):
            m = m / math.sqrt(ann)
        agg = scatter @ m
        z = linear(agg, L["linear_2"]) + sc
        hn = gate(z, L["gate"])
        h = hn + h if L["resnet"] else hn
    e = linear(linear(h, M["output"]["conv_to_output_hidden"]), M["output"]["output_hidden_to_scalar"])[:, 0]
    R = M["rescale"]
    sc_, sh_ = R["per_species_scales"], R["per_species_shifts"]
    if sc_.size:
        e = (sc_[types] if sc_.size > 1 else sc_[0]) * e
    if sh_.size:
        e = (sh_[types] if sh_.size > 1 else sh_[0]) + e
    return e * (R["global_scale"] if R["has_global_scale"] else 1.0), len(dst)


def energy(M, pos, cell, pbc, types, edges=None):
    e, _ = atomic_energies(M, pos, cell, pbc, types, edges)
    R = M["rescale"]
    return float(e.sum() + (R["global_shift"] if R["has_global_shift"] else 0.0))


def forces_fd(M, pos, cell, pbc, types, h=1e-5):
    """-dE/dx by central differences (error ~h^2 E''' ~ 1e-10 eV/Å for these models). The edge list is
    built once: the cutoff envelope is C2 at r_max, so an edge crossing it changes E by O(h^3)."""
    edges = neighbor_list(pos, cell, pbc, float(M["edge"]["r_max"]))
    f = np.zeros_like(pos)
    for i in range(pos.shape[0]):
        for a in range(3):
            p1, p2 = pos.copy(), pos.copy()
            p1[i, a] += h
            p2[i, a] -= h
            f[i, a] = -(energy(M, p1, cell, pbc, types, edges) - energy(M, p2, cell, pbc, types, edges)) / (2 * h)
    return f
