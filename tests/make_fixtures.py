#!/usr/bin/env python3
"""Generate PyTorch reference fixtures for the charrnn C test suite.

Re-run (from the repository root) with Debian's python3-torch:

    /usr/bin/python3 tests/make_fixtures.py [OUTPUT_DIR]

OUTPUT_DIR defaults to the ``fixtures`` folder next to this script.  The
output is deterministic: running the script twice gives identical bytes.

What is computed
----------------
For each configuration a small character-level model (optional embedding,
an L-layer nn.LSTM / nn.GRU / nn.RNN(tanh), a linear output layer) is built
in float64 from a seeded generator, run forward on random tokens from
random initial states, and the mean cross-entropy loss (nats, averaged over
all T*B positions) is back-propagated.  Every tensor is then written in the
charrnn C layout (row-major, batch-major, time-major sequences):

    embed    (V, E)       only if E > 0 (same as nn.Embedding.weight)
    l{k}.Wx  (In, G*H)    weight_ih_l{k}.T   (gate order LSTM i,f,g,o; GRU r,z,n)
    l{k}.Wh  (H, G*H)     weight_hh_l{k}.T
    l{k}.b   (G*H)        LSTM/RNN: bias_ih + bias_hh
                          GRU: [bias_ih[:2H] + bias_hh[:2H], bias_ih[2H:]]
    l{k}.bhn (H)          GRU only: bias_hh[2H:] (inside r * (W_hn h + b_hn))
    out.W    (H, V)       linear.weight.T
    out.b    (V)

Input values (weights, biases, h0, c0) are drawn uniform in [-0.5, 0.5] and
quantised to multiples of 2**-20, so every stored float32 input is *exactly*
the float64 value used to compute the references (also the summed biases).
Only the outputs (logits, loss, states, gradients) carry float32 rounding.

File format (little-endian)
---------------------------
    4 bytes magic "CRFX", u32 version = 1
    records until end of file:
        u32 name_length, name bytes (ASCII, no NUL),
        u32 ndim (1..4), u32 dims[ndim],
        prod(dims) float32 values, row-major

Record order in every file:
    config (8,) = [cell (0 lstm, 1 gru, 2 rnn), V, E, H, L, T, B, 0]
    tokens (T, B), targets (T, B)          (exact small integers as floats)
    h0 (L, B, H), c0 (L, B, H) [LSTM only]
    parameters in the order above
    logits (T, B, V), loss (1,), hT (L, B, H), cT (L, B, H) [LSTM only]
    d<param> for every parameter (same shapes), dh0, dc0 [LSTM only]

Optimizer fixtures
------------------
optim_adam.bin and optim_sgd.bin hold 50 steps of torch.optim.Adam and of
torch.optim.SGD (momentum 0.9, no dampening, no Nesterov) on 97 parameters
in two tensors, from stored float32 gradients, with global-norm clipping as
the library documents it (g * clip / |g| when |g| > clip; PyTorch's
clip_grad_norm_ adds 1e-6 to |g|), and each step's learning rate set in the
param group: cr_lr_at's warm-up and continuous decay times the factor of
train-charrnn's --anneal.  Records: config, hyper, w0, grads, lr_scale, lr,
grad_norm, clipped, w, m1, m2 (Adam only); tests/fixtures/README.md has
their meaning and the tolerance.  The script checks that torch.optim equals
the formulas of docs/checkpoint-format.md (1e-12) and that clip_grad_norm_
makes the same clipping decisions.

Self-check
----------
Before writing, the script recomputes the forward pass by hand (plain torch
ops on the mapped C-layout tensors, not the nn modules), asserts the loss,
logits and final states match the nn modules to 1e-12, asserts autograd
gradients of the hand-written forward match the mapped nn gradients to
1e-12, and checks a sample of mapped gradient entries (every tensor) by
central finite differences.  A layout-mapping mistake aborts the script.
"""

import hashlib
import os
import struct
import sys

import torch
import torch.nn.functional as F

MAGIC = b"CRFX"
VERSION = 1
CELLS = {"lstm": 0, "gru": 1, "rnn": 2}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
QUANT = 2.0 ** 20

# name, cell, V, E, H, L, T, B, seed
CONFIGS = [
    ("lstm_onehot", "lstm", 7, 0, 6, 2, 5, 3, 1001),
    ("lstm_embed", "lstm", 9, 4, 5, 1, 4, 2, 1002),
    ("gru_onehot", "gru", 7, 0, 6, 2, 5, 3, 1003),
    ("gru_embed", "gru", 8, 3, 5, 3, 4, 2, 1004),
    ("rnn_onehot", "rnn", 6, 0, 5, 2, 5, 3, 1005),
    # wider than one block of the vectorised gate loops (16 units), with a tail
    ("lstm_wide", "lstm", 6, 0, 20, 1, 3, 3, 1006),
    ("gru_wide", "gru", 6, 0, 20, 1, 3, 3, 1007),
    ("rnn_wide", "rnn", 6, 0, 20, 1, 3, 3, 1008),
]

DT = torch.float64


# --------------------------------------------------------------------------
# random inputs


def uniform(gen, *shape):
    """Uniform in [-0.5, 0.5], quantised to 2**-20 (exact in float32)."""
    x = torch.rand(*shape, generator=gen, dtype=DT) - 0.5
    return torch.round(x * QUANT) / QUANT


# --------------------------------------------------------------------------
# reference model through torch.nn and mapping to the C layout


def build_reference(cell, V, E, H, L, T, B, seed):
    gen = torch.Generator().manual_seed(seed)
    G = GATES[cell]

    embedding = torch.nn.Embedding(V, E).to(DT) if E > 0 else None
    In0 = E if E > 0 else V
    if cell == "lstm":
        rnn = torch.nn.LSTM(In0, H, num_layers=L, bias=True, batch_first=False)
    elif cell == "gru":
        rnn = torch.nn.GRU(In0, H, num_layers=L, bias=True, batch_first=False)
    else:
        rnn = torch.nn.RNN(In0, H, num_layers=L, nonlinearity="tanh",
                           bias=True, batch_first=False)
    rnn = rnn.to(DT)
    linear = torch.nn.Linear(H, V).to(DT)

    # Overwrite every parameter from our generator, in a fixed order.
    with torch.no_grad():
        if embedding is not None:
            embedding.weight.copy_(uniform(gen, V, E))
        for k in range(L):
            In = In0 if k == 0 else H
            getattr(rnn, f"weight_ih_l{k}").copy_(uniform(gen, G * H, In))
            getattr(rnn, f"weight_hh_l{k}").copy_(uniform(gen, G * H, H))
            getattr(rnn, f"bias_ih_l{k}").copy_(uniform(gen, G * H))
            getattr(rnn, f"bias_hh_l{k}").copy_(uniform(gen, G * H))
        linear.weight.copy_(uniform(gen, V, H))
        linear.bias.copy_(uniform(gen, V))

    tokens = torch.randint(0, V, (T, B), generator=gen)
    targets = torch.randint(0, V, (T, B), generator=gen)
    h0 = uniform(gen, L, B, H).requires_grad_(True)
    c0 = uniform(gen, L, B, H).requires_grad_(True) if cell == "lstm" else None

    # forward through the nn modules
    if embedding is not None:
        x = embedding(tokens)  # (T, B, E)
    else:
        x = F.one_hot(tokens, V).to(DT)  # (T, B, V)
    if cell == "lstm":
        top, (hT, cT) = rnn(x, (h0, c0))
    else:
        top, hT = rnn(x, h0)
        cT = None
    logits = linear(top)  # (T, B, V)
    loss = F.cross_entropy(logits.reshape(T * B, V), targets.reshape(T * B),
                           reduction="mean")
    loss.backward()

    # map parameters and gradients to OUR layout (ordered)
    params, grads = {}, {}
    with torch.no_grad():
        if embedding is not None:
            params["embed"] = embedding.weight.detach().clone()
            grads["embed"] = embedding.weight.grad.detach().clone()
        for k in range(L):
            wih = getattr(rnn, f"weight_ih_l{k}")
            whh = getattr(rnn, f"weight_hh_l{k}")
            bih = getattr(rnn, f"bias_ih_l{k}")
            bhh = getattr(rnn, f"bias_hh_l{k}")
            params[f"l{k}.Wx"] = wih.detach().t().contiguous()
            grads[f"l{k}.Wx"] = wih.grad.detach().t().contiguous()
            params[f"l{k}.Wh"] = whh.detach().t().contiguous()
            grads[f"l{k}.Wh"] = whh.grad.detach().t().contiguous()
            if cell == "gru":
                b = torch.cat([bih[:2 * H] + bhh[:2 * H], bih[2 * H:]])
                params[f"l{k}.b"] = b.detach().clone()
                grads[f"l{k}.b"] = bih.grad.detach().clone()
                params[f"l{k}.bhn"] = bhh[2 * H:].detach().clone()
                grads[f"l{k}.bhn"] = bhh.grad[2 * H:].detach().clone()
                # the r,z parts of bias_hh see the same gradient as bias_ih
                # (equal up to summation-order rounding)
                assert close(bih.grad[:2 * H], bhh.grad[:2 * H], 1e-14)
            else:
                params[f"l{k}.b"] = (bih + bhh).detach().clone()
                grads[f"l{k}.b"] = bih.grad.detach().clone()
                assert close(bih.grad, bhh.grad, 1e-14)
        params["out.W"] = linear.weight.detach().t().contiguous()
        grads["out.W"] = linear.weight.grad.detach().t().contiguous()
        params["out.b"] = linear.bias.detach().clone()
        grads["out.b"] = linear.bias.grad.detach().clone()

    return {
        "cell": cell, "V": V, "E": E, "H": H, "L": L, "T": T, "B": B,
        "tokens": tokens, "targets": targets,
        "h0": h0.detach().clone(),
        "c0": c0.detach().clone() if c0 is not None else None,
        "params": params, "grads": grads,
        "logits": logits.detach().clone(), "loss": loss.detach().clone(),
        "hT": hT.detach().clone(),
        "cT": cT.detach().clone() if cT is not None else None,
        "dh0": h0.grad.detach().clone(),
        "dc0": c0.grad.detach().clone() if c0 is not None else None,
    }


# --------------------------------------------------------------------------
# hand-written forward on OUR layout (independent of torch.nn)


def manual_forward(ref, params, h0, c0):
    cell, V, E, H, L, T, B = (ref[k] for k in ("cell", "V", "E", "H", "L", "T", "B"))
    tokens, targets = ref["tokens"], ref["targets"]
    h = [h0[k] for k in range(L)]
    c = [c0[k] for k in range(L)] if cell == "lstm" else None
    logits = []
    for t in range(T):
        if E > 0:
            x = params["embed"][tokens[t]]  # (B, E)
        else:
            x = torch.zeros(B, V, dtype=DT)
            x[torch.arange(B), tokens[t]] = 1.0
        for k in range(L):
            Wx, Wh, b = params[f"l{k}.Wx"], params[f"l{k}.Wh"], params[f"l{k}.b"]
            if cell == "lstm":
                a = x @ Wx + h[k] @ Wh + b
                i = torch.sigmoid(a[:, 0:H])
                f = torch.sigmoid(a[:, H:2 * H])
                g = torch.tanh(a[:, 2 * H:3 * H])
                o = torch.sigmoid(a[:, 3 * H:4 * H])
                c[k] = f * c[k] + i * g
                h[k] = o * torch.tanh(c[k])
            elif cell == "gru":
                ax = x @ Wx + b
                ah = h[k] @ Wh
                r = torch.sigmoid(ax[:, 0:H] + ah[:, 0:H])
                z = torch.sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
                n = torch.tanh(ax[:, 2 * H:] + r * (ah[:, 2 * H:] + params[f"l{k}.bhn"]))
                h[k] = (1.0 - z) * n + z * h[k]
            else:
                h[k] = torch.tanh(x @ Wx + h[k] @ Wh + b)
            x = h[k]
        logits.append(x @ params["out.W"] + params["out.b"])
    logits = torch.stack(logits)  # (T, B, V)
    # explicit log-softmax cross entropy, mean over T*B
    m = logits.max(dim=2, keepdim=True).values
    lse = (m + torch.log(torch.exp(logits - m).sum(dim=2, keepdim=True))).squeeze(2)
    picked = logits.gather(2, targets.unsqueeze(2)).squeeze(2)
    loss = (lse - picked).sum() / (T * B)
    hT = torch.stack(h)
    cT = torch.stack(c) if cell == "lstm" else None
    return loss, logits, hT, cT


def close(a, b, tol):
    return (a - b).abs().max().item() <= tol


def self_check(name, ref):
    cell = ref["cell"]
    params = {k: v.clone().requires_grad_(True) for k, v in ref["params"].items()}
    h0 = ref["h0"].clone().requires_grad_(True)
    c0 = ref["c0"].clone().requires_grad_(True) if cell == "lstm" else None

    loss, logits, hT, cT = manual_forward(ref, params, h0, c0)
    assert abs(loss.item() - ref["loss"].item()) <= 1e-12, \
        f"{name}: loss mismatch {loss.item()} vs {ref['loss'].item()}"
    assert close(logits, ref["logits"], 1e-12), f"{name}: logits mismatch"
    assert close(hT, ref["hT"], 1e-12), f"{name}: hT mismatch"
    if cell == "lstm":
        assert close(cT, ref["cT"], 1e-12), f"{name}: cT mismatch"

    # autograd of the hand-written forward vs the mapped nn gradients
    loss.backward()
    for k, p in params.items():
        assert close(p.grad, ref["grads"][k], 1e-12), f"{name}: grad mismatch d{k}"
    assert close(h0.grad, ref["dh0"], 1e-12), f"{name}: grad mismatch dh0"
    if cell == "lstm":
        assert close(c0.grad, ref["dc0"], 1e-12), f"{name}: grad mismatch dc0"

    # central finite differences on the mapped gradients (every tensor,
    # several entries each, including the largest-magnitude entry)
    base = {k: v.clone() for k, v in ref["params"].items()}
    states = {"h0": ref["h0"].clone()}
    if cell == "lstm":
        states["c0"] = ref["c0"].clone()
    targets = [(k, "param") for k in base] + [(k, "state") for k in states]
    eps = 1e-5
    worst = 0.0
    for key, kind in targets:
        tensor = base[key] if kind == "param" else states[key]
        analytic = ref["grads"][key] if kind == "param" else ref["d" + key]
        flat_a = analytic.reshape(-1)
        picks = {0, flat_a.numel() - 1, flat_a.numel() // 2,
                 int(flat_a.abs().argmax())}
        for idx in sorted(picks):
            vals = []
            for sgn in (1.0, -1.0):
                pert_p = {k: v.clone() for k, v in base.items()}
                pert_s = {k: v.clone() for k, v in states.items()}
                tgt = pert_p[key] if kind == "param" else pert_s[key]
                tgt.view(-1)[idx] += sgn * eps
                with torch.no_grad():
                    l, _, _, _ = manual_forward(ref, pert_p, pert_s["h0"],
                                                pert_s.get("c0"))
                vals.append(l.item())
            fd = (vals[0] - vals[1]) / (2 * eps)
            an = flat_a[idx].item()
            err = abs(fd - an)
            worst = max(worst, err)
            assert err <= 1e-8 + 1e-6 * abs(an), \
                f"{name}: finite difference mismatch d{key}[{idx}]: fd={fd} an={an}"
    return worst


# --------------------------------------------------------------------------
# serialisation


def record(name, tensor):
    t = torch.as_tensor(tensor).detach().to(torch.float64).contiguous()
    dims = list(t.shape)
    assert 1 <= len(dims) <= 4, (name, dims)
    nb = name.encode("ascii")
    out = [struct.pack("<I", len(nb)), nb, struct.pack("<I", len(dims)),
           struct.pack("<%dI" % len(dims), *dims)]
    vals = t.to(torch.float32).reshape(-1).tolist()
    out.append(struct.pack("<%df" % len(vals), *vals))
    return b"".join(out)


def serialise(ref):
    cell, V, E, H, L, T, B = (ref[k] for k in ("cell", "V", "E", "H", "L", "T", "B"))
    lstm = cell == "lstm"
    parts = [MAGIC, struct.pack("<I", VERSION)]
    parts.append(record("config", torch.tensor(
        [CELLS[cell], V, E, H, L, T, B, 0], dtype=DT)))
    parts.append(record("tokens", ref["tokens"]))
    parts.append(record("targets", ref["targets"]))
    parts.append(record("h0", ref["h0"]))
    if lstm:
        parts.append(record("c0", ref["c0"]))
    for k, v in ref["params"].items():
        parts.append(record(k, v))
    parts.append(record("logits", ref["logits"]))
    parts.append(record("loss", ref["loss"].reshape(1)))
    parts.append(record("hT", ref["hT"]))
    if lstm:
        parts.append(record("cT", ref["cT"]))
    for k, v in ref["grads"].items():
        parts.append(record("d" + k, v))
    parts.append(record("dh0", ref["dh0"]))
    if lstm:
        parts.append(record("dc0", ref["dc0"]))
    return b"".join(parts)


def check_exact_inputs(name, ref):
    """Stored float32 inputs must equal the float64 values actually used."""
    tensors = dict(ref["params"])
    tensors["h0"] = ref["h0"]
    if ref["c0"] is not None:
        tensors["c0"] = ref["c0"]
    for k, v in tensors.items():
        assert torch.equal(v.to(torch.float32).to(DT), v), \
            f"{name}: input {k} not exactly representable in float32"


def expected_order(ref):
    lstm = ref["cell"] == "lstm"
    names = ["config", "tokens", "targets", "h0"] + (["c0"] if lstm else [])
    names += list(ref["params"])
    names += ["logits", "loss", "hT"] + (["cT"] if lstm else [])
    names += ["d" + k for k in ref["params"]] + ["dh0"] + (["dc0"] if lstm else [])
    return names


def parse(data):
    """Minimal reader used to validate what was written."""
    assert data[:4] == MAGIC and struct.unpack_from("<I", data, 4)[0] == VERSION
    pos, recs = 8, []
    while pos < len(data):
        (n,) = struct.unpack_from("<I", data, pos); pos += 4
        name = data[pos:pos + n].decode("ascii"); pos += n
        (nd,) = struct.unpack_from("<I", data, pos); pos += 4
        dims = struct.unpack_from("<%dI" % nd, data, pos); pos += 4 * nd
        cnt = 1
        for d in dims:
            cnt *= d
        vals = struct.unpack_from("<%df" % cnt, data, pos); pos += 4 * cnt
        recs.append((name, dims, vals))
    assert pos == len(data)
    return recs


# --------------------------------------------------------------------------
# optimiser fixtures: 50 steps of torch.optim.Adam / SGD on stored gradients
#
# The C test (tests/unit/test_optim.c) holds the same settings as OPTIM_SETTINGS
# in double and checks that they round to the fixture's `hyper` record.

OPTIM_STEPS = 50
OPTIM_SHAPES = [(7, 11), (20,)]  # two tensors, 97 parameters: not a multiple of a vector
OPTIM_TINY = 6                   # the last 6 parameters get gradients near adam_eps (1e-8)
# steps whose gradient norm is made 2..10 times the clip
OPTIM_CLIPPED = {0, 4, 5, 11, 17, 23, 30, 31, 38, 44, 49}
# name: optimizer (0 adam, 1 sgd), lr, lr_decay, warmup, momentum, beta1, beta2,
#       adam_eps, clip, anneal, seed, weight_decay (decoupled: AdamW's, and the same for SGD)
OPTIM_SETTINGS = [
    ("optim_adam", 0, 2e-2, 0.5, 10, 0.9, 0.9, 0.999, 1e-8, 5.0, 0.3, 2001, 0.0),
    ("optim_sgd", 1, 1e-2, 0.5, 10, 0.9, 0.9, 0.999, 1e-8, 5.0, 0.3, 2002, 0.0),
    ("optim_adamw", 0, 2e-2, 0.5, 10, 0.9, 0.9, 0.999, 1e-8, 5.0, 0.3, 2003, 0.5),
    ("optim_sgdw", 1, 1e-2, 0.5, 10, 0.9, 0.9, 0.999, 1e-8, 5.0, 0.3, 2002, 0.25),
]


def to_f32(x):
    """The float32 value of x, as float64: stored inputs are exactly the values used."""
    return x.to(torch.float32).to(DT)


def optim_gradients(gen, P, clip):
    """(N, P) gradients: mostly of norm 0.5 to 4 (below clip 5), 2 to 10 times the clip on the
    steps of OPTIM_CLIPPED; about 10% exact zeros per step, parameter 0 always zero, and the
    last OPTIM_TINY of order 1e-8 so that adam_eps matters for them. Every norm is at least 10%
    away from the clip, so float rounding cannot change a clipping decision."""
    rows = []
    for t in range(OPTIM_STEPS):
        g = torch.randn(P, generator=gen, dtype=DT)
        g[torch.rand(P, generator=gen, dtype=DT) < 0.1] = 0.0
        g[0] = 0.0
        g[P - OPTIM_TINY:] *= 1e-8
        u = torch.rand(1, generator=gen, dtype=DT).item()
        want = clip * (2 + 8 * u) if t in OPTIM_CLIPPED else 0.5 + 3.5 * u
        g = to_f32(g * (want / g.norm().item()))
        n = g.norm().item()
        assert abs(n - clip) > 0.1 * clip and (n > clip) == (t in OPTIM_CLIPPED), (t, n)
        rows.append(g)
    return torch.stack(rows)


def anneal_scale(anneal, k, n):
    """train-charrnn's factor for the step after k of n steps (--steps n --anneal a)."""
    f = min(k / n, 1.0)
    if anneal <= 0 or f <= 1 - anneal:
        return 1.0
    return max(0.0, (1 - f) / anneal)


def lr_at(lr, lr_decay, warmup, t):
    """cr_lr_at: linear warm-up, then lr_decay per 1000 steps, continuously (same order of
    operations as the C, in double)."""
    if warmup > 0 and t < warmup:
        lr = lr * ((t + 1) / warmup)
    return lr * lr_decay ** (t / 1000.0)


def build_optim_reference(setting):
    (name, opt, lr, lr_decay, warmup, momentum, beta1, beta2, eps, clip, anneal,
     seed, wd) = setting
    gen = torch.Generator().manual_seed(seed)
    sizes = [int(torch.tensor(s).prod().item()) for s in OPTIM_SHAPES]
    P = sum(sizes)
    w0 = to_f32(torch.rand(P, generator=gen, dtype=DT) * 2 - 1)
    grads = optim_gradients(gen, P, clip)

    params = [torch.nn.Parameter(x.clone().reshape(s))
              for x, s in zip(torch.split(w0, sizes), OPTIM_SHAPES)]
    if opt == 0 and wd > 0:  # decoupled: each weight times 1 - lr wd, then Adam's step
        optimizer = torch.optim.AdamW(params, lr=lr, betas=(beta1, beta2), eps=eps,
                                      weight_decay=wd, amsgrad=False)
    elif opt == 0:
        optimizer = torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), eps=eps,
                                     weight_decay=0, amsgrad=False)
    else:  # SGD's own weight_decay adds wd w to the gradient; decoupled decay is applied below
        optimizer = torch.optim.SGD(params, lr=lr, momentum=momentum, dampening=0,
                                    nesterov=False, weight_decay=0)
    scales, lrs, norms, clipped = [], [], [], []
    # the documented formulas by hand, beside torch.optim (docs/checkpoint-format.md)
    hw, hm, hs = w0.clone(), torch.zeros(P, dtype=DT), torch.zeros(P, dtype=DT)
    worst_torch_clip = 0.0
    for t in range(OPTIM_STEPS):
        g = grads[t]
        for p, x in zip(params, torch.split(g, sizes)):
            p.grad = x.clone().reshape(p.shape)
        norm = g.norm().item()
        # clipping as the library documents it: g * clip / |g| when |g| > clip
        coef = clip / norm if clip > 0 and norm > clip else 1.0
        # torch.nn.utils.clip_grad_norm_ uses clip / (|g| + 1e-6) whenever that is below 1:
        # the same decisions here (no norm is near the clip), a coefficient within 1e-6 / |g|
        holders = [torch.nn.Parameter(torch.zeros_like(p)) for p in params]
        for h, p in zip(holders, params):
            h.grad = p.grad.clone()
        torch.nn.utils.clip_grad_norm_(holders, clip)
        g0 = params[0].grad.reshape(-1)
        torch_coef = (holders[0].grad.reshape(-1) @ g0).item() / (g0 @ g0).item()
        rel = abs(torch_coef / coef - 1)
        assert rel <= 1e-6 / norm * 1.01 + 1e-15, (name, t, coef, torch_coef)
        assert (torch_coef < 1) == (coef < 1), (name, t)
        worst_torch_clip = max(worst_torch_clip, rel)
        for p in params:
            p.grad.mul_(coef)
        scale = anneal_scale(anneal, t, OPTIM_STEPS)
        rate = lr_at(lr, lr_decay, warmup, t) * scale
        for group in optimizer.param_groups:
            group["lr"] = rate
        if opt == 1 and wd > 0:
            with torch.no_grad():
                for p in params:
                    p.mul_(1 - rate * wd)
        optimizer.step()
        scales.append(scale)
        lrs.append(rate)
        norms.append(norm)
        clipped.append(1.0 if coef < 1 else 0.0)

        gc = g * coef
        hw = hw * (1 - rate * wd)
        if opt == 0:
            hm = beta1 * hm + (1 - beta1) * gc
            hs = beta2 * hs + (1 - beta2) * gc * gc
            c1 = 1 / (1 - beta1 ** (t + 1))
            c2 = 1 / (1 - beta2 ** (t + 1))
            hw = hw - rate * (hm * c1) / (torch.sqrt(hs * c2) + eps)
        else:
            hm = momentum * hm + gc
            hw = hw - rate * hm

    w = torch.cat([p.detach().reshape(-1) for p in params])
    if opt == 0:
        m1 = torch.cat([optimizer.state[p]["exp_avg"].reshape(-1) for p in params])
        m2 = torch.cat([optimizer.state[p]["exp_avg_sq"].reshape(-1) for p in params])
    else:
        m1 = torch.cat([optimizer.state[p]["momentum_buffer"].reshape(-1) for p in params])
        m2 = None
    assert close(w, hw, 1e-12) and close(m1, hm, 1e-12), f"{name}: torch.optim != formula"
    if m2 is not None:
        assert close(m2, hs, 1e-12), f"{name}: torch.optim != formula (m2)"
    assert sum(clipped) == len(OPTIM_CLIPPED), name
    assert anneal_scale(anneal, 0, OPTIM_STEPS) == 1.0 and scales[-1] < 0.1, name
    hyper = [lr, lr_decay, momentum, beta1, beta2, eps, clip, anneal]
    return {
        "config": [opt, P, OPTIM_STEPS, warmup, wd, 0, 0, 0], "hyper": hyper,
        "w0": w0, "grads": grads, "lr_scale": scales, "lr": lrs, "grad_norm": norms,
        "clipped": clipped, "w": w, "m1": m1, "m2": m2,
        "worst_torch_clip": worst_torch_clip,
    }


OPTIM_ORDER = ["config", "hyper", "w0", "grads", "lr_scale", "lr", "grad_norm", "clipped",
               "w", "m1", "m2"]


def serialise_optim(ref):
    parts = [MAGIC, struct.pack("<I", VERSION)]
    for k in OPTIM_ORDER:
        if ref[k] is not None:
            parts.append(record(k, torch.tensor(ref[k], dtype=DT)
                                if isinstance(ref[k], list) else ref[k]))
    return b"".join(parts)


def main(argv):
    torch.set_num_threads(1)
    torch.manual_seed(0)  # only affects the throw-away default nn init
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = argv[1] if len(argv) > 1 else os.path.join(here, "fixtures")
    os.makedirs(outdir, exist_ok=True)
    for name, cell, V, E, H, L, T, B, seed in CONFIGS:
        ref = build_reference(cell, V, E, H, L, T, B, seed)
        check_exact_inputs(name, ref)
        worst_fd = self_check(name, ref)
        data = serialise(ref)
        recs = parse(data)
        assert [r[0] for r in recs] == expected_order(ref), name
        assert len(data) < 40 * 1024, f"{name}: too large ({len(data)} bytes)"
        path = os.path.join(outdir, name + ".bin")
        with open(path, "wb") as fh:
            fh.write(data)
        print(f"{name}.bin: {len(data)} bytes, loss={ref['loss'].item():.12f}, "
              f"max fd err={worst_fd:.2e}, sha256={hashlib.sha256(data).hexdigest()[:16]}")
    for setting in OPTIM_SETTINGS:
        name = setting[0]
        ref = build_optim_reference(setting)
        data = serialise_optim(ref)
        recs = parse(data)
        assert [r[0] for r in recs] == [k for k in OPTIM_ORDER if ref[k] is not None], name
        assert len(data) < 40 * 1024, f"{name}: too large ({len(data)} bytes)"
        path = os.path.join(outdir, name + ".bin")
        with open(path, "wb") as fh:
            fh.write(data)
        print(f"{name}.bin: {len(data)} bytes, {int(sum(ref['clipped']))} of {OPTIM_STEPS} "
              f"steps clipped, clip_grad_norm_ differs by {ref['worst_torch_clip']:.1e}, "
              f"sha256={hashlib.sha256(data).hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
