#!/usr/bin/python3
"""PyTorch CPU peer of `vclab train` for a small CNN with the Figure 1 recordings, one seed, end to end.

Does what `vclab train --dataset cifar10 --conv 32,64 --kernel 3 --pool max --hidden 256 --lr 0.05 --batch 64
--record gram,dgram,vc,agop --record-mode diag --record-every E --agop-samples A --epochs E` followed by
`vclab analyze` does:
- the net: two 3x3 'same' conv layers without bias (3->32->64 channels), GELU, 2x2 max (or --pool avg) pooling after each, flatten
  (channel-major, as torch's NCHW flatten), a hidden layer of 256 GELU units and 10 outputs, no biases; inputs in
  [0,1]; SGD lr 0.05, batch 64, cross-entropy;
- every step, the virtual covariance shift of every weight layer: full (patch space) for the conv layers,
  V += sum over samples and positions of (p+ p+^T - p p^T) with p+ = p - lr g_p and g_p = W^T delta the gradient
  w.r.t. each patch copy; its diagonal for the dense layers; all in double;
- at the start and the end: G = W^T W (full for conv layers, diagonal for dense ones), dG, and the AGOP over the
  first A training images (conv layers: the patch-AGOP, the mean over samples and positions, in patch space);
- test accuracy after every epoch; the Pearson rho that `vclab analyze` writes for the final checkpoint
  (reference gram and dgram; quantity vc and agop, diagonal and, for conv layers, upper triangle and agop^0.5).

Identical arithmetic inputs to vclab: --init reads vclab's weights_init.h5 (/W0../W3, conv kernels as
(c_out, c_in k k), the layout of torch's weight.reshape), --order the sample order of bench_batch_order.
"""
import argparse
import csv
import json
import os
import time

import h5py
import numpy as np
import torch
import torch.nn.functional as F

from peer_figure1 import evaluate, load_cifar10, pearson

KERNEL = 3


class Cnn(torch.nn.Module):
    def __init__(self, weights, pool="max"):
        super().__init__()
        self.pool = F.max_pool2d if pool == "max" else F.avg_pool2d
        w0, w1, w2, w3 = (torch.from_numpy(w) for w in weights)
        self.k0 = torch.nn.Parameter(w0.reshape(w0.shape[0], 3, KERNEL, KERNEL).clone())
        self.k1 = torch.nn.Parameter(w1.reshape(w1.shape[0], w0.shape[0], KERNEL, KERNEL).clone())
        self.w2 = torch.nn.Parameter(w2.clone())
        self.w3 = torch.nn.Parameter(w3.clone())

    def forward(self, x, keep=None):
        """keep: a list that receives the layer inputs and pre-activations (x_l, z_l) of every weight layer."""
        x0 = x.reshape(-1, 3, 32, 32)
        z0 = F.conv2d(x0, self.k0, padding=KERNEL // 2)
        x1 = self.pool(F.gelu(z0), 2)
        z1 = F.conv2d(x1, self.k1, padding=KERNEL // 2)
        x2 = self.pool(F.gelu(z1), 2).flatten(1)
        z2 = x2 @ self.w2.T
        x3 = F.gelu(z2)
        z3 = x3 @ self.w3.T
        if keep is not None:
            keep.extend([(x0, z0), (x1, z1), (x2, z2), (x3, z3)])
        return z3

    def weights(self):
        return [self.k0.reshape(self.k0.shape[0], -1), self.k1.reshape(self.k1.shape[0], -1), self.w2, self.w3]


def is_conv(layer):
    return layer < 2


def patches(x):
    """(B, c_in k k, n): the unfolded patches of a conv layer's input, the columns of vclab's im2col."""
    return F.unfold(x, KERNEL, padding=KERNEL // 2)


def grams(model):
    """Full W^T W for conv layers, its diagonal for dense ones, in double."""
    out = []
    for layer, w in enumerate(model.weights()):
        w = w.detach().double()
        out.append(w.T @ w if is_conv(layer) else (w * w).sum(0))
    return out


def add_virtual_shift(v, model, keep, lr):
    """v_l += sum over samples (and positions) of (h+ h+^T - h h^T), h+ = h - lr g; g carries the batch mean's 1/B."""
    for layer, ((x, z), w) in enumerate(zip(keep, model.weights())):
        delta = z.grad  # dL/dz_l
        if is_conv(layer):
            p = patches(x.detach()).transpose(1, 2).reshape(-1, w.shape[1]).double()    # (B n, c_in k k)
            d = delta.flatten(2).transpose(1, 2).reshape(-1, w.shape[0]).double()        # (B n, c_out)
            g = d @ w.detach().double()                                                   # g_p = W^T delta
            f = -lr * p + 0.5 * lr * lr * g                                              # v = G^T F + F^T G
            v[layer] += g.T @ f + f.T @ g
        else:
            h, g = x.detach().double(), (delta @ w.detach()).double()
            v[layer] += (-2 * lr * h * g + lr * lr * g * g).sum(0)


def agops(model, x, batch=250):
    """AGOP per weight layer: W^T [mean over samples (and positions) of sum_c delta_c delta_c^T] W, delta_c = df_c/dz."""
    sums, counts = [None] * 4, [0] * 4
    for s in range(0, len(x), batch):
        keep = []
        out = model(x[s:s + batch], keep)
        zs = [z for _, z in keep]
        for c in range(out.shape[1]):
            deltas = torch.autograd.grad(out[:, c].sum(), zs, retain_graph=c + 1 < out.shape[1])
            for layer, d in enumerate(deltas):
                d = d.flatten(2).transpose(1, 2).reshape(-1, d.shape[1]) if d.dim() == 4 else d
                d = d.double()  # the sum over B x positions terms in double, as vclab does
                dd = d.T @ d
                sums[layer] = dd if sums[layer] is None else sums[layer] + dd
                if c == 0:
                    counts[layer] += d.shape[0]
    out = []
    for layer, w in enumerate(model.weights()):
        w = w.detach().double()
        a = w.T @ (sums[layer] / counts[layer]) @ w
        out.append(a if is_conv(layer) else torch.diagonal(a).clone())
    return out


def psd_sqrt(a):
    e, u = torch.linalg.eigh(a)
    return (u * e.clamp(min=0).sqrt()) @ u.T


def upper(a):
    i, j = np.triu_indices(a.shape[0])
    return a[i, j]


def correlations(gram, dgram, vc, agop):
    """The rows of vclab analyze's correlations.csv for the last checkpoint: (layer, reference, quantity, part) -> rho."""
    rho = {}
    for layer in range(len(gram)):
        for ref_name, ref in (("gram", gram[layer].numpy()), ("dgram", dgram[layer].numpy())):
            for q_name, q in (("vc", vc[layer].numpy()), ("agop", agop[layer].numpy())):
                diag = lambda m: np.diag(m) if m.ndim == 2 else m
                rho[f"{layer},{ref_name},{q_name},diagonal"] = pearson(diag(q), diag(ref))
                if is_conv(layer):
                    rho[f"{layer},{ref_name},{q_name},upper_triangle"] = pearson(upper(q), upper(ref))
            if is_conv(layer):
                root = psd_sqrt(agop[layer]).numpy()
                rho[f"{layer},{ref_name},agop^0.5,diagonal"] = pearson(np.diag(root), np.diag(ref))
                rho[f"{layer},{ref_name},agop^0.5,upper_triangle"] = pearson(upper(root), upper(ref))
    return rho


def compare(run_dir, model, rho):
    """Against a vclab run of the same net, init and order: the worst |rho_vclab - rho_peer| over the last checkpoint's
    rows of analysis/correlations.csv, and the largest relative final-weight difference per layer."""
    with open(os.path.join(run_dir, "analysis", "correlations.csv")) as f:
        rows = list(csv.DictReader(f))
    last = max(int(r["checkpoint"]) for r in rows)
    diffs = {f"{r['layer']},{r['reference']},{r['quantity']},{r['part']}": abs(float(r["pearson"]) - rho[
        f"{r['layer']},{r['reference']},{r['quantity']},{r['part']}"]) for r in rows if int(r["checkpoint"]) == last}
    worst = max(diffs, key=diffs.get)
    out = {"rho_rows_compared": len(diffs), "worst_rho_abs_diff": diffs[worst], "worst_rho_row": worst}
    with h5py.File(os.path.join(run_dir, "weights_final.h5"), "r") as f:
        for layer, w in enumerate(model.weights()):
            ref = np.asarray(f[f"W{layer}"], np.float64)
            out[f"rel_diff_W{layer}"] = float(np.abs(w.detach().double().numpy() - ref).max() / np.abs(ref).max())
    return out


def train(model, x_train, y_train, x_test, y_test, order, a):
    opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    v = [torch.zeros(w.shape[1], w.shape[1], dtype=torch.float64) if is_conv(l) else
         torch.zeros(w.shape[1], dtype=torch.float64) for l, w in enumerate(model.weights())]
    history = []
    for epoch in range(a.epochs):
        perm = torch.from_numpy(order[epoch])
        for s in range(0, len(x_train), a.batch):
            idx = perm[s:s + a.batch]
            keep = []
            logits = model(x_train[idx], keep)
            for _, z in keep:
                z.retain_grad()
            loss = F.cross_entropy(logits, y_train[idx])
            opt.zero_grad()
            loss.backward()
            with torch.no_grad():
                add_virtual_shift(v, model, keep, a.lr)
            opt.step()
        history.append(evaluate(model, x_test, y_test, batch=a.eval_batch))
        print(f"epoch {epoch + 1}: test loss {history[-1][0]:.4f} acc {history[-1][1]:.4f}", flush=True)
    return v, history


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default="../shared/data/cifar10")
    p.add_argument("--init", required=True, help="vclab's weights_init.h5 of the same net (/W0../W3)")
    p.add_argument("--order", required=True, help="int64 sample order, epochs x N (bench_batch_order)")
    p.add_argument("--train-size", type=int, default=0, help="first N training images (0 = all)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--eval-batch", type=int, default=64, help="64 was torch's fastest here (1000: 8x slower)")
    p.add_argument("--agop-samples", type=int, default=1000)
    p.add_argument("--pool", choices=["max", "avg"], default="max")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default="peer_cnn.json")
    p.add_argument("--compare-run", default="", help="vclab run dir (after vclab analyze): worst |rho difference| and "
                   "final-weight difference (not timed)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    t_start = time.perf_counter()

    x_train, y_train, x_test, y_test = load_cifar10(a.data_dir)
    if a.train_size:
        x_train, y_train = x_train[:a.train_size], y_train[:a.train_size]
    with h5py.File(a.init, "r") as f:
        weights = [np.asarray(f[f"W{l}"], np.float32) for l in range(4)]
    order = np.fromfile(a.order, dtype=np.int64).reshape(-1, len(x_train))
    assert order.shape[0] >= a.epochs, "--order holds fewer epochs than --epochs"
    t_loaded = time.perf_counter()

    model = Cnn(weights, a.pool)
    gram0 = grams(model)
    agops(model, x_train[:a.agop_samples])  # vclab records checkpoint 0 too
    with torch.no_grad():  # vclab's epoch-0 metrics row
        evaluate(model, x_train, y_train, batch=a.eval_batch); evaluate(model, x_test, y_test, batch=a.eval_batch)
    t_train0 = time.perf_counter()
    v, history = train(model, x_train, y_train, x_test, y_test, order, a)
    t_train1 = time.perf_counter()
    gram = grams(model)
    agop = agops(model, x_train[:a.agop_samples])
    rho = correlations(gram, [g - g0 for g, g0 in zip(gram, gram0)], v, agop)
    t_end = time.perf_counter()
    result = {"epochs": a.epochs, "threads": a.threads, "torch": torch.__version__, "train_size": len(x_train),
              "agop_samples": a.agop_samples, "test_accuracy": history[-1][1], "rho": rho,
              "seconds": {"load": t_loaded - t_start, "train": t_train1 - t_train0,
                          "agop_init_eval": t_train0 - t_loaded, "agop_end_rho": t_end - t_train1,
                          "total": t_end - t_start}}
    if a.compare_run:
        result.update(compare(a.compare_run, model, rho))
    with open(a.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result["seconds"]), "test_accuracy", result["test_accuracy"])


if __name__ == "__main__":
    main()
