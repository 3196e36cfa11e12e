#!/usr/bin/env python3
"""Generate ``fixtures/tensor-ops/``: inputs and torch's outputs for every
TorchTensor operation, so the Swift tests compare against real torch values.

``ops.safetensors`` holds the tensors (float32, int64), ``ops.json`` the cases::

    [{"name": "softmax_last", "op": "softmax", "axis": -1,
      "inputs": ["softmax_last.x"], "output": "softmax_last.out"}, ...]

Extra fields per op: ``axis``, ``index``, ``start``/``end``, ``shape``,
``axes``, ``lengths`` (a tensor name), ``batch_first``, ``eps``.

Run (deterministic; re-running rewrites identical files):

    /tmp/torchenv/bin/python tools/make_tensor_op_fixtures.py
"""

from __future__ import annotations

import json
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "tensor-ops")


def main() -> None:
    torch.manual_seed(10)
    tensors: dict[str, torch.Tensor] = {}
    cases: list[dict] = []

    def case(name: str, op: str, inputs: list[torch.Tensor], output: torch.Tensor, **extra) -> None:
        names = []
        for i, t in enumerate(inputs):
            key = f"{name}.in{i}"
            tensors[key] = t.contiguous().clone()
            names.append(key)
        tensors[f"{name}.out"] = output.contiguous().clone()
        cases.append({"name": name, "op": op, "inputs": names, "output": f"{name}.out", **extra})

    x = torch.randn(3, 4, 5)
    # Wide values: stability of softmax / log-softmax and saturation of the activations.
    wide = torch.randn(4, 7) * 40
    wide[0, 0] = 1000.0
    wide[1, :] = -1000.0

    for axis in (0, 1, -1):
        case(f"select_{axis}", "select", [x], x.select(axis, 2), axis=axis, index=2)
    case("select_negative_index", "select", [x], x.select(1, -1), axis=1, index=-1)
    case("slice_1", "slice", [x], x[:, 1:3], axis=1, start=1, end=3)
    case("slice_last_empty", "slice", [x], x[..., 5:5], axis=-1, start=5, end=5)
    case("reshape", "reshape", [x], x.reshape(4, -1), shape=[4, -1])
    case("transpose_0_2", "transpose", [x], x.transpose(0, 2), axes=[0, 2])
    case("transpose_1_2", "transpose", [x], x.transpose(1, -1), axes=[1, -1])
    y = torch.randn(3, 2, 5)
    case("concatenate_1", "concatenate", [x, y], torch.cat([x, y], 1), axis=1)
    z = torch.randn(2, 4, 5)
    case("concatenate_0", "concatenate", [x, z], torch.cat([x, z], 0), axis=0)

    # Last valid step: (T, B, F) and (B, T, F) with lengths, as a classifier head reads them.
    lengths = torch.tensor([5, 1, 3], dtype=torch.int64)
    seq = torch.randn(5, 3, 4)
    tensors["last_step.lengths"] = lengths
    case("last_step_time_major", "last_step", [seq], seq[lengths - 1, torch.arange(3)],
         lengths="last_step.lengths", batch_first=False)
    seq_bf = torch.randn(3, 5, 4)
    case("last_step_batch_first", "last_step", [seq_bf], seq_bf[torch.arange(3), lengths - 1],
         lengths="last_step.lengths", batch_first=True)

    a = torch.randn(3, 4, 5)
    case("add_same", "add", [a, x], a + x)
    bias = torch.randn(5)
    case("add_broadcast", "add", [x, bias], x + bias)
    col = torch.randn(3, 1, 5)
    case("mul_broadcast", "mul", [x, col], x * col)
    case("mul_same", "mul", [a, x], a * x)

    for name, fn in (("relu", F.relu), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("gelu", F.gelu)):
        case(f"{name}_normal", name, [x], fn(x))
        case(f"{name}_wide", name, [wide], fn(wide))

    for axis in (0, -1):
        case(f"softmax_{axis}", "softmax", [wide], F.softmax(wide, dim=axis), axis=axis)
        case(f"log_softmax_{axis}", "log_softmax", [wide], F.log_softmax(wide, dim=axis), axis=axis)
    case("softmax_3d", "softmax", [x], F.softmax(x, dim=1), axis=1)
    case("log_softmax_3d", "log_softmax", [x], F.log_softmax(x, dim=1), axis=1)

    ties = torch.tensor([[1.0, 3.0, 3.0, 0.0], [-1.0, -1.0, -2.0, -5.0]])
    case("argmax_last", "argmax", [x], x.argmax(dim=-1), axis=-1)
    case("argmax_0", "argmax", [x], x.argmax(dim=0), axis=0)
    case("argmax_ties", "argmax", [ties], ties.argmax(dim=1), axis=1)

    tiny = torch.randn(2, 3) * 1e-14
    case("normalize_last", "normalize", [x], F.normalize(x, p=2, dim=-1), axis=-1, eps=1e-12)
    case("normalize_1", "normalize", [x], F.normalize(x, p=2, dim=1), axis=1, eps=1e-12)
    case("normalize_tiny_eps", "normalize", [tiny], F.normalize(tiny, p=2, dim=1), axis=1, eps=1e-12)

    case("sub_broadcast", "sub", [x, col], x - col)
    divisor = torch.rand(5) + 0.5
    case("div_broadcast", "div", [x, divisor], x / divisor)
    case("unsqueeze_1", "unsqueeze", [x], x.unsqueeze(1), axis=1)
    case("unsqueeze_last", "unsqueeze", [x], x.unsqueeze(-1), axis=-1)

    os.makedirs(ROOT, exist_ok=True)
    save_file(tensors, os.path.join(ROOT, "ops.safetensors"))
    with open(os.path.join(ROOT, "ops.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases, {len(tensors)} tensors")


if __name__ == "__main__":
    main()
