#!/usr/bin/python3
"""PyTorch CPU peer of `vclab train` for the paper's Figure 1 (Cha & Lee 2025), one seed, end to end.

Does what `vclab train --dataset cifar10 --hidden 256 --activation gelu --lr 0.05 --batch 64
--record gram,dgram,vc,agop --record-mode diag --record-every E --epochs E` followed by `vclab analyze` does:
2-layer GELU MLP 3072->256->10 without bias, inputs in [0,1] flattened CHW, SGD lr 0.05, batch 64,
cross-entropy; diag(V_0) += sum_i(-2 lr x*g + lr^2 g*g) every step with g = dL_batch/dx; at the start and
the end diag(G_0) (column sums of W0^2), diag(dG_0) and diag(AGOP_0) over the 50,000 training images;
test accuracy after every epoch; the four Pearson rho values at the end.

Identical arithmetic to vclab: --init reads vclab's weights_init.h5 (/W0, /W1), --order reads the sample
order written by bench_batch_order (vclab's std::mt19937_64 + std::shuffle, int64, epochs x N).
"""
import argparse
import gzip
import json
import math
import os
import time

import h5py
import numpy as np
import torch
import torch.nn.functional as F


def load_cifar10(data_dir):
    """CIFAR-10 binary version (data_batch_1..5.bin, test_batch.bin, optionally .gz): (N, 3072) uint8, labels."""
    def read(name):
        path = os.path.join(data_dir, name)
        raw = gzip.open(path + ".gz").read() if os.path.exists(path + ".gz") else open(path, "rb").read()
        rec = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3073)
        return rec[:, 1:], rec[:, 0].astype(np.int64)
    parts = [read(f"data_batch_{i}.bin") for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts]); y_train = np.concatenate([p[1] for p in parts])
    x_test, y_test = read("test_batch.bin")
    to_unit = lambda x: torch.from_numpy(x.astype(np.float32) / np.float32(255.0))  # [0,1], CHW flattened
    return to_unit(x_train), torch.from_numpy(y_train), to_unit(x_test), torch.from_numpy(y_test)


class Mlp(torch.nn.Module):
    def __init__(self, w0, w1):
        super().__init__()
        self.fc0 = torch.nn.Linear(w0.shape[1], w0.shape[0], bias=False)
        self.fc1 = torch.nn.Linear(w1.shape[1], w1.shape[0], bias=False)
        with torch.no_grad():
            self.fc0.weight.copy_(torch.from_numpy(w0)); self.fc1.weight.copy_(torch.from_numpy(w1))

    def forward(self, x):
        return self.fc1(F.gelu(self.fc0(x)))


@torch.no_grad()
def evaluate(model, x, y, batch=1000):
    loss, correct = 0.0, 0
    for s in range(0, len(x), batch):
        logits = model(x[s:s + batch])
        loss += F.cross_entropy(logits, y[s:s + batch], reduction="sum").item()
        correct += (logits.argmax(1) == y[s:s + batch]).sum().item()
    return loss / len(x), correct / len(x)


def agop_diag(model, x, method, batch=500):
    """diag of A_0 = (1/N) sum_i sum_c grad_x f_c grad_x f_c^T."""
    w0, w1 = model.fc0.weight.detach(), model.fc1.weight.detach()
    if method == "cheap":
        # grad_x f_c = W0^T diag(s_i) W1[c]^T  =>  A = W0^T [(W1^T W1) o (S^T S)/N] W0, s_i = gelu'(W0 x_i).
        sts = torch.zeros(w0.shape[0], w0.shape[0], dtype=torch.float64)
        with torch.no_grad():
            for s in range(0, len(x), batch):
                z = x[s:s + batch] @ w0.T
                d = 0.5 * (1 + torch.erf(z / math.sqrt(2))) + z * torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
                sts += (d.T @ d).double()
        k = (w1.T @ w1).double() * sts / len(x)
        w = w0.double()
        return ((k @ w) * w).sum(0).numpy()
    # Per-class autograd (as Neural Feature Ansatz code does with jacobians): one backward per output c.
    acc = torch.zeros(x.shape[1], dtype=torch.float64)
    for s in range(0, len(x), batch):
        xb = x[s:s + batch].clone().requires_grad_(True)
        out = model(xb)
        for c in range(out.shape[1]):
            (g,) = torch.autograd.grad(out[:, c].sum(), xb, retain_graph=c + 1 < out.shape[1])
            acc += (g.double() ** 2).sum(0)
    return (acc / len(x)).numpy()


def pearson(a, b):
    return float(np.corrcoef(np.asarray(a, np.float64), np.asarray(b, np.float64))[0, 1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default="../shared/data/cifar10")
    p.add_argument("--init", required=True, help="HDF5 with /W0 (256,3072) and /W1 (10,256), e.g. vclab's weights_init.h5")
    p.add_argument("--order", required=True, help="int64 sample order, epochs x N (bench_batch_order)")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--agop", choices=["cheap", "autograd"], default="cheap")
    p.add_argument("--out", default="peer_figure1.json")
    p.add_argument("--compare-run", default="", help="vclab run dir: report the final-weight difference (not timed)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    t_start = time.perf_counter()

    x_train, y_train, x_test, y_test = load_cifar10(a.data_dir)
    with h5py.File(a.init, "r") as f:
        w0_init, w1_init = np.asarray(f["W0"], np.float32), np.asarray(f["W1"], np.float32)
    n = len(x_train)
    order = np.fromfile(a.order, dtype=np.int64).reshape(-1, n)
    assert order.shape[0] >= a.epochs, "--order holds fewer epochs than --epochs"
    t_loaded = time.perf_counter()

    model = Mlp(w0_init, w1_init)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    gram0 = (model.fc0.weight.detach().double() ** 2).sum(0).numpy()
    agop_init = agop_diag(model, x_train, a.agop)            # vclab records checkpoint 0 too
    evaluate(model, x_train, y_train); evaluate(model, x_test, y_test)  # vclab's epoch-0 metrics row
    v_diag = torch.zeros(x_train.shape[1], dtype=torch.float64)
    t_train0 = time.perf_counter(); agop_s = t_train0 - t_loaded
    history = []
    for epoch in range(a.epochs):
        perm = torch.from_numpy(order[epoch])
        for s in range(0, n, a.batch):
            idx = perm[s:s + a.batch]
            xb = x_train[idx].requires_grad_(True)
            loss = F.cross_entropy(model(xb), y_train[idx])
            opt.zero_grad()
            loss.backward()
            g = xb.grad  # dL_batch/dx, carries the 1/B
            v_diag += (-2 * a.lr * (xb.detach() * g).sum(0) + a.lr ** 2 * (g * g).sum(0)).double()
            opt.step()
        history.append(evaluate(model, x_test, y_test))
        print(f"epoch {epoch + 1}: test loss {history[-1][0]:.4f} acc {history[-1][1]:.4f}", flush=True)
    t_train1 = time.perf_counter()
    gram = (model.fc0.weight.detach().double() ** 2).sum(0).numpy()
    dgram = gram - gram0
    agop = agop_diag(model, x_train, a.agop)
    t_agop = time.perf_counter()
    vc = v_diag.numpy()
    rho = {"rho_vc_vs_gram": pearson(vc, gram), "rho_agop_vs_gram": pearson(agop, gram),
           "rho_vc_vs_dgram": pearson(vc, dgram), "rho_agop_vs_dgram": pearson(agop, dgram)}
    t_end = time.perf_counter()
    result = {"epochs": a.epochs, "threads": a.threads, "agop_method": a.agop, "torch": torch.__version__,
              "test_accuracy": history[-1][1], **rho,
              "seconds": {"load": t_loaded - t_start, "train": t_train1 - t_train0,
                          "agop_and_init": agop_s + (t_agop - t_train1), "total": t_end - t_start}}
    if a.compare_run:
        with h5py.File(os.path.join(a.compare_run, "weights_final.h5"), "r") as f:
            for name, w in (("W0", model.fc0.weight), ("W1", model.fc1.weight)):
                ref = np.asarray(f[name], np.float64)
                result[f"max_abs_diff_{name}"] = float(np.abs(w.detach().double().numpy() - ref).max())
                result[f"max_abs_{name}"] = float(np.abs(ref).max())
    with open(a.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
