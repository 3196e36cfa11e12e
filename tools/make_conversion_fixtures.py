#!/usr/bin/env python3
"""Fixtures for `ptconvert convert` made with real PyTorch: full-model pickles,
a TorchScript archive and Hugging Face-style sharded checkpoints.

Writes fixtures/conversion/ (deterministic; re-runnable):
  full_model.pt          torch.save(model) of a user class (embedding -> LSTM -> linear)
  scripted.pt            torch.jit.save(torch.jit.script(model)) of the same model
  sharded_bin/           pytorch_model-0000{1,2}-of-00002.bin + pytorch_model.bin.index.json
  sharded_safetensors/   model-0000{1,2}-of-00002.safetensors + model.safetensors.index.json
  torchscript_state.pt   a scripted module with a buffer, plain tensor attributes (not state),
                         a traced submodule's tensor constant and a ModuleList with a tied
                         weight; sidecars: the state_dict, and .with_constants adding constants.c0
                         (--only torchscript_state writes just this one)
each with NAME.expected.json (same format as fixtures/checkpoints/) holding the
model's state_dict: the names and values a reader must extract.

Also, with --check DIR: verifies with torch and safetensors that every file
ptconvert wrote into DIR (by the test suite or by hand) loads bit-identically
to its source (see the README's testing section).

Run: /path/to/venv/bin/python tools/make_conversion_fixtures.py
"""
from __future__ import annotations

import json
import os
import shutil
import sys

import torch
from torch import nn
from safetensors.torch import save_file, load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_checkpoint_fixtures import write_expected  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "conversion")


class TinyTagger(nn.Module):
    """What a user's own model class looks like: torch.save(model) pickles it by reference."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.rnn = nn.LSTM(4, 5, num_layers=2, bidirectional=True)
        self.head = nn.Linear(10, 3)
        self.register_buffer("scale", torch.tensor([0.5, 2.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.rnn(self.embed(x))
        return self.head(y) * self.scale[0]


TinyTagger.__module__ = "my_project.models"  # as if imported from the user's package


def shard(state: "dict[str, torch.Tensor]", parts: int) -> "list[dict[str, torch.Tensor]]":
    names = list(state)
    size = (len(names) + parts - 1) // parts
    return [{n: state[n].contiguous() for n in names[i:i + size]} for i in range(0, len(names), size)]


def write_sharded(folder: str, state, ext: str) -> None:
    os.makedirs(folder, exist_ok=True)
    shards = shard(state, 2)
    stem = "pytorch_model" if ext == "bin" else "model"
    weight_map = {}
    total = 0
    for i, part in enumerate(shards, 1):
        fname = f"{stem}-{i:05d}-of-{len(shards):05d}.{ext}"
        path = os.path.join(folder, fname)
        if ext == "bin":
            torch.save(part, path)
        else:
            save_file(part, path, metadata={"format": "pt"})
        for n, t in part.items():
            weight_map[n] = fname
            total += t.numel() * t.element_size()
    with open(os.path.join(folder, f"{stem}.{ext}.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    write_expected(os.path.join(folder, f"{stem}.{ext}.index.json"), "sharded", state)


def make() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    torch.manual_seed(1234)
    model = TinyTagger().eval()
    state = model.state_dict()

    path = os.path.join(OUT, "full_model.pt")
    # Registering a fake module lets torch pickle the class under the user's module name.
    import types
    fake = types.ModuleType("my_project.models")
    fake.TinyTagger = TinyTagger
    sys.modules["my_project"] = types.ModuleType("my_project")
    sys.modules["my_project.models"] = fake
    torch.save(model, path)
    reloaded = torch.load(path, weights_only=False)
    assert list(reloaded.state_dict()) == list(state)
    write_expected(path, "zip", state)

    path = os.path.join(OUT, "scripted.pt")
    torch.jit.save(torch.jit.script(model), path)
    scripted = torch.jit.load(path)
    for name, tensor in scripted.state_dict().items():
        assert torch.equal(tensor, state[name]), name
    write_expected(path, "zip", dict(scripted.state_dict()))

    write_sharded(os.path.join(OUT, "sharded_bin"), state, "bin")
    write_sharded(os.path.join(OUT, "sharded_safetensors"), state, "safetensors")
    make_torchscript_state()
    print("wrote", OUT)


class Offset(nn.Module):
    """Traced, so the tensor it adds becomes a TorchScript constant (constants.pkl, CONSTANTS.c0)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.tensor([0.5, -1.5, 2.25])


class StatefulScripted(nn.Module):
    """A scripted module whose state_dict is smaller than its tensors: a
    parameterised submodule, a registered buffer, plain tensor attributes
    (`_state`, `_context`: not state, as in real streaming VAD models), a
    traced submodule holding a tensor constant, a ModuleList whose second
    Linear has no bias and shares the first one's weight (tied: listed under
    both names), and a parameter registered after a buffer (state_dict lists
    each module's parameters before its buffers)."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.register_buffer("running_mean", torch.tensor([0.25, 0.5, 0.75]))
        self._state = torch.zeros(0)
        self._context = torch.full((2,), 3.0)
        self.offset = torch.jit.trace(Offset(), torch.zeros(3))
        self.layers = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 3, bias=False)])
        self.layers[1].weight = self.layers[0].weight
        self.gain = nn.Parameter(torch.tensor([1.5]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return (self.offset(self.lin(x)) - self.running_mean + self._state.sum() + self._context.sum()) * self.gain


def make_torchscript_state() -> None:
    """torchscript_state.pt: its sidecar is torch.jit.load(f).state_dict(), and
    torchscript_state.with_constants.expected.json adds the archive's tensor
    constants as constants.c<i>, read from the loaded module's graph."""
    import tempfile
    torch.manual_seed(99)
    path = os.path.join(OUT, "torchscript_state.pt")
    torch.jit.save(torch.jit.script(StatefulScripted()), path)
    loaded = torch.jit.load(path)
    state = dict(loaded.state_dict())
    assert list(state) == ["gain", "running_mean", "lin.weight", "lin.bias", "layers.0.weight", "layers.0.bias",
                           "layers.1.weight"], list(state)
    write_expected(path, "zip", state)
    constants = [n.output().toIValue() for n in loaded.offset.graph.nodes()
                 if n.kind() == "prim::Constant" and n.output().type().kind() == "TensorType"]
    assert len(constants) == 1 and "CONSTANTS.c0" in loaded.offset.code, loaded.offset.code
    with tempfile.TemporaryDirectory() as tmp:
        write_expected(os.path.join(tmp, "torchscript_state.pt"), "zip", {**state, "constants": {"c0": constants[0]}})
        shutil.move(os.path.join(tmp, "torchscript_state.expected.json"),
                    os.path.join(OUT, "torchscript_state.with_constants.expected.json"))


def load_reference(src: str):
    """What torch itself reads from a source file: weights-only load, else the
    TorchScript state_dict, else (a full-model pickle of a class not importable
    here) the state_dict recorded in the fixture's sidecar."""
    if src.endswith(".safetensors"):
        return load_file(src)
    try:
        return torch.load(src, weights_only=True)
    except Exception:
        pass
    try:
        return dict(torch.jit.load(src).state_dict())
    except Exception:
        pass
    with open(src.rsplit(".", 1)[0] + ".expected.json") as f:
        sidecar = json.load(f)
    return {t["name"]: torch.tensor(t["values"], dtype=getattr(torch, t["dtype"])).reshape(t["shape"])
            for t in sidecar["tensors"]}


def check(folder: str) -> int:
    """Every NAME.safetensors / NAME.pt in folder must load in Python and equal
    the source named in folder/SOURCES.json ({"out file": "source file"})."""
    with open(os.path.join(folder, "SOURCES.json")) as f:
        sources = json.load(f)
    failures = 0
    checked = 0
    for out, src in sources.items():
        out_path = os.path.join(folder, out)
        if not os.path.exists(out_path):
            print(f"not written (refused by ptconvert): {out}")
            continue
        checked += 1
        reference = load_reference(src)
        flat = {}

        def walk(prefix, value):
            if isinstance(value, torch.Tensor):
                flat[prefix] = value
            elif isinstance(value, dict):
                for k, v in value.items():
                    walk(f"{prefix}.{k}" if prefix else str(k), v)
            elif isinstance(value, (list, tuple)):
                for i, v in enumerate(value):
                    walk(f"{prefix}.{i}" if prefix else str(i), v)

        walk("", reference)
        loaded = load_file(out_path) if out.endswith(".safetensors") else torch.load(out_path, weights_only=True)
        if out.endswith(".pt"):
            torch.load(out_path, weights_only=True, mmap=True)
        for name, tensor in loaded.items():
            ref = flat.get(name, flat.get("" if name == "tensor" else name))
            ok = ref is not None and ref.dtype == tensor.dtype and ref.shape == tensor.shape and (
                torch.equal(ref.contiguous().view(torch.uint8), tensor.contiguous().view(torch.uint8))
                if ref.dim() and ref.numel() else torch.equal(ref, tensor))
            if not ok:
                failures += 1
                print(f"MISMATCH {out}: {name}")
        if set(loaded) != set(flat) and not (list(flat) == [""] and list(loaded) == ["tensor"]):
            failures += 1
            print(f"NAMES DIFFER {out}: {sorted(set(loaded) ^ set(flat))[:5]}")
    print(f"{checked - failures} of {checked} files written load bit-identically in torch/safetensors")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    if sys.argv[1:] == ["--only", "torchscript_state"]:  # add it without re-saving the others
        make_torchscript_state()
        sys.exit(0)
    make()
