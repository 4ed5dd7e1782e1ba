#!/usr/bin/python3
"""Independent NumPy reference for vclab's recorded quantities; writes tests/reference/fixture/<case>/.

For each case: a tiny MLP (no RNG shared with vclab: data and initial weights are written to the fixture),
trained by full-batch SGD for a few steps exactly as `vclab train --record gram,dgram,vc,agop,egop` does,
and the quantities vclab records at every checkpoint (definitions in docs/recorded_quantities.md):

  G_l = W_l^T W_l,  dG_l = G_l(t) - G_l(0),
  V_l = sum over steps of sum_i (h+ h+^T - h h^T),  h+ = h - lr * g,  g = dL_batch/dh (carries 1/B),
  AGOP_l = (1/N) sum_i J_i^T J_i,  J_i = df/dh_l at sample i (C x d_l), over the training set,
  EGOP_l = (1/N) sum_i grad_{h_l} l_i grad_{h_l} l_i^T, l_i the per-sample loss (no 1/B),

plus the losses vclab's metrics report and the correlations `vclab analyze` computes at the last
checkpoint (Pearson, Spearman, cosine of diagonals and upper triangles; the four Figure 1 rho are
Pearson of the layer-0 diagonals: V and AGOP against G and dG). Everything is float64 and written
without rounding (JSON floats round-trip exactly); the AGOP and EGOP are formed sample by sample from
explicit Jacobians, not by vclab's cheap W^T K W form, and V from its definition, not its expansion.

Run from the repository root:  /usr/bin/python3 tests/reference/make_fixture.py
"""
import json
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

CASES = {
    # The paper's Figure 1 setting, scaled down: one hidden GELU layer, cross-entropy, no bias.
    "gelu_ce": dict(dim=6, hidden=[8], classes=3, activation="gelu", loss="cross-entropy", bias=False, seed=1),
    # Two hidden layers (vclab's backprop AGOP path), tanh, MSE on one-hot targets, with biases.
    "tanh_mse_bias": dict(dim=6, hidden=[8, 5], classes=3, activation="tanh", loss="mse", bias=True, seed=2),
}
N_TRAIN, N_TEST = 32, 16
LR, EPOCHS = 0.25, 3  # full batch (batch = N_TRAIN): one SGD step per epoch, a checkpoint after each


# --- activations: sigma and sigma' ------------------------------------------------------------------
_erf = np.vectorize(math.erf)


def activation(name, z):
    if name == "gelu":  # exact GELU: x Phi(x)
        return 0.5 * z * (1.0 + _erf(z / math.sqrt(2.0)))
    if name == "tanh":
        return np.tanh(z)
    raise ValueError(name)


def activation_prime(name, z):
    if name == "gelu":  # Phi(x) + x phi(x)
        return 0.5 * (1.0 + _erf(z / math.sqrt(2.0))) + z * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    raise ValueError(name)


# --- the MLP, samples as rows: h_0 = x, z_{l+1} = h_l W_l^T (+ b_l), h_{l+1} = sigma(z_{l+1}), f = h_L W_L^T (+ b_L)
def forward(ws, bs, act, x):
    hs, zs = [x], [None]
    for l in range(len(ws) - 1):
        z = hs[-1] @ ws[l].T + (bs[l] if bs else 0.0)
        zs.append(z)
        hs.append(activation(act, z))
    f = hs[-1] @ ws[-1].T + (bs[-1] if bs else 0.0)
    return hs, zs, f


def per_sample_loss(loss, f, y):
    """l_i and dl_i/df_i (rows), without the batch mean's 1/B."""
    if loss == "cross-entropy":  # l_i = logsumexp(f_i) - f_i[y_i]
        m = f.max(axis=1, keepdims=True)
        e = np.exp(f - m)
        lse = m[:, 0] + np.log(e.sum(axis=1))
        return lse - (f * y).sum(axis=1), e / e.sum(axis=1, keepdims=True) - y
    if loss == "mse":  # l_i = (1/C) ||f_i - y_i||^2, i.e. PyTorch's MSELoss mean over all B*C entries
        c = f.shape[1]
        return ((f - y) ** 2).sum(axis=1) / c, 2.0 * (f - y) / c
    raise ValueError(loss)


def batch_loss_and_grads(ws, bs, act, loss, x, y):
    """Batch loss L = mean_i l_i; dL/dW_l, dL/db_l and g_l = dL/dh_l (rows, carrying 1/B) for every l."""
    hs, zs, f = forward(ws, bs, act, x)
    li, df = per_sample_loss(loss, f, y)
    dz = df / x.shape[0]  # dL/df
    grad_w, grad_b, g = [None] * len(ws), [None] * len(ws), [None] * len(ws)
    for l in reversed(range(len(ws))):
        grad_w[l] = dz.T @ hs[l]
        grad_b[l] = dz.sum(axis=0)
        g[l] = dz @ ws[l]
        if l > 0:
            dz = g[l] * activation_prime(act, zs[l])
    return li.mean(), grad_w, grad_b, g, hs


def output_jacobians(ws, bs, act, x, seed_rows=None):
    """Per sample i and layer l: df/dh_l (C x d_l), or, with seed_rows s_i (C), s_i^T df/dh_l (1 x d_l)."""
    hs, zs, _ = forward(ws, bs, act, x)
    out = [[None] * x.shape[0] for _ in ws]
    for i in range(x.shape[0]):
        j = ws[-1].copy() if seed_rows is None else seed_rows[i][None, :] @ ws[-1]  # d f / d h_L
        out[-1][i] = j
        for l in reversed(range(len(ws) - 1)):  # h_{l+1} = sigma(W_l h_l): d/dh_l = d/dh_{l+1} diag(sigma') W_l
            j = (j * activation_prime(act, zs[l + 1][i])[None, :]) @ ws[l]
            out[l][i] = j
    return out


def agop(ws, bs, act, x):
    jac = output_jacobians(ws, bs, act, x)
    return [sum(j.T @ j for j in jac[l]) / x.shape[0] for l in range(len(ws))]


def egop(ws, bs, act, loss, x, y):
    _, _, f = forward(ws, bs, act, x)
    _, df = per_sample_loss(loss, f, y)
    grads = output_jacobians(ws, bs, act, x, seed_rows=df)  # grad_{h_l} l_i = (dl_i/df)^T df/dh_l
    return [sum(g.T @ g for g in grads[l]) / x.shape[0] for l in range(len(ws))]


def check_gradient(ws, bs, act, loss, x, y):
    """The hand-written backward pass against central differences (O(eps^2) error), before anything is written."""
    _, grad_w, grad_b, _, _ = batch_loss_and_grads(ws, bs, act, loss, x, y)
    eps = 1e-6
    params = [(w, gw) for w, gw in zip(ws, grad_w)] + ([(b, gb) for b, gb in zip(bs, grad_b)] if bs else [])
    for p, gp in params:
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = batch_loss_and_grads(ws, bs, act, loss, x, y)[0]
            p[idx] = old - eps
            down = batch_loss_and_grads(ws, bs, act, loss, x, y)[0]
            p[idx] = old
            assert abs((up - down) / (2 * eps) - gp[idx]) < 1e-7, (idx, (up - down) / (2 * eps), gp[idx])


# --- correlations as `vclab analyze` reports them ------------------------------------------------------
def average_ranks(v):
    order = np.argsort(v, kind="stable")
    ranks = np.empty(len(v))
    i = 0
    while i < len(v):
        j = i + 1
        while j < len(v) and v[order[j]] == v[order[i]]:
            j += 1
        ranks[order[i:j]] = 0.5 * (i + 1 + j)
        i = j
    return ranks


def correlations(a, b):
    sorted_a, sorted_b = np.sort(a), np.sort(b)  # Spearman is only reproducible without near-ties
    for s in (sorted_a, sorted_b):
        assert np.min(np.diff(s)) > 1e-9 * np.max(np.abs(s)), "near-tie: pick another seed"
    return dict(pearson=float(np.corrcoef(a, b)[0, 1]),
                spearman=float(np.corrcoef(average_ranks(a), average_ranks(b))[0, 1]),
                cosine=float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))))


def psd_sqrt(a):
    lam, vec = np.linalg.eigh(0.5 * (a + a.T))
    return vec @ np.diag(np.sqrt(np.clip(lam, 0.0, None))) @ vec.T


def well_conditioned(a):
    """The PSD square root amplifies rounding-level eigenvalues (~1e-16 |A|) to ~1e-8: only compare it for
    full-rank matrices (AGOP_l has rank <= min(d_l, d_{l+1}), so only where d_l <= d_{l+1})."""
    lam = np.linalg.eigvalsh(a)
    return lam.min() > 1e-6 * lam.max()


def upper(m):
    return m[np.triu_indices(m.shape[0])]


# --- one case ------------------------------------------------------------------------------------------
def make_case(name, dim, hidden, classes, activation, loss, bias, seed):
    rng = np.random.default_rng(seed)
    # Inputs are float32 (vclab's Dataset holds float); labels cycle through the classes, shuffled.
    x_train = rng.standard_normal((N_TRAIN, dim)).astype(np.float32)
    x_test = rng.standard_normal((N_TEST, dim)).astype(np.float32)
    y_train = rng.permutation(np.arange(N_TRAIN) % classes).astype(np.int64)
    y_test = rng.permutation(np.arange(N_TEST) % classes).astype(np.int64)
    widths = [dim] + hidden + [classes]
    # PyTorch's nn.Linear default, U(+-1/sqrt(fan_in)), for weights and biases.
    ws = [rng.uniform(-1, 1, (widths[l + 1], widths[l])) / math.sqrt(widths[l]) for l in range(len(widths) - 1)]
    bs = [rng.uniform(-1, 1, widths[l + 1]) / math.sqrt(widths[l]) for l in range(len(widths) - 1)] if bias else []

    out = os.path.join(HERE, "fixture", name)
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "x_train.npy"), x_train)  # (N, d): rows are samples
    np.save(os.path.join(out, "y_train.npy"), y_train)
    np.save(os.path.join(out, "x_test.npy"), x_test)
    np.save(os.path.join(out, "y_test.npy"), y_test)
    for l, w in enumerate(ws):  # `vclab train --init-from DIR` reads W<l>.npy (d_{l+1}, d_l) and b<l>.npy
        np.save(os.path.join(out, f"W{l}.npy"), w)
    for l, b in enumerate(bs):
        np.save(os.path.join(out, f"b{l}.npy"), b)

    x, xt = x_train.astype(np.float64), x_test.astype(np.float64)
    y, yt = np.eye(classes)[y_train], np.eye(classes)[y_test]
    check_gradient([w.copy() for w in ws], [b.copy() for b in bs], activation, loss, x, y)
    mean_loss = lambda xs, ys: float(per_sample_loss(loss, forward(ws, bs, activation, xs)[2], ys)[0].mean())

    gram0 = [w.T @ w for w in ws]
    vc = [np.zeros((d, d), dtype=np.longdouble) for d in widths[:-1]]
    rec = {q: [[] for _ in ws] for q in ("gram", "dgram", "vc", "agop", "egop")}

    def record():
        a, e = agop(ws, bs, activation, x), egop(ws, bs, activation, loss, x, y)
        for l, w in enumerate(ws):
            for q, m in (("gram", w.T @ w), ("dgram", w.T @ w - gram0[l]), ("vc", vc[l].astype(np.float64)),
                         ("agop", a[l]), ("egop", e[l])):
                rec[q][l].append(m)

    # Metrics rows as vclab writes them: row 0 is a full pass over the initial model; row e >= 1 holds the
    # mean batch loss seen during epoch e (full batch: the loss before step e-1) and the test loss after it.
    train_loss, test_loss = [mean_loss(x, y)], [mean_loss(xt, yt)]
    record()  # checkpoint 0: the initial model
    for _ in range(EPOCHS):
        batch_loss, grad_w, grad_b, g, hs = batch_loss_and_grads(ws, bs, activation, loss, x, y)
        for l in range(len(ws)):  # V_l += sum_i (h+ h+^T - h h^T), in extended precision against cancellation
            h = hs[l].astype(np.longdouble)
            h_plus = h - np.longdouble(LR) * g[l].astype(np.longdouble)
            vc[l] += h_plus.T @ h_plus - h.T @ h
        for l in range(len(ws)):  # W <- W - lr dL/dW
            ws[l] = ws[l] - LR * grad_w[l]
            if bias:
                bs[l] = bs[l] - LR * grad_b[l]
        train_loss.append(float(batch_loss))
        test_loss.append(mean_loss(xt, yt))
        record()

    last = EPOCHS
    corr = []
    for l in range(len(ws)):
        for ref in ("gram", "dgram"):
            for q in ("vc", "agop", "egop"):
                a, b = rec[ref][l][last], rec[q][l][last]
                corr.append(dict(layer=l, reference=ref, quantity=q, part="diagonal", **correlations(np.diag(a), np.diag(b))))
                corr.append(dict(layer=l, reference=ref, quantity=q, part="upper_triangle", **correlations(upper(a), upper(b))))
                if q in ("agop", "egop") and well_conditioned(b):  # Neural Feature Ansatz: G vs A^(1/2)
                    r = psd_sqrt(b)
                    corr.append(dict(layer=l, reference=ref, quantity=q + "^0.5", part="diagonal",
                                     **correlations(np.diag(a), np.diag(r))))
                    corr.append(dict(layer=l, reference=ref, quantity=q + "^0.5", part="upper_triangle",
                                     **correlations(upper(a), upper(r))))
    rho = lambda ref, q: next(c["pearson"] for c in corr if (c["layer"], c["reference"], c["quantity"], c["part"]) == (0, ref, q, "diagonal"))

    expected = {
        "settings": dict(hidden=hidden, classes=classes, activation=activation, loss=loss, bias=bias, lr=LR, epochs=EPOCHS,
                         batch=N_TRAIN, record_every="1", agop_samples=0),
        "train_loss": train_loss,
        "test_loss": test_loss,
        "recordings": "expected_<quantity>_l<layer>.npy: row k = the d_l x d_l matrix at checkpoint k, flattened row-major",
        "correlations_last_checkpoint": corr,
        "figure1_rho": {"vc_vs_gram": rho("gram", "vc"), "agop_vs_gram": rho("gram", "agop"),
                        "vc_vs_dgram": rho("dgram", "vc"), "agop_vs_dgram": rho("dgram", "agop")},
    }
    for q, per_layer in rec.items():  # binary float64: exact and a tenth of the size of decimal text
        for l, mats in enumerate(per_layer):
            np.save(os.path.join(out, f"expected_{q}_l{l}.npy"), np.stack([m.reshape(-1) for m in mats]))
    with open(os.path.join(out, "expected.json"), "w") as fh:
        json.dump(expected, fh, indent=1)  # repr floats: exact round trip
        fh.write("\n")
    print(f"{name}: wrote {out} (figure1 rho {expected['figure1_rho']})")


if __name__ == "__main__":
    for case, params in CASES.items():
        make_case(case, **params)
