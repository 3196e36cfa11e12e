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
    ``{"module", "prefix", "batch_first", "nonlinearity", "atol", "rtol"}``.

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

__all__ = ["save_golden", "run_golden", "module_kind"]

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


def save_golden(
    module: nn.Module,
    directory,
    input: torch.Tensor,
    h0: Optional[torch.Tensor] = None,
    c0: Optional[torch.Tensor] = None,
    lengths=None,
    prefix: str = "",
    checkpoint: Any = None,
    atol: float = 1e-5,
    rtol: float = 1e-5,
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
                Its tensors at ``prefix + name`` must equal the module's weights once cast
                to the module's dtype; this is checked.
    atol, rtol  tolerances recorded in case.json.

    Returns the dict written to golden.pt.
    """
    kind = module_kind(module)
    if prefix and not prefix.endswith("."):
        raise ValueError(f"prefix must be empty or end with '.', got {prefix!r}")

    golden = run_golden(module, input, h0=h0, c0=c0, lengths=lengths)

    if checkpoint is None:
        checkpoint = _prefixed_state_dict(module, prefix)
    else:
        _check_checkpoint(checkpoint, module, prefix)

    case = {
        "module": kind,
        "prefix": prefix,
        "batch_first": bool(getattr(module, "batch_first", False)),
        "nonlinearity": getattr(module, "nonlinearity", "tanh") if kind in ("RNN", "RNNCell") else "tanh",
        "atol": float(atol),
        "rtol": float(rtol),
    }

    os.makedirs(directory, exist_ok=True)
    torch.save(checkpoint, os.path.join(directory, "model.pt"))
    torch.save(golden, os.path.join(directory, "golden.pt"))
    with open(os.path.join(directory, "case.json"), "w") as f:
        json.dump(case, f, indent=2)
        f.write("\n")
    return golden
