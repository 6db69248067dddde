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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
