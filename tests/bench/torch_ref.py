#!/usr/bin/python3
"""torch_ref.py: the PyTorch reference for `make bench`: train-charrnn's training loop in PyTorch.

The same loop as src/lib/train.c with the default settings: an nn.LSTM over the one-hot input
(as a float tensor, as the reference numbers were measured), a Linear output layer, mean
cross-entropy, Adam at lr 2e-3, gradient norm clipped to 5, batch 32 stripes of the training
split (the first 90% of the corpus) read 64 characters at a time, the hidden state carried
between chunks (detached) and reset at the end of an epoch. Learning-rate warm-up and decay are
left out: they change no timing. One intra-op thread (torch.set_num_threads(1)); OpenBLAS keeps
its own thread count (OPENBLAS_NUM_THREADS, by default one per core), the fastest layout on the
machine the reference numbers come from.

Prints one line of key=value pairs on standard output, like tests/bench/bench.c:

    torch cell=lstm layers=2 hidden=256 ... chars_per_s=14100 ... blas=openblas blas_threads=2

Run it with Debian's /usr/bin/python3 (python3-torch, libopenblas-dev).
"""
import argparse
import ctypes
import math
import os
import resource
import sys
import time


def blas_in_use():
    """(kind, path, threads) of the BLAS library mapped into this process."""
    paths = []
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1] if len(line.split()) >= 6 else ""
            name = os.path.basename(p)
            if ("blas" in name or "mkl_rt" in name or "mkl_core" in name) and p not in paths:
                paths.append(p)
    kind, found, threads = "unknown", "", 0
    for p in paths:
        real = os.path.realpath(p)
        if "openblas" in real:
            kind, found = "openblas", real
            try:
                threads = ctypes.CDLL(p).openblas_get_num_threads()
            except (OSError, AttributeError):
                pass
            break
        if "mkl" in real:
            kind, found = "mkl", real
        elif kind == "unknown" and os.path.basename(real).startswith("libblas"):
            kind, found = "reference", real  # netlib's libblas3: unoptimised
    return kind, found, threads


def machine_busy_s():
    """CPU seconds all processes have used (Linux /proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads [1]")
    a = ap.parse_args()

    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    with open(a.corpus, encoding="utf-8") as f:
        text = f.read()
    vocab = sorted(set(text))
    index = {ch: i for i, ch in enumerate(vocab)}
    V, T, B, L, H = len(vocab), a.seq_len, a.batch, a.layers, a.hidden
    n = len(text)
    ntrain = n - math.floor(n * 0.1)
    stripe = ntrain // B
    chunks = (stripe - 1) // T
    if chunks < 1:
        sys.exit("torch_ref.py: %s: too short for batch %d and seq-len %d" % (a.corpus, B, T))
    ids = torch.tensor([index[ch] for ch in text[: B * stripe]], dtype=torch.long)
    rows = ids.view(B, stripe)  # row b is stripe b of the training split

    lstm = nn.LSTM(V, H, L)
    out = nn.Linear(H, V)
    params = list(lstm.parameters()) + list(out.parameters())
    opt = torch.optim.Adam(params, lr=2e-3)
    h = torch.zeros(L, B, H)
    c = torch.zeros(L, B, H)
    pos = 0

    def step():
        nonlocal h, c, pos
        x = rows[:, pos * T : pos * T + T].t()  # (T, B)
        y = rows[:, pos * T + 1 : pos * T + T + 1].t()
        xo = F.one_hot(x, V).float()  # (T, B, V): the input as a dense float matrix
        o, (h, c) = lstm(xo, (h, c))
        loss = F.cross_entropy(out(o).reshape(-1, V), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        h, c = h.detach(), c.detach()
        pos += 1
        if pos == chunks:
            pos = 0
            h, c = torch.zeros(L, B, H), torch.zeros(L, B, H)
        return loss.item()

    for _ in range(a.warmup):
        step()
    b0 = machine_busy_s()
    t0 = time.perf_counter()
    c0 = time.process_time()
    loss = 0.0
    for _ in range(a.steps):
        loss += step()
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    b1 = machine_busy_s()
    others = max(0.0, (b1 - b0 - cpu) / dt) if b0 is not None and b1 is not None else -1.0
    kind, path, bthreads = blas_in_use()
    cps = a.steps * B * T / dt
    print(
        "torch cell=lstm layers=%d hidden=%d embed=0 batch=%d seq=%d vocab=%d threads=%d "
        "blas=%s blas_threads=%d steps=%d seconds=%.3f chars_per_s=%.0f cpu_util=%.2f "
        "others_cpu=%.2f peak_rss_kb=%d loss=%.4f torch_version=%s blas_path=%s"
        % (L, H, B, T, V, torch.get_num_threads(), kind, bthreads, a.steps, dt, cps,
           cpu / dt, others, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           loss / a.steps, torch.__version__, path or "-")
    )
    if kind != "openblas":
        print("torch_ref.py: PyTorch runs on %s BLAS (%s), not OpenBLAS: the reference numbers "
              "were measured with libopenblas-dev, so a ratio against this run means little"
              % (kind, path or "not found"), file=sys.stderr)


if __name__ == "__main__":
    main()
