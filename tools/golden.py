"""Write golden parity fixtures for torch.nn recurrent layers.

Drop this file into your own training code (it needs only ``torch``) and call
:func:`save_golden` once after training.  It runs the module on CPU in eval
mode under ``torch.no_grad()`` and writes a folder with three files:

``model.pt``
    ``torch.save`` of the weights: ``module.state_dict()`` with ``prefix``
    prepended to every key, or the object you pass as ``checkpoint`` (for
    example your whole training checkpoint).
``golden.pt``
    ``torch.save`` of a flat dict: ``input``; optional ``h0``, ``c0`` and
    ``lengths`` (int64, one per batch entry); the expected results ``output``
    (sequence modules only), ``h_n`` and ``c_n`` (LSTM / LSTMCell only).
    For a cell, ``input`` is one step and ``h_n`` / ``c_n`` are the cell's
    results h' and c'.
``case.json``
    ``{"module", "prefix", "batch_first", "nonlinearity", "atol", "rtol"}``,
    plus ``"full_model": true`` when ``model.pt`` is a whole-module pickle or a
    TorchScript archive.  ``atol`` / ``rtol`` are chosen from torch's own
    float32 error unless you pass them (see :func:`choose_tolerance`).

:func:`save_golden_steps` writes a fixture for a model made of several modules
run one after another (``nn.Embedding`` -> ``nn.LSTM`` -> ``nn.Linear`` and small
head operations): ``case.json`` then has ``"steps"`` instead of ``"module"``,
and ``golden.pt`` holds ``input``, optional ``lengths`` and the final ``output``.

With ``lengths`` the expected results are exactly torch's
``pack_padded_sequence(input, lengths, batch_first=bf, enforce_sorted=False)``
-> ``module(packed, hx)`` -> ``pad_packed_sequence(out, batch_first=bf,
total_length=T)`` (padded steps are zero); ``h_n`` / ``c_n`` are what the
module returns for the packed input (in the original batch order).

Example::

    import torch
    from golden import save_golden

    model = MyModel()                      # has model.encoder.rnn = nn.LSTM(...)
    ...train...
    x = torch.randn(20, 3, 8)              # (T, B, I); use (B, T, I) if batch_first
    save_golden(model.encoder.rnn, "fixtures/my_lstm", x,
                h0=torch.zeros(2, 3, 32), c0=torch.zeros(2, 3, 32),
                lengths=torch.tensor([20, 7, 13]),
                prefix="model.encoder.rnn.",
                checkpoint={"epoch": 10, "model": model.state_dict()})
"""

from __future__ import annotations

import copy
import json
import os
from collections import OrderedDict
from typing import Any, Dict, Optional

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = [
    "save_golden", "run_golden", "module_kind", "choose_tolerance", "TOLERANCE_LADDER", "SAFETY_FACTOR",
    "save_golden_steps", "run_steps", "TakeOutput", "TakeLastHidden", "LastValidStep", "L2Normalize",
]

_SEQ_KINDS = ("RNN", "LSTM", "GRU")
_CELL_KINDS = ("RNNCell", "LSTMCell", "GRUCell")


def module_kind(module: nn.Module) -> str:
    """Return "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell" or "GRUCell"."""
    # Order matters only for user subclasses; the torch classes are siblings.
    for cls, name in (
        (nn.LSTM, "LSTM"),
        (nn.GRU, "GRU"),
        (nn.RNN, "RNN"),
        (nn.LSTMCell, "LSTMCell"),
        (nn.GRUCell, "GRUCell"),
        (nn.RNNCell, "RNNCell"),
    ):
        if isinstance(module, cls):
            return name
    raise TypeError(
        f"save_golden supports nn.RNN/LSTM/GRU/RNNCell/LSTMCell/GRUCell, got {type(module).__name__}"
    )


def _tensor(x, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    return x.detach().cpu()


def _own(x: torch.Tensor) -> torch.Tensor:
    # A fresh contiguous tensor with its own storage: torch.save writes a
    # view's *whole* storage, so never save views of bigger tensors.
    return x.detach().cpu().contiguous().clone()


def run_golden(
    module: nn.Module,
    input: torch.Tensor,
    h0: Optional[torch.Tensor] = None,
    c0: Optional[torch.Tensor] = None,
    lengths=None,
) -> Dict[str, torch.Tensor]:
    """Run ``module`` exactly as :func:`save_golden` does and return the golden dict.

    Does not write anything.  The module is temporarily switched to eval mode
    (its training flag is restored afterwards); a non-CPU module is copied to CPU.
    """
    kind = module_kind(module)
    if any(p.device.type != "cpu" for p in module.parameters()):
        module = copy.deepcopy(module).cpu()
    x = _tensor(input, "input")
    if (h0 is None) != (c0 is None) and kind in ("LSTM", "LSTMCell"):
        raise ValueError("an LSTM needs both h0 and c0, or neither")
    if c0 is not None and kind not in ("LSTM", "LSTMCell"):
        raise ValueError(f"c0 is only meaningful for LSTM/LSTMCell, not {kind}")
    h = None if h0 is None else _tensor(h0, "h0")
    c = None if c0 is None else _tensor(c0, "c0")
    hx: Any = h
    if kind in ("LSTM", "LSTMCell") and h is not None:
        hx = (h, c)

    golden: Dict[str, torch.Tensor] = {"input": _own(x)}
    if h is not None:
        golden["h0"] = _own(h)
    if c is not None:
        golden["c0"] = _own(c)

    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            if kind in _CELL_KINDS:
                if lengths is not None:
                    raise ValueError("lengths is only meaningful for sequence modules")
                res = module(x, hx)
                if kind == "LSTMCell":
                    golden["h_n"], golden["c_n"] = _own(res[0]), _own(res[1])
                else:
                    golden["h_n"] = _own(res)
            else:
                bf = bool(module.batch_first)
                if lengths is None:
                    out, hn = module(x, hx)
                else:
                    if x.dim() != 3:
                        raise ValueError("lengths needs a batched (3-D) input")
                    lens = torch.as_tensor(lengths, dtype=torch.int64).detach().cpu()
                    T = x.shape[1] if bf else x.shape[0]
                    B = x.shape[0] if bf else x.shape[1]
                    if lens.shape != (B,):
                        raise ValueError(f"lengths must have shape ({B},), got {tuple(lens.shape)}")
                    if int(lens.min()) < 1 or int(lens.max()) > T:
                        raise ValueError(f"lengths must be in 1...{T}, got {lens.tolist()}")
                    packed = pack_padded_sequence(x, lens, batch_first=bf, enforce_sorted=False)
                    pout, hn = module(packed, hx)
                    out, _ = pad_packed_sequence(pout, batch_first=bf, total_length=T)
                    golden["lengths"] = _own(lens)
                golden["output"] = _own(out)
                if kind == "LSTM":
                    golden["h_n"], golden["c_n"] = _own(hn[0]), _own(hn[1])
                else:
                    golden["h_n"] = _own(hn)
    finally:
        module.train(was_training)
    return golden


def _resolve(obj: Any, key: str):
    """Find dotted ``key`` in a (possibly nested) dict checkpoint, or None."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for k, v in obj.items():
            if isinstance(k, str) and key.startswith(k + "."):
                found = _resolve(v, key[len(k) + 1 :])
                if found is not None:
                    return found
    return None


def _prefixed_state_dict(module: nn.Module, prefix: str) -> "OrderedDict[str, torch.Tensor]":
    # Same shape as torch.save(model.state_dict()) in training code: an OrderedDict
    # (with its _metadata) of CPU tensors; views keep sharing their storage.
    sd = module.state_dict()
    out = OrderedDict((prefix + k, v.detach().cpu()) for k, v in sd.items())
    meta = getattr(sd, "_metadata", None)
    if meta is not None:
        out._metadata = OrderedDict(  # type: ignore[attr-defined]
            ((prefix + k) if k else prefix[:-1], v) for k, v in meta.items()
        )
    return out


def _check_checkpoint(checkpoint: Any, module: nn.Module, prefix: str) -> None:
    for name, p in module.state_dict().items():
        t = _resolve(checkpoint, prefix + name)
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"checkpoint has no tensor at {prefix + name!r}")
        if t.shape != p.shape:
            raise ValueError(f"{prefix + name}: checkpoint shape {tuple(t.shape)} != module {tuple(p.shape)}")
        if not torch.equal(t.detach().cpu().to(p.dtype), p.detach().cpu()):
            raise ValueError(
                f"{prefix + name}: checkpoint values (cast to {p.dtype}) differ from the module's; "
                "the golden results would not belong to model.pt (round the module's weights "
                "through the storage dtype first)"
            )


# --------------------------------------------------------------------------
# Tolerance from torch's own float32 error
# --------------------------------------------------------------------------

#: The tolerances ``choose_tolerance`` picks from (atol = rtol = one rung).
TOLERANCE_LADDER = (1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2)

#: How much wider than torch's own float32 error the tolerance must be.
#: Another float32 implementation (the Swift layers) differs from float64 by about
#: as much as torch's float32 does, but in other elements and directions (other
#: summation order, other exp/tanh), so its distance to torch's float32 result can
#: reach twice torch's own error; another factor 2 covers elements the golden
#: inputs happen not to stress.  It is the same margin
#: ``tools/make_golden_fixtures.py`` demands (error <= 0.25 * tolerance).
SAFETY_FACTOR = 4.0


def _cast(x, dtype):
    if isinstance(x, torch.Tensor) and x.is_floating_point():
        return x.to(dtype)
    return x


def choose_tolerance(golden32: Dict[str, torch.Tensor], golden64: Dict[str, torch.Tensor]):
    """Pick the smallest rung ``t`` of :data:`TOLERANCE_LADDER` such that for every
    expected tensor and element ``SAFETY_FACTOR * |f32 - f64| <= t + t * |f64|``.

    ``golden32`` / ``golden64`` are the same run in float32 and float64 (only the
    keys ``output``, ``h_n`` and ``c_n`` are compared).  Returns ``(t, why)`` where
    ``why`` is a one-line explanation.  Raises ValueError when even the top rung is
    too tight: a golden whose float32 noise is that large cannot tell a right
    implementation from a wrong one.
    """
    need = 0.0  # smallest t that works: max over elements of SAFETY * err / (1 + |f64|)
    worst_key, worst_err = None, 0.0
    for key in ("output", "h_n", "c_n"):
        if key not in golden64:
            continue
        ref = golden64[key].double()
        err = (golden32[key].double() - ref).abs()
        if err.numel() == 0:
            continue
        ratio = float((SAFETY_FACTOR * err / (1.0 + ref.abs())).max())
        if ratio > need:
            need = ratio
        if float(err.max()) > worst_err:
            worst_key, worst_err = key, float(err.max())
    for t in TOLERANCE_LADDER:
        if need <= t:
            where = f" on {worst_key}" if worst_key else ""
            why = (f"torch float32 vs float64: max |err| {worst_err:.2e}{where}; "
                   f"{SAFETY_FACTOR:g}x that needs atol=rtol >= {need:.2e}; "
                   f"smallest rung of {TOLERANCE_LADDER[0]:g}...{TOLERANCE_LADDER[-1]:g} covering it: {t:g}")
            return t, why
    raise ValueError(
        f"torch's own float32 error ({worst_err:.2e} on {worst_key}) needs atol=rtol >= {need:.2e}, "
        f"above the ladder's top {TOLERANCE_LADDER[-1]:g}: the case is ill-conditioned in float32 "
        "(use shorter or smaller inputs), or pass atol and rtol yourself")


def _tolerance(golden32, golden64, atol, rtol, label: str):
    """(atol, rtol) to record: the caller's, or chosen by :func:`choose_tolerance`; printed."""
    if atol is not None or rtol is not None:
        atol = 1e-5 if atol is None else float(atol)
        rtol = 1e-5 if rtol is None else float(rtol)
        try:
            t, why = choose_tolerance(golden32, golden64)
            note = f"; for reference, {why}"
        except ValueError as e:
            note = f"; note: {e}"
        print(f"golden.py: {label}: atol {atol:g}, rtol {rtol:g} as given{note}")
        return atol, rtol
    t, why = choose_tolerance(golden32, golden64)
    print(f"golden.py: {label}: atol = rtol = {t:g} ({why})")
    return t, t


# --------------------------------------------------------------------------
# Writing model.pt
# --------------------------------------------------------------------------

def _is_script_module(obj: Any) -> bool:
    return isinstance(obj, torch.jit.ScriptModule)


def _checkpoint_state(checkpoint: Any) -> Any:
    """What the Swift reader names the tensors of ``checkpoint`` by: for a module
    (pickled whole or scripted), its state_dict."""
    if isinstance(checkpoint, nn.Module) or _is_script_module(checkpoint):
        return checkpoint.state_dict()
    return checkpoint


def _save_checkpoint(checkpoint: Any, path: str) -> bool:
    """Write model.pt; returns whether it is a whole module (``"full_model": true``)."""
    if _is_script_module(checkpoint):
        torch.jit.save(checkpoint, path)  # TorchScript archive
        return True
    torch.save(checkpoint, path)          # an nn.Module here pickles the whole module
    return isinstance(checkpoint, nn.Module)


def _write_case(directory: str, case: Dict[str, Any]) -> None:
    with open(os.path.join(directory, "case.json"), "w") as f:
        json.dump(case, f, indent=2)
        f.write("\n")


def save_golden(
    module: nn.Module,
    directory,
    input: torch.Tensor,
    h0: Optional[torch.Tensor] = None,
    c0: Optional[torch.Tensor] = None,
    lengths=None,
    prefix: str = "",
    checkpoint: Any = None,
    atol: Optional[float] = None,
    rtol: Optional[float] = None,
) -> Dict[str, torch.Tensor]:
    """Write ``model.pt``, ``golden.pt`` and ``case.json`` into ``directory``.

    module      nn.RNN / nn.LSTM / nn.GRU / nn.RNNCell / nn.LSTMCell / nn.GRUCell.
    input       sequence modules: (T, B, I), (B, T, I) if batch_first, or unbatched (T, I);
                cells: one step, (B, I) or unbatched (I,).
    h0, c0      optional initial state.  Sequence modules: (L*D, B, H_out) or unbatched
                (L*D, H_out) (H_out = proj_size for an LSTM with projections; c0 always
                has hidden_size columns).  Cells: hx ((B, H) or (H,)); LSTMCell takes h0 and c0.
    lengths     optional per-batch-entry lengths (sequence modules, batched input only);
                any order, each in 1...T.
    prefix      dotted key prefix of the module's weights inside model.pt ("" or ending in ".").
    checkpoint  object to save as model.pt instead of ``{prefix + k: v}`` of the
                state_dict (nested training checkpoints, DataParallel keys, other dtypes).
                An ``nn.Module`` is saved whole (``torch.save(model)``) and a
                ``torch.jit.ScriptModule`` as a TorchScript archive (``torch.jit.save``);
                both set ``"full_model": true``.  Its tensors at ``prefix + name`` must
                equal the module's weights once cast to the module's dtype; this is checked.
    atol, rtol  tolerances recorded in case.json.  When both are None (the default) they
                are chosen by :func:`choose_tolerance` from a float64 run of the same module.

    Returns the dict written to golden.pt.
    """
    kind = module_kind(module)
    if prefix and not prefix.endswith("."):
        raise ValueError(f"prefix must be empty or end with '.', got {prefix!r}")

    golden = run_golden(module, input, h0=h0, c0=c0, lengths=lengths)
    golden64 = run_golden(copy.deepcopy(module).cpu().double(), _cast(_tensor(input, "input"), torch.float64),
                          h0=None if h0 is None else _cast(_tensor(h0, "h0"), torch.float64),
                          c0=None if c0 is None else _cast(_tensor(c0, "c0"), torch.float64), lengths=lengths)
    atol, rtol = _tolerance(golden, golden64, atol, rtol, os.path.basename(os.path.normpath(str(directory))))

    if checkpoint is None:
        checkpoint = _prefixed_state_dict(module, prefix)
    else:
        _check_checkpoint(_checkpoint_state(checkpoint), module, prefix)

    case = {
        "module": kind,
        "prefix": prefix,
        "batch_first": bool(getattr(module, "batch_first", False)),
        "nonlinearity": getattr(module, "nonlinearity", "tanh") if kind in ("RNN", "RNNCell") else "tanh",
        "atol": float(atol),
        "rtol": float(rtol),
    }

    os.makedirs(directory, exist_ok=True)
    if _save_checkpoint(checkpoint, os.path.join(directory, "model.pt")):
        case["full_model"] = True
    torch.save(golden, os.path.join(directory, "golden.pt"))
    _write_case(directory, case)
    return golden


# --------------------------------------------------------------------------
# Models made of several steps
# --------------------------------------------------------------------------

class TakeOutput(nn.Module):
    """Step: a recurrent module's ``output`` (what follows a recurrent module anyway)."""

    def forward(self, x):
        return x[0] if isinstance(x, tuple) else x


class TakeLastHidden(nn.Module):
    """Step: ``h_n[-1]``, the last layer's (last direction's) final hidden state, (B, H_out)."""

    def forward(self, x):
        h = x[1]
        return (h[0] if isinstance(h, tuple) else h)[-1]


class LastValidStep(nn.Module):
    """Step: each sequence's output at its last valid step (``lengths - 1``; T - 1 without
    lengths), (B, D*H_out).  Follows a recurrent module; :func:`run_steps` passes the lengths."""

    def forward(self, x, lengths=None, batch_first=False):
        out = x[0] if isinstance(x, tuple) else x
        if out.dim() == 2:  # unbatched (T, F)
            return out[-1]
        T = out.shape[1] if batch_first else out.shape[0]
        B = out.shape[0] if batch_first else out.shape[1]
        last = torch.full((B,), T - 1, dtype=torch.int64) if lengths is None else lengths.to(torch.int64) - 1
        batch = torch.arange(B)
        return out[batch, last] if batch_first else out[last, batch]


class L2Normalize(nn.Module):
    """Step: ``F.normalize(x, p=2, dim=-1)``, x / max(||x||, 1e-12) over the last axis
    (a speaker encoder's embedding head)."""

    def forward(self, x):
        return nn.functional.normalize(x, p=2.0, dim=-1)


_OPS = {TakeOutput: "output", TakeLastHidden: "h_n[-1]", LastValidStep: "last_step",
        nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", L2Normalize: "normalize"}


def _step_description(step: nn.Module, prefix: str) -> Dict[str, Any]:
    """The case.json entry for one step."""
    for cls, op in _OPS.items():
        if type(step) is cls:
            return {"op": op}
    if type(step) is nn.GELU:
        if step.approximate != "none":
            raise ValueError(f"nn.GELU(approximate={step.approximate!r}) is not supported; the step is the exact erf form")
        return {"op": "gelu"}
    if type(step) in (nn.Softmax, nn.LogSoftmax):
        if step.dim not in (-1,):
            raise ValueError(f"{type(step).__name__} is supported over the last axis only (dim=-1), got dim={step.dim}")
        return {"op": "softmax" if type(step) is nn.Softmax else "log_softmax"}
    if type(step) is nn.Embedding:
        if step.max_norm is not None:
            raise ValueError("nn.Embedding with max_norm changes its weights in forward; not supported")
        return {"module": "Embedding", "prefix": prefix}
    if type(step) is nn.Linear:
        return {"module": "Linear", "prefix": prefix}
    kind = module_kind(step)
    entry = {"module": kind, "prefix": prefix}
    if kind in _SEQ_KINDS:
        entry["batch_first"] = bool(step.batch_first)
    if kind in ("RNN", "RNNCell"):
        entry["nonlinearity"] = step.nonlinearity
    return entry


def run_steps(steps, input: torch.Tensor, lengths=None) -> torch.Tensor:
    """Run ``steps`` one after another as the Swift fixture runner does: a recurrent
    module gets the lengths (pack -> module -> pad) and yields (output, h_n); the step
    after it takes ``output`` unless it is :class:`TakeLastHidden` or :class:`LastValidStep`."""
    lens = None if lengths is None else torch.as_tensor(lengths, dtype=torch.int64).detach().cpu()
    x: Any = _tensor(input, "input")
    batch_first = False
    with torch.no_grad():
        for step in steps:
            if isinstance(step, LastValidStep):
                x = step(x, lens, batch_first)
                continue
            if isinstance(step, (TakeOutput, TakeLastHidden)):
                x = step(x)
                continue
            if isinstance(x, tuple):
                x = x[0]
            if isinstance(step, (nn.RNNBase, nn.RNNCellBase)):
                if isinstance(step, nn.RNNCellBase):
                    res = step(x)
                    x = (res[0] if isinstance(res, tuple) else res, None)
                    continue
                batch_first = bool(step.batch_first)
                if lens is None or x.dim() != 3:
                    x = step(x)
                else:
                    T = x.shape[1] if batch_first else x.shape[0]
                    packed = pack_padded_sequence(x, lens, batch_first=batch_first, enforce_sorted=False)
                    pout, hn = step(packed)
                    out, _ = pad_packed_sequence(pout, batch_first=batch_first, total_length=T)
                    x = (out, hn)
                continue
            x = step(x)
    if isinstance(x, tuple):
        x = x[0]
    return x


def _prefixes(steps, model: Optional[nn.Module]):
    """Each step's dotted prefix: its path inside ``model``, or its index in the list
    (as ``nn.Sequential(*steps)`` names it)."""
    if model is None:
        return [f"{i}." for i in range(len(steps))], nn.Sequential(*steps)
    paths = {id(m): name for name, m in model.named_modules()}
    prefixes = []
    for step in steps:
        if not any(True for _ in step.parameters(recurse=True)) and not list(step.buffers()):
            prefixes.append("")  # an operation: no weights, no prefix
            continue
        if id(step) not in paths:
            raise ValueError(f"{type(step).__name__} step is not a submodule of the model passed as `model`")
        prefixes.append(paths[id(step)] + "." if paths[id(step)] else "")
    return prefixes, model


def save_golden_steps(
    steps,
    directory,
    input: torch.Tensor,
    lengths=None,
    model: Optional[nn.Module] = None,
    checkpoint: Any = None,
    atol: Optional[float] = None,
    rtol: Optional[float] = None,
) -> Dict[str, torch.Tensor]:
    """Write a fixture for a model made of several steps.

    steps       a list (or nn.Sequential) of nn.Embedding, nn.Linear, recurrent modules and
                cells, and head operations: :class:`TakeOutput`, :class:`TakeLastHidden`
                (``h_n[-1]``), :class:`LastValidStep`, nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU(), :class:`L2Normalize`,
                nn.Softmax(dim=-1), nn.LogSoftmax(dim=-1).  Recurrent modules start from
                zero state.
    input       the first step's input: int64 indices for an Embedding, else float.
    lengths     optional per-sequence lengths for the recurrent steps and LastValidStep.
    model       the module holding the steps: prefixes are their paths in it (``"rnn."``)
                and model.pt its state_dict.  Without it, prefixes are the steps' positions
                (``"0."``, ``"1."``, ... as in nn.Sequential).
    checkpoint  what to save as model.pt instead (a dict, a whole nn.Module, or a
                torch.jit.ScriptModule); checked against the steps' weights.
    atol, rtol  as for :func:`save_golden`.
    """
    steps = list(steps)
    prefixes, owner = _prefixes(steps, model)
    entries = [_step_description(s, p) for s, p in zip(steps, prefixes)]
    flags = [(m, m.training) for m in owner.modules()]
    owner.eval()
    try:
        out32 = run_steps(steps, input, lengths)
        steps64 = [copy.deepcopy(s).cpu().double() for s in steps]
        out64 = run_steps(steps64, _cast(_tensor(input, "input"), torch.float64), lengths)
    finally:
        for m, flag in flags:
            m.training = flag
    golden: Dict[str, torch.Tensor] = {"input": _own(_tensor(input, "input"))}
    if lengths is not None:
        golden["lengths"] = _own(torch.as_tensor(lengths, dtype=torch.int64))
    golden["output"] = _own(out32)
    atol, rtol = _tolerance(golden, {"output": out64}, atol, rtol, os.path.basename(os.path.normpath(str(directory))))

    if checkpoint is None:
        checkpoint = owner.state_dict()
    else:
        state = _checkpoint_state(checkpoint)
        for step, prefix in zip(steps, prefixes):
            if any(True for _ in step.parameters()):
                _check_checkpoint(state, step, prefix)

    case: Dict[str, Any] = {"steps": entries, "atol": float(atol), "rtol": float(rtol)}
    os.makedirs(directory, exist_ok=True)
    if _save_checkpoint(checkpoint, os.path.join(directory, "model.pt")):
        case["full_model"] = True
    torch.save(golden, os.path.join(directory, "golden.pt"))
    _write_case(directory, case)
    return golden
