#!/usr/bin/env python3
"""Regenerate fixtures/golden/ and fixtures/golden-broken/ with real PyTorch.

    /path/to/venv/bin/python tools/make_golden_fixtures.py
    /path/to/venv/bin/python tools/make_golden_fixtures.py --only NAME...   # just these cases, the others left as committed

Every case is deterministic (torch.manual_seed per case, derived from its
name).  For every case the script also

  * re-runs the module in float64 and checks the float32 golden is
    well-conditioned: max |f32 - f64| <= 0.25 * (atol + rtol * |f64|)
    elementwise (if not, the inputs are scaled down and the case rebuilt);
  * recomputes the expected results with an independent hand-written numpy
    loop (``reference``) implementing the RNN / LSTM / GRU equations,
    including multi-layer, bidirectional, proj_size, lengths, batch_first and
    unbatched handling, and asserts it matches torch's float64 run to 1e-6.

No golden number is typed by hand: all come from torch.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import sys
import warnings
import zlib

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from golden import (  # noqa: E402
    L2Normalize, LastValidStep, TakeLastHidden, TakeOutput, choose_tolerance, module_kind, run_golden, save_golden,
    save_golden_steps,
)

ROOT = os.path.dirname(HERE)
GOLDEN_DIR = os.path.join(ROOT, "fixtures", "golden")
BROKEN_DIR = os.path.join(ROOT, "fixtures", "golden-broken")

torch.set_num_threads(1)  # bit-for-bit reproducible runs
warnings.filterwarnings("ignore", message="LSTM with projections is not supported with oneDNN")


# --------------------------------------------------------------------------
# Independent reference implementation (numpy, float64)
# --------------------------------------------------------------------------

def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _step(kind, W, x, h, c, nonlinearity):
    """One time step for one batch entry (or a batch: works on the last axis)."""
    gi = x @ W["w_ih"].T
    gh = h @ W["w_hh"].T
    if W["b_ih"] is not None:
        gi = gi + W["b_ih"]
        gh = gh + W["b_hh"]
    if kind == "RNN":
        pre = gi + gh  # h' = act(W_ih x + b_ih + W_hh h + b_hh)
        return (np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0.0)), None
    if kind == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)  # row blocks [i, f, g, o]
        c2 = _sig(f) * c + _sig(i) * np.tanh(g)
        h2 = _sig(o) * np.tanh(c2)
        if W["w_hr"] is not None:  # proj_size: h' = W_hr (o * tanh(c'))
            h2 = h2 @ W["w_hr"].T
        return h2, c2
    if kind == "GRU":
        i_r, i_z, i_n = np.split(gi, 3, axis=-1)  # row blocks [r, z, n]
        h_r, h_z, h_n = np.split(gh, 3, axis=-1)
        r = _sig(i_r + h_r)
        z = _sig(i_z + h_z)
        n = np.tanh(i_n + r * h_n)  # b_hn stays inside r * (...)
        return (1.0 - z) * n + z * h, None
    raise ValueError(kind)


def _np(t):
    return None if t is None else t.detach().cpu().double().numpy()


def reference(kind, sd, case, golden):
    """Expected results from the equations; sd = module state_dict, golden = inputs."""
    sd = {k: _np(v) for k, v in sd.items()}
    nl = case["nonlinearity"]
    x = _np(golden["input"])
    h0 = _np(golden.get("h0"))
    c0 = _np(golden.get("c0"))

    if kind.endswith("Cell"):
        base = kind[:-4]
        W = {"w_ih": sd["weight_ih"], "w_hh": sd["weight_hh"], "b_ih": sd.get("bias_ih"),
             "b_hh": sd.get("bias_hh"), "w_hr": None}
        H = sd["weight_hh"].shape[1]
        lead = x.shape[:-1]
        h = h0 if h0 is not None else np.zeros(lead + (H,))
        c = c0 if c0 is not None else np.zeros(lead + (H,))
        h2, c2 = _step(base, W, x, h, c, nl)
        res = {"h_n": h2}
        if base == "LSTM":
            res["c_n"] = c2
        return res

    L = sum(1 for k in sd if k.startswith("weight_ih_l") and not k.endswith("_reverse"))
    D = 2 if "weight_ih_l0_reverse" in sd else 1
    P = sd["weight_hr_l0"].shape[0] if "weight_hr_l0" in sd else 0
    H = sd["weight_hh_l0"].shape[1] if not P else sd["weight_hr_l0"].shape[1]
    Hout = P or H
    unbatched = x.ndim == 2
    if unbatched:  # (T, I) whatever batch_first says
        x = x[:, None, :]
        h0 = None if h0 is None else h0[:, None, :]
        c0 = None if c0 is None else c0[:, None, :]
    elif case["batch_first"]:
        x = x.transpose(1, 0, 2)
    T, B, _ = x.shape
    if h0 is None:
        h0 = np.zeros((L * D, B, Hout))
    if c0 is None:
        c0 = np.zeros((L * D, B, H))
    lens = [T] * B if "lengths" not in golden else [int(v) for v in golden["lengths"]]

    hn = np.zeros((L * D, B, Hout))
    cn = np.zeros((L * D, B, H))
    layer_in = x
    for layer in range(L):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            W = {"w_ih": sd["weight_ih" + sfx], "w_hh": sd["weight_hh" + sfx],
                 "b_ih": sd.get("bias_ih" + sfx), "b_hh": sd.get("bias_hh" + sfx),
                 "w_hr": sd.get("weight_hr" + sfx)}
            out = np.zeros((T, B, Hout))  # padded steps stay 0
            for b in range(B):
                h, c = h0[layer * D + d, b], c0[layer * D + d, b]
                steps = range(lens[b]) if d == 0 else reversed(range(lens[b]))
                for t in steps:
                    h, c2 = _step(kind, W, layer_in[t, b], h, c, nl)
                    c = c2 if c2 is not None else c
                    out[t, b] = h
                hn[layer * D + d, b] = h  # last *valid* step of this entry
                cn[layer * D + d, b] = c
            outs.append(out)
        layer_in = np.concatenate(outs, axis=-1)  # [forward | reverse]
    out = layer_in
    if unbatched:
        out, hn, cn = out[:, 0], hn[:, 0], cn[:, 0]
    elif case["batch_first"]:
        out = out.transpose(1, 0, 2)
    res = {"output": out, "h_n": hn}
    if kind == "LSTM":
        res["c_n"] = cn
    return res


# --------------------------------------------------------------------------
# Case builders
# --------------------------------------------------------------------------

def _make(kind, I, H, L=1, bidir=False, proj=0, bias=True, bf=False, nonlin="tanh"):
    if kind == "RNN":
        return nn.RNN(I, H, L, nonlinearity=nonlin, bias=bias, batch_first=bf, bidirectional=bidir)
    if kind == "LSTM":
        return nn.LSTM(I, H, L, bias=bias, batch_first=bf, bidirectional=bidir, proj_size=proj)
    if kind == "GRU":
        return nn.GRU(I, H, L, bias=bias, batch_first=bf, bidirectional=bidir)
    if kind == "RNNCell":
        return nn.RNNCell(I, H, bias=bias, nonlinearity=nonlin)
    if kind == "LSTMCell":
        return nn.LSTMCell(I, H, bias=bias)
    if kind == "GRUCell":
        return nn.GRUCell(I, H, bias=bias)
    raise ValueError(kind)


def seq(kind, I=3, H=4, *, L=1, bidir=False, proj=0, bias=True, bf=False, nonlin="tanh",
        B=3, T=5, unbatched=False, states=False, lengths=None, hscale=0.5):
    """Builder for a sequence-module case; returns build(scale) -> dict."""
    def build(scale):
        m = _make(kind, I, H, L, bidir, proj, bias, bf, nonlin)
        D = 2 if bidir else 1
        Hout = proj or H
        if unbatched:
            x = torch.randn(T, I)
            st = (L * D,)
        else:
            x = torch.randn(B, T, I) if bf else torch.randn(T, B, I)
            st = (L * D, B)
        x = x * scale
        h0 = c0 = None
        if states:
            h0 = torch.randn(*st, Hout) * hscale * scale
            if kind == "LSTM":
                c0 = torch.randn(*st, H) * scale
        lens = None if lengths is None else torch.tensor(lengths, dtype=torch.int64)
        return dict(module=m, input=x, h0=h0, c0=c0, lengths=lens)
    return build


def cell(kind, I=3, H=4, *, bias=True, nonlin="tanh", B=3, unbatched=False, states=False, hscale=0.5):
    def build(scale):
        m = _make(kind, I, H, bias=bias, nonlin=nonlin)
        lead = () if unbatched else (B,)
        x = torch.randn(*lead, I) * scale
        h0 = c0 = None
        if states:
            h0 = torch.randn(*lead, H) * hscale * scale
            if kind == "LSTMCell":
                c0 = torch.randn(*lead, H) * scale
        return dict(module=m, input=x, h0=h0, c0=c0, lengths=None)
    return build


# ---- checkpoint transforms (applied after build) -------------------------

def stored_as(dtype):
    """model.pt holds `dtype` tensors; golden computed with weights rounded through it."""
    def tf(c):
        m = c["module"].to(dtype)
        c["checkpoint"] = {k: v.detach().clone() for k, v in m.state_dict().items()}
        c["module"] = m.float()
        return c
    return tf


def float64_everything(c):
    """Weights not representable in float32, model.pt and golden.pt all float64."""
    m = c["module"].double()
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 1e-6)
    c["module"] = m
    for k in ("input", "h0", "c0"):
        if c[k] is not None:
            c[k] = c[k].double()
    return c


def nested_training_checkpoint(c):
    """{"epoch", "model": {encoder.embed, encoder.rnn.*, decoder.*}, "optimizer", ...}."""
    rnn = c["module"]

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(7, rnn.input_size)
            self.rnn = rnn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = Encoder()
            self.decoder = nn.Linear(rnn.hidden_size, 2)

    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    tokens = torch.randint(0, 7, (4, 2))
    out, _ = model.encoder.rnn(model.encoder.embed(tokens))
    model.decoder(out).pow(2).mean().backward()
    opt.step()  # weights move: the golden is computed after the step
    opt.zero_grad()
    c["checkpoint"] = {"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(),
                       "config": {"hidden": rnn.hidden_size, "note": "training checkpoint"}}
    c["prefix"] = "model.encoder.rnn."
    return c


def data_parallel(c):
    c["checkpoint"] = nn.DataParallel(c["module"]).state_dict()  # keys "module.*"
    c["prefix"] = "module."
    return c


def shared_storage(c):
    """All parameters become views of one flat tensor (reversed order, gaps between)."""
    m = c["module"]
    params = list(m.named_parameters())
    gap = 3
    total = sum(p.numel() + gap for _, p in params) + gap
    flat = torch.zeros(total)
    off = gap
    with torch.no_grad():
        for _, p in reversed(params):
            n = p.numel()
            view = flat[off:off + n].view(p.shape)
            view.copy_(p)
            p.data = view
            off += n + gap
    return c


def noncontiguous(c):
    """Weight matrices stored transposed in memory (column-major strides)."""
    sd = c["module"].state_dict()
    c["checkpoint"] = {k: (v.t().contiguous().t() if v.dim() == 2 else v.clone()) for k, v in sd.items()}
    return c


# --------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------

LENS4 = [4, 6, 1, 3]  # T = 6: unsorted, one == T, one == 1
LENS9 = [50, 13, 1, 37, 50, 24, 49, 8, 31]  # T = 50
LENS12 = [30, 7, 1, 22, 30, 15, 29, 3, 18, 11, 26, 2]  # T = 30
LENS16_20 = [20, 5, 1, 17, 20, 11, 19, 3, 14, 20, 8, 12, 2, 9, 18, 6]  # T = 20
RELU = dict(atol=1e-5, rtol=1e-4)

CASES = [
    # ---- RNN --------------------------------------------------------------
    ("rnn_tanh", "RNN tanh 1 layer, no h0", seq("RNN", 3, 4), [], {}),
    ("rnn_tanh_h0", "RNN tanh 1 layer, h0 given", seq("RNN", 3, 4, states=True), [], {}),
    ("rnn_relu_h0", "RNN relu 1 layer, h0 given", seq("RNN", 3, 4, nonlin="relu", states=True), [], RELU),
    ("rnn_relu_2layer_bidir_batch_first", "RNN relu, 2 layers, bidirectional, batch_first",
     seq("RNN", 3, 5, L=2, bidir=True, nonlin="relu", bf=True, states=True), [], RELU),
    ("rnn_2layer_h0", "RNN tanh 2 layers, h0 given", seq("RNN", 3, 4, L=2, states=True), [], {}),
    ("rnn_3layer", "RNN tanh 3 layers, no h0", seq("RNN", 2, 4, L=3), [], {}),
    ("rnn_bidir", "RNN tanh 1 layer bidirectional", seq("RNN", 3, 4, bidir=True), [], {}),
    ("rnn_3layer_bidir_h0", "RNN tanh 3 layers bidirectional, h0 given",
     seq("RNN", 3, 4, L=3, bidir=True, states=True), [], {}),
    ("rnn_nobias", "RNN bias=False, 2 layers", seq("RNN", 3, 4, L=2, bias=False, states=True), [], {}),
    ("rnn_batch_first_h0", "RNN batch_first=True, h0 given", seq("RNN", 3, 4, bf=True, states=True), [], {}),
    ("rnn_unbatched_h0", "RNN unbatched input (T, I) with h0 (L*D, H)",
     seq("RNN", 3, 4, L=2, unbatched=True, states=True), [], {}),
    ("rnn_unbatched_batch_first_bidir", "RNN unbatched input with batch_first=True (ignored), bidirectional",
     seq("RNN", 3, 4, bidir=True, bf=True, unbatched=True), [], {}),
    ("rnn_lengths", "RNN lengths [4,6,1,3], T=6", seq("RNN", 3, 4, B=4, T=6, lengths=LENS4), [], {}),
    ("rnn_lengths_batch_first_h0", "RNN lengths, batch_first, h0 given",
     seq("RNN", 3, 4, B=4, T=6, bf=True, states=True, lengths=LENS4), [], {}),
    ("rnn_lengths_bidir_2layer", "RNN lengths, bidirectional, 2 layers",
     seq("RNN", 3, 4, L=2, bidir=True, B=4, T=6, lengths=LENS4), [], {}),
    ("rnn_relu_lengths", "RNN relu with lengths and h0",
     seq("RNN", 3, 4, nonlin="relu", B=4, T=6, states=True, lengths=LENS4), [], RELU),
    ("rnn_T1", "RNN sequence length T=1", seq("RNN", 3, 4, T=1, states=True), [], {}),
    ("rnn_T201", "RNN tanh T=201 steps, small sizes", seq("RNN", 3, 5, B=2, T=201, states=True), [], {}),
    ("rnn_hidden1", "RNN hidden_size=1, 2 layers bidirectional",
     seq("RNN", 3, 1, L=2, bidir=True, states=True), [], {}),
    ("rnn_h512_fp16", "RNN(4, 512) with h0, model.pt stored as float16",
     seq("RNN", 4, 512, B=2, T=3, states=True), [stored_as(torch.float16)], {}),
    ("rnn_dataparallel", "RNN with DataParallel 'module.'-prefixed keys",
     seq("RNN", 3, 4, L=2, states=True), [data_parallel], {}),
    # ---- LSTM -------------------------------------------------------------
    ("lstm", "LSTM 1 layer, no states", seq("LSTM", 3, 4), [], {}),
    ("lstm_h0c0", "LSTM 1 layer, h0 and c0 given", seq("LSTM", 3, 4, states=True), [], {}),
    ("lstm_2layer", "LSTM 2 layers, no states", seq("LSTM", 3, 4, L=2), [], {}),
    ("lstm_bidir", "LSTM 1 layer bidirectional", seq("LSTM", 3, 4, bidir=True, states=True), [], {}),
    ("lstm_3layer_bidir_h0c0", "LSTM 3 layers bidirectional, h0/c0 given",
     seq("LSTM", 3, 4, L=3, bidir=True, states=True), [], {}),
    ("lstm_nobias", "LSTM bias=False", seq("LSTM", 3, 4, bias=False, states=True), [], {}),
    ("lstm_batch_first", "LSTM batch_first=True, 2 layers", seq("LSTM", 3, 4, L=2, bf=True, states=True), [], {}),
    ("lstm_unbatched_h0c0", "LSTM unbatched input with h0/c0 (L*D, H)",
     seq("LSTM", 3, 4, L=2, unbatched=True, states=True), [], {}),
    ("lstm_proj", "LSTM proj_size=2 (H=5), h0 has P columns", seq("LSTM", 3, 5, proj=2, states=True), [], {}),
    ("lstm_proj_bidir", "LSTM proj_size + bidirectional", seq("LSTM", 3, 5, proj=3, bidir=True), [], {}),
    ("lstm_proj_2layer", "LSTM proj_size + 2 layers, h0/c0", seq("LSTM", 3, 5, L=2, proj=2, states=True), [], {}),
    ("lstm_proj_bidir_2layer_h0c0", "LSTM proj_size + bidirectional + 2 layers, h0/c0",
     seq("LSTM", 3, 5, L=2, proj=3, bidir=True, states=True), [], {}),
    ("lstm_proj_unbatched", "LSTM proj_size, unbatched, h0 (L*D, P) / c0 (L*D, H)",
     seq("LSTM", 3, 5, proj=2, bidir=True, unbatched=True, states=True), [], {}),
    ("lstm_lengths", "LSTM lengths [4,6,1,3], T=6", seq("LSTM", 3, 4, B=4, T=6, lengths=LENS4), [], {}),
    ("lstm_lengths_batch_first_h0c0", "LSTM lengths, batch_first, h0/c0",
     seq("LSTM", 3, 4, B=4, T=6, bf=True, states=True, lengths=LENS4), [], {}),
    ("lstm_lengths_bidir", "LSTM lengths, bidirectional",
     seq("LSTM", 3, 4, bidir=True, B=4, T=6, states=True, lengths=LENS4), [], {}),
    ("lstm_proj_bidir_2layer_lengths", "LSTM proj_size + bidirectional + 2 layers + lengths, batch_first, h0/c0",
     seq("LSTM", 3, 5, L=2, proj=3, bidir=True, bf=True, B=4, T=6, states=True, lengths=LENS4), [], {}),
    ("lstm_T1_hidden1", "LSTM T=1 and hidden_size=1", seq("LSTM", 3, 1, T=1, states=True), [], {}),
    ("lstm_T201", "LSTM T=201 steps, small sizes", seq("LSTM", 3, 5, B=2, T=201), [], {}),
    ("lstm_realistic", "LSTM input 8, hidden 32, 2 layers, batch 3, T 20, h0/c0",
     seq("LSTM", 8, 32, L=2, B=3, T=20, states=True), [], {}),
    ("lstm_nested_checkpoint", "LSTM inside {epoch, model, optimizer(Adam state), config}; prefix model.encoder.rnn.",
     seq("LSTM", 3, 4, L=2, states=True), [nested_training_checkpoint], {}),
    ("lstm_bf16", "LSTM, model.pt stored as bfloat16 (golden from the rounded weights)",
     seq("LSTM", 3, 4, L=2, bidir=True, states=True), [stored_as(torch.bfloat16)], {}),
    ("lstm_noncontiguous", "LSTM whose 2-D weights are saved with transposed (column-major) strides",
     seq("LSTM", 3, 4, proj=2, states=True), [noncontiguous], {}),
    # ---- GRU --------------------------------------------------------------
    ("gru", "GRU 1 layer, no h0", seq("GRU", 3, 4), [], {}),
    ("gru_h0", "GRU 1 layer, h0 given", seq("GRU", 3, 4, states=True), [], {}),
    ("gru_2layer_bidir", "GRU 2 layers bidirectional, h0", seq("GRU", 3, 4, L=2, bidir=True, states=True), [], {}),
    ("gru_3layer", "GRU 3 layers", seq("GRU", 3, 4, L=3), [], {}),
    ("gru_nobias", "GRU bias=False", seq("GRU", 3, 4, bias=False, states=True), [], {}),
    ("gru_batch_first", "GRU batch_first=True", seq("GRU", 3, 4, bf=True, states=True), [], {}),
    ("gru_unbatched", "GRU unbatched input, no h0", seq("GRU", 3, 4, L=2, bidir=True, unbatched=True), [], {}),
    ("gru_lengths", "GRU lengths [4,6,1,3], T=6", seq("GRU", 3, 4, B=4, T=6, lengths=LENS4), [], {}),
    ("gru_lengths_batch_first_h0", "GRU lengths, batch_first, h0",
     seq("GRU", 3, 4, B=4, T=6, bf=True, states=True, lengths=LENS4), [], {}),
    ("gru_lengths_bidir_3layer", "GRU lengths, bidirectional, 3 layers",
     seq("GRU", 3, 4, L=3, bidir=True, B=4, T=6, lengths=LENS4), [], {}),
    ("gru_T201", "GRU T=201 steps, small sizes", seq("GRU", 3, 5, B=2, T=201, states=True), [], {}),
    # ---- input projections in chunks of steps (TorchNN projects ~192 rows at a time
    # when B >= 8; these cover uneven chunks, both directions, lengths and proj_size) ----
    ("lstm_chunked_bidir_lengths", "LSTM B=9, T=50, 2 layers bidirectional, lengths, h0/c0 (forward projections in chunks)",
     seq("LSTM", 5, 8, L=2, bidir=True, B=9, T=50, states=True, lengths=LENS9), [], {}),
    ("gru_chunked_bidir_batch_first", "GRU B=8, T=61, bidirectional, batch_first, h0 (both directions chunked)",
     seq("GRU", 4, 6, bidir=True, bf=True, B=8, T=61, states=True), [], {}),
    ("lstm_proj_chunked_2layer", "LSTM proj_size=3, B=12, T=40, 2 layers (chunks of 14, 14, 12 steps)",
     seq("LSTM", 4, 6, L=2, proj=3, B=12, T=40, states=True), [], {}),
    ("rnn_relu_chunked_lengths", "RNN relu B=12, T=30, lengths, bidirectional (forward chunked, reverse unchunked)",
     seq("RNN", 3, 5, nonlin="relu", bidir=True, B=12, T=30, lengths=LENS12), [], RELU),
    ("lstm_chunked_bidir_proj", "LSTM proj_size=3, bidirectional, B=10, T=40, h0/c0 (both directions chunked)",
     seq("LSTM", 4, 6, proj=3, bidir=True, B=10, T=40, states=True), [], {}),
    # ---- fused steps ([x_t | h]·[W_ih | W_hh]ᵀ per step: RNN and LSTM from B = 16) ----
    ("lstm_fused_bidir_proj", "LSTM proj_size=3, 2 layers bidirectional, B=17, T=23, h0/c0 (both directions fused)",
     seq("LSTM", 5, 7, L=2, proj=3, bidir=True, B=17, T=23, states=True), [], {}),
    ("lstm_fused_lengths_nobias", "LSTM bias=False, bidirectional, B=16, T=20, lengths (forward fused, reverse projected)",
     seq("LSTM", 4, 6, bidir=True, bias=False, B=16, T=20, states=True, lengths=LENS16_20), [], {}),
    ("rnn_fused_3layer_batch_first", "RNN tanh 3 layers, batch_first, B=20, T=15, h0 (fused)",
     seq("RNN", 6, 9, L=3, bf=True, B=20, T=15, states=True), [], {}),
    ("lstm_fused_bidir_nobias", "LSTM bias=False, bidirectional, B=16, T=12 (both directions fused, zero bias)",
     seq("LSTM", 5, 8, bidir=True, bias=False, B=16, T=12), [], {}),
    ("gru_shared_storage", "GRU 2 layers whose parameters are views into ONE storage (different offsets)",
     seq("GRU", 3, 4, L=2, states=True), [shared_storage], {}),
    ("gru_float64_weights", "GRU, model.pt stored as float64 (float32-exact values), float32 golden",
     seq("GRU", 3, 4, bidir=True, states=True), [stored_as(torch.float64)], {}),
    ("gru_float64_golden", "GRU with genuinely float64 weights; model.pt and golden.pt all float64",
     seq("GRU", 3, 4, L=2, states=True), [float64_everything], {}),
    # ---- cells ------------------------------------------------------------
    ("rnncell_tanh", "RNNCell tanh, batched, no h", cell("RNNCell", 3, 4), [], {}),
    ("rnncell_tanh_h", "RNNCell tanh, batched, h given", cell("RNNCell", 3, 4, states=True), [], {}),
    ("rnncell_relu_h", "RNNCell relu, h given", cell("RNNCell", 3, 4, nonlin="relu", states=True), [], RELU),
    ("rnncell_relu_unbatched", "RNNCell relu, unbatched (I,) with h (H,)",
     cell("RNNCell", 3, 4, nonlin="relu", unbatched=True, states=True), [], RELU),
    ("rnncell_nobias", "RNNCell bias=False", cell("RNNCell", 3, 4, bias=False, states=True), [], {}),
    ("lstmcell", "LSTMCell batched, no states", cell("LSTMCell", 3, 4), [], {}),
    ("lstmcell_hc", "LSTMCell batched, (h, c) given", cell("LSTMCell", 3, 4, states=True), [], {}),
    ("lstmcell_unbatched_hc", "LSTMCell unbatched, (h, c) given",
     cell("LSTMCell", 3, 4, unbatched=True, states=True), [], {}),
    ("lstmcell_fp16", "LSTMCell, model.pt stored as float16", cell("LSTMCell", 3, 4, states=True),
     [stored_as(torch.float16)], {}),
    ("grucell", "GRUCell batched, no h", cell("GRUCell", 3, 4), [], {}),
    ("grucell_h", "GRUCell batched, h given", cell("GRUCell", 3, 4, states=True), [], {}),
    ("grucell_unbatched", "GRUCell unbatched, no h", cell("GRUCell", 3, 4, unbatched=True), [], {}),
    ("grucell_nobias_hidden1", "GRUCell bias=False, hidden_size=1", cell("GRUCell", 3, 1, bias=False, states=True), [], {}),
]


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

def _seed(name):
    torch.manual_seed(zlib.crc32(name.encode()))


def build_case(name, builder, transforms, scale):
    _seed(name)
    c = builder(scale)
    c.setdefault("checkpoint", None)
    c.setdefault("prefix", "")
    for tf in transforms:
        c = tf(c)
    return c


def _run(module, c, dtype):
    m = copy.deepcopy(module).to(dtype)
    cast = lambda t: None if t is None else t.to(dtype)  # noqa: E731
    return run_golden(m, cast(c["input"]), cast(c["h0"]), cast(c["c0"]), c["lengths"])


def conditioning_margin(c, atol, rtol):
    r32 = _run(c["module"], c, torch.float32)
    r64 = _run(c["module"], c, torch.float64)
    margin = 0.0
    for k in ("output", "h_n", "c_n"):
        if k in r64:
            err = (r32[k].double() - r64[k]).abs()
            margin = max(margin, float((err / (atol + rtol * r64[k].abs())).max()))
    return margin, r64


def make_case(name, builder, transforms, tol, directory, post=None):
    atol, rtol = tol.get("atol", 1e-5), tol.get("rtol", 1e-5)
    for scale in (1.0, 0.5, 0.25, 0.125):
        c = build_case(name, builder, transforms, scale)
        margin, r64 = conditioning_margin(c, atol, rtol)
        if margin <= 0.25:
            break
        print(f"  {name}: margin {margin:.3f} > 0.25 at input scale {scale}; shrinking")
    else:
        raise SystemExit(f"{name}: could not make the case well-conditioned")

    if os.path.isdir(directory):
        shutil.rmtree(directory)
    golden = save_golden(c["module"], directory, c["input"], h0=c["h0"], c0=c["c0"],
                         lengths=c["lengths"], prefix=c["prefix"], checkpoint=c["checkpoint"],
                         atol=atol, rtol=rtol)
    kind = module_kind(c["module"])
    with open(os.path.join(directory, "case.json")) as f:
        case = json.load(f)

    # Independent check: hand-written equations vs torch (float64 run).
    ref = reference(kind, c["module"].state_dict(), case, golden)
    ref_err = max(float(np.abs(ref[k] - r64[k].numpy()).max()) for k in ref)
    ref_err32 = max(float(np.abs(ref[k] - golden[k].double().numpy()).max()) for k in ref)
    assert set(ref) == {k for k in golden if k in ("output", "h_n", "c_n")}, name
    assert ref_err <= 1e-6, f"{name}: reference vs torch float64 differ by {ref_err}"

    # Round-trip: what we wrote loads back and reproduces the golden.
    loaded = torch.load(os.path.join(directory, "golden.pt"), weights_only=True)
    assert set(loaded) == set(golden) and all(torch.equal(loaded[k], golden[k]) for k in golden), name
    torch.load(os.path.join(directory, "model.pt"), weights_only=True)

    if post is not None:
        post(directory)
    size = sum(os.path.getsize(os.path.join(directory, f)) for f in os.listdir(directory))
    print(f"{name:38s} {kind:8s} margin {margin:.2e}  ref-vs-f64 {ref_err:.1e}  "
          f"ref-vs-f32 {ref_err32:.1e}  scale {scale:g}  {size / 1024:.1f} KB")
    return kind


def _wipe_subdirs(d):
    os.makedirs(d, exist_ok=True)
    for entry in os.listdir(d):
        p = os.path.join(d, entry)
        if os.path.isdir(p):
            shutil.rmtree(p)


def perturb_output(directory):
    path = os.path.join(directory, "golden.pt")
    g = torch.load(path, weights_only=True)
    g["output"].view(-1)[7] += 1e-3  # one element, far outside atol/rtol 1e-5
    torch.save(g, path)


def drop_weight_hh_l0(directory):
    path = os.path.join(directory, "model.pt")
    sd = torch.load(path, weights_only=True)
    del sd["weight_hh_l0"]
    torch.save(sd, path)


# --------------------------------------------------------------------------
# Cases written through golden.py's own paths: tolerance chosen from torch's
# float32 error, whole-module and TorchScript model.pt, multi-step models
# --------------------------------------------------------------------------

def _user_class(cls, module_name="my_project.models"):
    """Make `cls` picklable by reference under a user's package name, as torch.save(model) does."""
    import types
    cls.__module__ = module_name
    fake = sys.modules.get(module_name) or types.ModuleType(module_name)
    setattr(fake, cls.__name__, cls)
    sys.modules.setdefault(module_name.split(".")[0], types.ModuleType(module_name.split(".")[0]))
    sys.modules[module_name] = fake
    return cls


def deep_lstm():
    """3-layer LSTM(8, 24) whose weights are scaled 8x (gates saturate, c grows to ~70 as in
    trained models), T = 100: torch's own float32 error exceeds 1e-5."""
    _seed("lstm_deep_trained_scale")
    m = nn.LSTM(8, 24, 3)
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(8.0)
    return m, torch.randn(100, 2, 8)


class Speaker(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 5, 2)
        self.proj = nn.Linear(5, 2)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.proj(out)


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Module()
        self.encoder.gru = nn.GRU(4, 5, batch_first=True, bidirectional=True)
        self.head = nn.Linear(10, 3)

    def forward(self, x):
        out, _ = self.encoder.gru(x)
        return self.head(out)


class Classifier(nn.Module):
    """Embedding -> LSTM -> last valid step -> Linear -> log_softmax."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(12, 6)
        self.rnn = nn.LSTM(6, 8, 2, batch_first=True)
        self.last = LastValidStep()
        self.head = nn.Linear(8, 5)
        self.log_softmax = nn.LogSoftmax(dim=-1)


class EmbeddingHead(nn.Module):
    """LSTM -> h_n[-1] -> Linear -> GELU -> Linear -> F.normalize: a speaker-encoder-like head."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 8, 2, batch_first=True)
        self.fc1 = nn.Linear(8, 10)
        self.gelu = nn.GELU()
        self.fc2 = nn.Linear(10, 6)
        self.normalize = L2Normalize()

    def forward(self, frames):
        _, (h, _) = self.lstm(frames)
        return self.normalize(self.fc2(self.gelu(self.fc1(h[-1]))))


class Encoder(nn.Module):
    """Embedding -> bidirectional GRU -> h_n[-1] -> MLP -> softmax (saved as TorchScript)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(9, 4)
        self.gru = nn.GRU(4, 6, bidirectional=True)
        self.fc1 = nn.Linear(6, 7)
        self.fc2 = nn.Linear(7, 3)

    def forward(self, tokens):
        _, h = self.gru(self.embed(tokens))
        return torch.softmax(self.fc2(torch.tanh(self.fc1(h[-1]))), dim=-1)


def extra_cases():
    """(name, module kind, notes, writer(directory))."""
    def deep(directory):
        m, x = deep_lstm()
        save_golden(m, directory, x)  # tolerance chosen by golden.py

    def torchscript(directory):
        _seed("lstm_torchscript")
        model = Speaker().eval()
        x = torch.randn(6, 2, 3)
        save_golden(model.rnn, directory, x, prefix="rnn.", checkpoint=torch.jit.script(model))

    def whole_module(directory):
        _seed("gru_whole_module")
        model = _user_class(Tagger)().eval()
        x = torch.randn(2, 5, 4)
        save_golden(model.encoder.gru, directory, x, lengths=torch.tensor([5, 3]),
                    prefix="encoder.gru.", checkpoint=model)

    def classifier(directory):
        _seed("steps_embedding_lstm_linear")
        model = Classifier().eval()
        tokens = torch.randint(0, 12, (3, 7))
        lengths = torch.tensor([7, 2, 5])
        save_golden_steps([model.embed, model.rnn, model.last, model.head, model.log_softmax], directory,
                          tokens, lengths=lengths, model=model)

    def encoder(directory):
        _seed("steps_embedding_gru_mlp_scripted")
        model = Encoder().eval()
        tokens = torch.randint(0, 9, (5, 2))
        steps = [model.embed, model.gru, TakeLastHidden(), model.fc1, nn.Tanh(), model.fc2, nn.Softmax(dim=-1)]
        golden = save_golden_steps(steps, directory, tokens, model=model, checkpoint=torch.jit.script(model))
        with torch.no_grad():
            assert torch.allclose(golden["output"], model(tokens), atol=1e-6), "steps differ from forward()"

    def sequential(directory):
        _seed("steps_linear_rnn_sigmoid")
        seq = nn.Sequential(nn.Linear(3, 4), nn.RNN(4, 5, nonlinearity="relu"), TakeOutput(), nn.ReLU(),
                            nn.Linear(5, 2), nn.Sigmoid())
        save_golden_steps(seq, directory, torch.randn(6, 2, 3))

    def embedding_head(directory):
        _seed("steps_lstm_gelu_normalize")
        model = EmbeddingHead().eval()
        frames = torch.randn(3, 9, 5)
        steps = [model.lstm, TakeLastHidden(), model.fc1, model.gelu, model.fc2, model.normalize]
        golden = save_golden_steps(steps, directory, frames, model=model)
        with torch.no_grad():
            assert torch.allclose(golden["output"], model(frames), atol=1e-6), "steps differ from forward()"
            assert torch.allclose(golden["output"].norm(dim=-1), torch.ones(3), atol=1e-5), "not unit length"

    return [
        ("lstm_deep_trained_scale", "LSTM", "3-layer LSTM(8, 24), weights x8 like trained ones, T=100: "
         "tolerance chosen by golden.py from torch's float32 error", deep),
        ("lstm_torchscript", "LSTM", "model.pt is a TorchScript archive (torch.jit.script of a model "
         "holding rnn = LSTM(3, 5, 2)); full_model", torchscript),
        ("gru_whole_module", "GRU", "model.pt is torch.save(model) of a user class "
         "(my_project.models.Tagger); bidirectional batch_first GRU with lengths; full_model", whole_module),
        ("steps_embedding_lstm_linear", "steps", "Embedding -> LSTM(2 layers, batch_first) with lengths -> "
         "last valid step -> Linear -> log_softmax", classifier),
        ("steps_embedding_gru_mlp_scripted", "steps", "Embedding -> bidirectional GRU -> h_n[-1] -> Linear -> "
         "tanh -> Linear -> softmax; model.pt is TorchScript", encoder),
        ("steps_linear_rnn_sigmoid", "steps", "nn.Sequential(Linear, RNN relu, output, relu, Linear, sigmoid), "
         "prefixes 0. 1. 4.", sequential),
        ("steps_lstm_gelu_normalize", "steps", "LSTM(2 layers, batch_first) -> h_n[-1] -> Linear -> GELU -> "
         "Linear -> F.normalize (an embedding head)", embedding_head),
    ]


def perturbed_deep_weight(directory):
    """The deep LSTM's golden with one recurrent weight changed by 1e-3 in model.pt: a real
    but small weight error must still fail at the chosen tolerance."""
    m, x = deep_lstm()
    save_golden(m, directory, x)
    with open(os.path.join(directory, "case.json")) as f:
        tol = json.load(f)["atol"]
    bad = copy.deepcopy(m)
    with torch.no_grad():
        bad.weight_hh_l0[5, 3] += 1e-3
    torch.save(bad.state_dict(), os.path.join(directory, "model.pt"))
    # The change must show far outside the tolerance in torch itself (float64).
    good64 = run_golden(copy.deepcopy(m).double(), x.double())
    bad64 = run_golden(bad.double(), x.double())
    effect = max(float(((bad64[k] - good64[k]).abs() / (tol + tol * good64[k].abs())).max()) for k in good64
                 if k in ("output", "h_n", "c_n"))
    assert effect > 10, f"perturbation is only {effect:.1f}x the tolerance"
    print(f"lstm_deep_perturbed_weight: effect {effect:.0f}x the tolerance {tol:g}")


BROKEN_README = """\
# Deliberately broken golden fixtures (negative tests)

Written by `tools/make_golden_fixtures.py`; same format as `fixtures/golden/`.
A correct implementation must FAIL on each of these.

- `lstm_perturbed/`: an exact copy of the golden case `lstm_h0c0` except that one
  element of `output` (flat index 7) was changed by +1e-3 after torch computed the
  real golden. A parity check must report a mismatch (the tolerance is 1e-5).
- `missing_key/`: an LSTM case (same as `lstm_h0c0`) whose `model.pt` lacks
  `weight_hh_l0`. A loader must report the missing key.
- `lstm_deep_perturbed_weight/`: the golden of `../golden/lstm_deep_trained_scale`
  (tolerance chosen by `golden.py` from torch's own float32 error) with
  `weight_hh_l0[5, 3]` changed by +1e-3 in `model.pt`. The tolerance, though wider
  than 1e-5, must still catch this weight error.
"""


def write_only(names):
    """Writes just the named cases (and their INDEX.json entries), leaving every other
    fixture as committed: regenerating all of them changes the last bits of some goldens
    with the torch build, which is churn, not news."""
    cases = CASES_BY_NAME()
    extras = {name: (kind, notes, write) for name, kind, notes, write in extra_cases()}
    unknown = [n for n in names if n not in cases and n not in extras]
    if unknown:
        sys.exit(f"--only takes case names (of CASES or {', '.join(extras)}); unknown: {', '.join(unknown)}")
    idx_path = os.path.join(GOLDEN_DIR, "INDEX.json")
    with open(idx_path) as f:
        index = [entry for entry in json.load(f) if entry["name"] not in names]
    for name in names:
        directory = os.path.join(GOLDEN_DIR, name)
        shutil.rmtree(directory, ignore_errors=True)
        if name in cases:
            spec = cases[name]
            kind = make_case(name, spec["builder"], spec["transforms"], spec["tol"], directory)
            notes = spec["notes"]
        else:
            kind, notes, write = extras[name]
            write(directory)
        index.append({"name": name, "module": kind, "notes": notes})
        print(f"{name}: written to {directory}")
    # The order a full run writes: CASES, then the extra cases.
    order = {name: i for i, name in enumerate([n for n, *_ in CASES] + list(extras))}
    index.sort(key=lambda entry: order.get(entry["name"], len(order)))
    with open(idx_path, "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


def main():
    if sys.argv[1:2] == ["--only"]:
        write_only(sys.argv[2:])
        return
    names = [n for n, *_ in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    _wipe_subdirs(GOLDEN_DIR)
    index = []
    for name, notes, builder, transforms, tol in CASES:
        kind = make_case(name, builder, transforms, tol, os.path.join(GOLDEN_DIR, name))
        index.append({"name": name, "module": kind, "notes": notes})
    for name, kind, notes, write in extra_cases():
        directory = os.path.join(GOLDEN_DIR, name)
        write(directory)
        print(f"{name:38s} {kind:8s} {sum(os.path.getsize(os.path.join(directory, f)) for f in os.listdir(directory)) / 1024:.1f} KB")
        index.append({"name": name, "module": kind, "notes": notes})
    idx_path = os.path.join(GOLDEN_DIR, "INDEX.json")
    with open(idx_path, "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")

    _wipe_subdirs(BROKEN_DIR)
    spec = dict(CASES_BY_NAME()["lstm_h0c0"])
    make_case("lstm_h0c0", spec["builder"], spec["transforms"], spec["tol"],
              os.path.join(BROKEN_DIR, "lstm_perturbed"), post=perturb_output)
    make_case("lstm_h0c0", spec["builder"], spec["transforms"], spec["tol"],
              os.path.join(BROKEN_DIR, "missing_key"), post=drop_weight_hh_l0)
    perturbed_deep_weight(os.path.join(BROKEN_DIR, "lstm_deep_perturbed_weight"))
    with open(os.path.join(BROKEN_DIR, "README.md"), "w") as f:
        f.write(BROKEN_README)
    print(f"{len(CASES)} golden cases written to {GOLDEN_DIR}; broken fixtures in {BROKEN_DIR}")


def CASES_BY_NAME():
    return {n: {"notes": no, "builder": b, "transforms": t, "tol": tol} for n, no, b, t, tol in CASES}


if __name__ == "__main__":
    main()
