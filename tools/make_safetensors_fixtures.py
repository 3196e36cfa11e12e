#!/usr/bin/env python3
"""Generate the safetensors-reader fixtures in ``fixtures/safetensors/``.

Every ``*.safetensors`` at the top level is written by the real
``safetensors.torch.save_file`` (pinned in ``tools/requirements.txt``), except
the ``handmade_*`` files, whose headers are typed here to exercise JSON the
reference writer never produces (escapes, whitespace, out-of-order keys, an
unknown extra field); those are checked to load with the real library.  For
every file ``NAME.safetensors`` a sidecar ``NAME.expected.json`` is written
from what ``safetensors.torch.load_file`` returns, in exactly the format of
``fixtures/checkpoints/*.expected.json``::

    {"file": "NAME.safetensors", "format": "safetensors",
     "tensors": [{"name", "dtype", "shape", "values"}, ...],
     "others":  [{"name", "value"}, ...]}

``tensors`` are in data-offset order (the order of the bytes in the file;
empty tensors sharing an offset keep their header order).  ``values`` is the
tensor flattened row-major: floats as float64 (exact for every float dtype),
ints as ints, bool as 0 / 1, complex interleaved [re, im, ...].  ``others``
holds the ``__metadata__`` entries, sorted by key, each a string value.

``malformed/`` holds small hand-built broken files and ``EXPECTED.json``
(file name -> a substring the reader's error message must contain).  The
script checks that the real library refuses each one too, except the few
listed in README.md that it accepts but a strict reader must not.

Run (re-runnable, deterministic; outputs are byte-identical between runs):

    /tmp/torchenv/bin/python tools/make_safetensors_fixtures.py
"""

from __future__ import annotations

import json
import math
import os
import shutil
import struct
from collections import OrderedDict

import torch
from torch import nn
from safetensors import safe_open
from safetensors.torch import load_file, save_file
import safetensors

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "fixtures", "safetensors")
MALFORMED = os.path.join(OUT, "malformed")

# (file name, one-line description) in the order written; used for README.md
DESCRIPTIONS: "list[tuple[str, str]]" = []
# malformed files the real library accepts (file name -> why a strict reader refuses)
PYTHON_ACCEPTS: "dict[str, str]" = {}


# --------------------------------------------------------------------------
# expectations
# --------------------------------------------------------------------------

def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _tensor_values(t: torch.Tensor) -> list:
    t = t.detach().contiguous()
    if t.is_complex():
        vals = torch.view_as_real(t).double().flatten().tolist()
    elif t.is_floating_point():
        vals = t.double().flatten().tolist()
    elif t.dtype == torch.uint64:
        vals = [int(v) for v in t.flatten().tolist()]
        assert all(v <= 2**63 - 1 for v in vals), "uint64 fixture values must fit int64"
    else:  # ints and bool
        vals = t.long().flatten().tolist()
    for v in vals:
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError("non-finite value in fixture tensor")
    return vals


def header_of(path: str) -> "tuple[int, OrderedDict]":
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    return n, json.loads(blob[8:8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)


def offset_order(path: str) -> "list[str]":
    """Tensor names sorted by (begin, end), ties in header order."""
    _, header = header_of(path)
    names = [k for k in header if k != "__metadata__"]
    index = {k: i for i, k in enumerate(names)}
    return sorted(names, key=lambda k: (tuple(header[k]["data_offsets"]), index[k]))


def write_expected(path: str) -> None:
    loaded = load_file(path)
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    tensors = []
    for name in offset_order(path):
        t = loaded[name]
        tensors.append({"name": name, "dtype": _dtype_name(t.dtype),
                        "shape": list(t.shape), "values": _tensor_values(t)})
    others = [{"name": k, "value": metadata[k]} for k in sorted(metadata)]
    fname = os.path.basename(path)
    stem = fname.rsplit(".", 1)[0]
    dump = lambda x: json.dumps(x, allow_nan=False)  # noqa: E731
    lines = ['{"file": %s, "format": %s,' % (dump(fname), dump("safetensors")), ' "tensors": [']
    lines.append(",\n".join("  " + dump(t) for t in tensors))
    lines.append(' ],\n "others": [')
    lines.append(",\n".join("  " + dump(o) for o in others))
    lines.append(" ]}\n")
    text = "\n".join(l for l in lines if l != "")
    json.loads(text)  # must be valid JSON
    with open(os.path.join(os.path.dirname(path), stem + ".expected.json"), "w") as f:
        f.write(text)


def assert_same(source: "dict[str, torch.Tensor]", path: str) -> None:
    loaded = load_file(path)
    assert list(sorted(loaded)) == list(sorted(source)), path
    for k, v in source.items():
        assert loaded[k].dtype == v.dtype and loaded[k].shape == v.shape, (path, k)
        if v.numel():  # bitwise: -0.0 and NaN payloads must survive too
            assert torch.equal(loaded[k].reshape(-1).view(torch.uint8),
                               v.contiguous().reshape(-1).view(torch.uint8)), (path, k)


def save_fixture(name: str, tensors: "dict[str, torch.Tensor]", desc: str,
                 metadata: "dict[str, str] | None" = None) -> str:
    """save_file into OUT/name, check the round trip, write the sidecar.

    The reference writer keeps ``__metadata__`` in a Rust HashMap, so with
    several keys their order changes from run to run.  To keep the output
    deterministic the file is rewritten (still by save_file) until the keys
    come out sorted, which is also the order SafetensorsWriter uses.
    """
    path = os.path.join(OUT, name)
    for _ in range(1000):
        save_file(tensors, path, metadata=metadata)
        if metadata is None:
            break
        _, header = header_of(path)
        keys = list(header["__metadata__"].keys())
        if keys == sorted(keys):
            break
    else:
        raise RuntimeError("could not get sorted metadata keys from save_file")
    assert_same(tensors, path)
    write_expected(path)
    DESCRIPTIONS.append((name, desc))
    return path


def write_raw(path: str, header: bytes, data: bytes, length: "int | None" = None) -> None:
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header) if length is None else length))
        f.write(header)
        f.write(data)


# --------------------------------------------------------------------------
# well-formed fixtures
# --------------------------------------------------------------------------

def float_values(dtype: torch.dtype, g: torch.Generator) -> torch.Tensor:
    fi = torch.finfo(dtype)
    extremes = torch.tensor([fi.max, -fi.max, fi.tiny, fi.smallest_normal / 4, -0.0, 1.0], dtype=torch.float64)
    body = torch.randn(6, generator=g, dtype=torch.float64)
    return torch.cat([body, extremes]).to(dtype)


def int_values(dtype: torch.dtype, g: torch.Generator) -> torch.Tensor:
    ii = torch.iinfo(dtype)
    lo, hi = max(ii.min, -1000), min(ii.max, 1000)
    body = torch.randint(lo, hi, (5,), generator=g, dtype=torch.int64)
    top = min(ii.max, 2**63 - 1)
    return torch.cat([body, torch.tensor([ii.min, top, 0, 1], dtype=torch.int64)]).to(dtype)


def make_all() -> None:
    g = torch.Generator().manual_seed(20240611)

    dtypes: "dict[str, torch.Tensor]" = {}
    for dt in [torch.float64, torch.float32, torch.float16, torch.bfloat16,
               torch.float8_e4m3fn, torch.float8_e5m2]:
        dtypes[_dtype_name(dt)] = float_values(dt, g)
    for dt in [torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8,
               torch.uint16, torch.uint32, torch.uint64]:
        dtypes[_dtype_name(dt)] = int_values(dt, g)
    dtypes["bool"] = torch.tensor([True, False, False, True, True])
    re_im = torch.randn(5, 2, generator=g)
    dtypes["complex64"] = torch.complex(re_im[:, 0], re_im[:, 1])
    dtypes["matrix_f32"] = torch.randn(2, 3, generator=g)
    save_fixture("dtypes.safetensors", dtypes,
                 "one tensor per dtype save_file writes: F64 F32 F16 BF16 F8_E4M3 F8_E5M2 I64 I32 I16 I8 U8 U16 U32 U64 BOOL C64 "
                 "(floats end with [max, -max, tiny, a subnormal, -0.0, 1.0], ints with [min, max, 0, 1]; U64 max kept to int64 max) + a 2x3 F32")

    save_fixture("scalar.safetensors", {
        "step": torch.tensor(7, dtype=torch.int64),
        "lr": torch.tensor(0.5, dtype=torch.float64),
        "flag": torch.tensor(True),
        "loss": torch.tensor(1.25, dtype=torch.float32),
    }, "0-d tensors (shape []): int64, float64, bool, float32")

    save_fixture("empty.safetensors", {
        "a": torch.randn(2, generator=g),
        "empty": torch.zeros(0, 3),
        "empty_3d": torch.zeros(2, 0, 4),
        "z": torch.randn(1, 2, generator=g),
        "empty_i64": torch.zeros(0, dtype=torch.int64),
    }, "empty tensors (shape [0, 3], [2, 0, 4], [0]) between non-empty ones: zero-length ranges sharing an offset")

    save_fixture("metadata.safetensors", {"weight": torch.randn(2, 2, generator=g)},
                 "__metadata__ with several keys, an empty value, and escapes (quote, backslash, newline, tab, non-ASCII)",
                 metadata={"format": "pt", "description": 'unicode é ✓ "quoted" back\\slash\nnewline\ttab',
                           "empty": "", "ünï": "cödé"})

    torch.manual_seed(1)
    rnn = nn.RNN(3, 4, num_layers=2, bidirectional=True)
    save_fixture("rnn_state_dict.safetensors", {k: v.contiguous() for k, v in rnn.state_dict().items()},
                 "state_dict() of nn.RNN(3, 4, num_layers=2, bidirectional=True)")

    torch.manual_seed(2)
    lstm = nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True)
    save_fixture("lstm_proj_state_dict.safetensors", {k: v.contiguous() for k, v in lstm.state_dict().items()},
                 "state_dict() of nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True) (has weight_hr_l*)")

    save_fixture("names.safetensors", {
        "": torch.tensor([1.0]),
        "a.b.c": torch.tensor([2.0]),
        "ünïcödé ✓ 🙂": torch.tensor([3.0]),
        'quote"d': torch.tensor([4.0]),
        "back\\slash": torch.tensor([5.0]),
        "tab\tand\nnewline": torch.tensor([6.0]),
        "ctrl\x01\x1f\x7f": torch.tensor([7.0]),
        "slash/and space": torch.tensor([8.0]),
    }, "unusual names: empty, dotted, non-ASCII and emoji, quote, backslash, tab/newline, control characters (escaped by serde_json), DEL")

    # Handmade: JSON the reference writer never produces, read by the real library.
    name = "handmade_escapes.safetensors"
    data = struct.pack("<2f", 1.5, -2.0) + struct.pack("<3h", -1, 2, 3) + b"\x00\x00"
    header = ('\n  { "__metadata__" : { "k\\u00e9y" : "v\\/al\\ud83d\\ude42" } ,\n'
              '    "second\\u0020tensor": {"shape": [3], "dtype": "I16", "data_offsets": [8, 14], "extra": {"nested": [1, 2.5e3, null, true]}},\n'
              '    "first\\"\\\\\\/\\b\\f\\n\\r\\t": {"data_offsets": [0, 8], "dtype": "F32", "shape": [2]},\n'
              '    "pad": {"dtype": "U8", "shape": [2], "data_offsets": [14, 16]}\n  }  \t\r\n').encode()
    write_raw(os.path.join(OUT, name), header, data)
    write_expected(os.path.join(OUT, name))
    DESCRIPTIONS.append((name, "hand-typed header: leading/trailing whitespace, \\u escapes (incl. a surrogate pair), every "
                         "short escape, members not in offset order, reordered fields, an unknown extra field; "
                         "the real library reads it"))


# --------------------------------------------------------------------------
# malformed fixtures
# --------------------------------------------------------------------------

def entry(dtype: str, shape, offsets) -> dict:
    return {"dtype": dtype, "shape": shape, "data_offsets": offsets}


def make_malformed() -> None:
    os.makedirs(MALFORMED, exist_ok=True)
    expected: "dict[str, str]" = {}

    def raw(name: str, header, data: bytes, want: str, length: "int | None" = None, python_accepts: str = "") -> None:
        if isinstance(header, dict):
            header = json.dumps(header, separators=(",", ":")).encode()
        write_raw(os.path.join(MALFORMED, name), header, data, length)
        expected[name] = want
        if python_accepts:
            PYTHON_ACCEPTS[name] = python_accepts

    f32 = struct.pack("<f", 1.0)
    with open(os.path.join(MALFORMED, "truncated_length.safetensors"), "wb") as f:
        f.write(b"\x10\x00\x00")  # 3 bytes: not even the length field
    expected["truncated_length.safetensors"] = "8-byte header length"
    raw("header_too_long.safetensors", json.dumps({"w": entry("F32", [1], [0, 4])}).encode(), f32,
        "header length 1000 exceeds", length=1000)
    raw("header_over_limit.safetensors", b"{}", b"", "exceeds the limit of 100000000", length=100_000_001)
    raw("empty_header.safetensors", b"", b"", "not valid JSON: unexpected end of text")
    raw("invalid_json.safetensors", b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},}', f32,
        "the header is not valid JSON")
    raw("trailing_garbage.safetensors", b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}x', f32,
        "unexpected 'x' after the JSON value")
    raw("not_object.safetensors", b'[{"dtype":"F32","shape":[1],"data_offsets":[0,4]}]', f32,
        "the header is not a JSON object")
    raw("bad_utf8.safetensors", b'{"w\xff":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32,
        "the header is not valid UTF-8")
    raw("lone_surrogate.safetensors", b'{"w\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32,
        "lone high surrogate")
    raw("control_char.safetensors", b'{"w\x01":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32,
        "unescaped control character 0x01")
    # serde_json (and the reader) stop at 128 nested containers: the root and
    # the entry are 2, so the 127th '[' (at offset len(prefix) + 126) is one too many.
    prefix = b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":'
    raw("deep_nesting.safetensors", prefix + b"[" * 2000 + b"]" * 2000 + b"}}", f32,
        f"the header's JSON nesting (at byte {len(prefix) + 126}) exceeds the limit of 128")
    raw("duplicate_key.safetensors",
        b'{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32,
        "duplicate key 'w'",
        python_accepts="duplicate keys: the real library silently keeps one 'w' (which one is parser-dependent), "
                       "so the same bytes are 4 x U8 to one reader and 1 x F32 to another")
    raw("metadata_not_string.safetensors",
        {"__metadata__": {"n": 1}, "w": entry("F32", [1], [0, 4])}, f32,
        "'__metadata__' must map strings to strings, but 'n' is a number")
    raw("entry_not_object.safetensors", {"w": [0, 4]}, f32, "tensor 'w': expected an object")
    raw("missing_field.safetensors", {"w": {"dtype": "F32", "shape": [1]}}, f32,
        "tensor 'w': missing field 'data_offsets'")
    raw("wrong_type.safetensors", {"w": {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}}, f32,
        "tensor 'w': field 'shape' must be an array")
    raw("float_offset.safetensors", b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}', f32,
        "tensor 'w': data_offsets end must be an integer, not 4.0")
    raw("offsets_count.safetensors", {"w": entry("F32", [1], [0, 4, 8])}, f32,
        "tensor 'w': field 'data_offsets' must hold exactly 2 integers")
    raw("reversed_offsets.safetensors", {"w": entry("U8", [0], [4, 0])}, f32,
        "tensor 'w': data_offsets [4, 0] end before they begin")
    raw("unknown_dtype.safetensors", {"w": entry("F128", [1], [0, 4])}, f32, "tensor 'w' has dtype 'F128'")
    raw("unsupported_dtype.safetensors", {"w": entry("F8_E8M0", [4], [0, 4])}, f32, "tensor 'w' has dtype 'F8_E8M0'",
        python_accepts="F8_E8M0 is a real safetensors dtype (torch.float8_e8m0fnu) that this library has no DType for")
    raw("negative_shape.safetensors", b'{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', f32,
        "tensor 'w': dimension 0 of shape is negative (-1)")
    raw("overflow_shape.safetensors", {"w": entry("U8", [2**32, 2**32], [0, 4])}, f32,
        "tensor 'w': shape [4294967296, 4294967296] overflows")
    raw("huge_offset.safetensors", {"w": entry("U8", [1], [2**64, 2**64 + 1])}, f32,
        "tensor 'w': data_offsets begin overflows")
    raw("extent_mismatch.safetensors", {"w": entry("F32", [3], [0, 8])}, f32 * 2,
        "tensor 'w': shape [3] of dtype F32 needs 12 bytes but data_offsets [0, 8] span 8")
    raw("out_of_range.safetensors", {"w": entry("F32", [2], [0, 8])}, f32,
        "tensor 'w': data_offsets [0, 8] lie outside the data section (4 bytes)")
    raw("overlap.safetensors", {"a": entry("F32", [2], [0, 8]), "b": entry("F32", [2], [4, 12])}, f32 * 3,
        "tensor 'b': data_offsets [4, 12] overlap tensor 'a' at [0, 8]")
    raw("empty_inside.safetensors", {"a": entry("F32", [2], [0, 8]), "e": entry("F32", [0], [4, 4])}, f32 * 2,
        "tensor 'e': data_offsets [4, 4] overlap tensor 'a' at [0, 8]")
    raw("hole.safetensors", {"a": entry("F32", [1], [0, 4]), "b": entry("F32", [1], [8, 12])}, f32 * 3,
        "tensor 'b': data_offsets [8, 12] leave a hole: bytes 4..<8")
    raw("leading_hole.safetensors", {"a": entry("F32", [1], [4, 8])}, f32 * 2,
        "tensor 'a': data_offsets [4, 8] leave a hole: bytes 0..<4")
    raw("trailing_bytes.safetensors", {"w": entry("F32", [1], [0, 4])}, f32 * 2,
        "the data section has 8 bytes but the tensors cover only the first 4")

    # Truncations of a real save_file output.
    with open(os.path.join(OUT, "rnn_state_dict.safetensors"), "rb") as f:
        real = f.read()
    (n,) = struct.unpack("<Q", real[:8])
    with open(os.path.join(MALFORMED, "truncated_header.safetensors"), "wb") as f:
        f.write(real[:8 + n // 2])
    expected["truncated_header.safetensors"] = f"header length {n} exceeds the {n // 2} bytes"
    cut = 8 + n + 100
    with open(os.path.join(MALFORMED, "truncated_data.safetensors"), "wb") as f:
        f.write(real[:cut])
    _, header = header_of(os.path.join(OUT, "rnn_state_dict.safetensors"))
    victim = next(k for k in header if k != "__metadata__" and header[k]["data_offsets"][1] > 100)
    b, e = header[victim]["data_offsets"]
    expected["truncated_data.safetensors"] = f"tensor '{victim}': data_offsets [{b}, {e}] lie outside the data section (100 bytes)"

    # The real library must refuse every file it is not documented to accept.
    for fname in sorted(expected):
        path = os.path.join(MALFORMED, fname)
        try:
            load_file(path)
            accepted = True
        except Exception:  # noqa: BLE001 - any refusal will do
            accepted = False
        if accepted != (fname in PYTHON_ACCEPTS):
            raise AssertionError(f"{fname}: safetensors {'accepts' if accepted else 'refuses'} it, expected the opposite")

    with open(os.path.join(MALFORMED, "EXPECTED.json"), "w") as f:
        json.dump(dict(sorted(expected.items())), f, indent=1, ensure_ascii=False)
        f.write("\n")


# --------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------

def write_readme() -> None:
    rows = "\n".join(f"| `{n}` | {d} |" for n, d in DESCRIPTIONS)
    with open(os.path.join(MALFORMED, "EXPECTED.json")) as f:
        malformed = json.load(f)
    mrows = "\n".join(f"| `{n}` | `{w}` |" for n, w in malformed.items())
    accepts = "\n".join(f"- `{n}`: {why}" for n, why in sorted(PYTHON_ACCEPTS.items()))
    text = f"""# Safetensors-reader fixtures

Generated by safetensors {safetensors.__version__} and PyTorch {torch.__version__.split('+')[0]} with
`tools/make_safetensors_fixtures.py` (pinned versions: `tools/requirements.txt`).
Regenerate from the repo root (deterministic, byte-identical output):

    /path/to/venv/bin/python tools/make_safetensors_fixtures.py

Each file `NAME.safetensors` has `NAME.expected.json` written from
`safetensors.torch.load_file(path)`, in the format of
`fixtures/checkpoints/*.expected.json`: `{{"file", "format": "safetensors",
"tensors": [{{"name", "dtype", "shape", "values"}}], "others": [{{"name",
"value"}}]}}`. Tensors are in data-offset order (empty tensors sharing an
offset keep header order); dtypes are torch's names; values are the tensor
flattened row-major (floats as float64, ints as ints, bool 0/1, complex
interleaved re/im). `others` lists the `__metadata__` entries sorted by key.

All files except `handmade_*` are written by `save_file`, which orders
tensors by descending dtype alignment, then name, and keeps `__metadata__` in
a hash map; the script rewrites a file until its metadata keys come out
sorted, so the output is deterministic (and equals what `SafetensorsWriter`
writes for the same tensors in file order).

| file | exercises |
|---|---|
{rows}

## malformed/

Hand-built broken files (a few bytes each, plus two truncations of
`rnn_state_dict.safetensors`). `malformed/EXPECTED.json` maps each file to a
substring the reader's error message must contain:

| file | message contains |
|---|---|
{mrows}

The real library refuses every one of them except:

{accepts}
"""
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(text)


def main() -> None:
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    make_all()
    make_malformed()
    write_readme()
    total = 0
    for root, _, files in os.walk(OUT):
        for fn in sorted(files):
            p = os.path.join(root, fn)
            total += os.path.getsize(p)
            print(f"{os.path.getsize(p):8d}  {os.path.relpath(p, REPO)}")
    print(f"{total:8d}  total")


if __name__ == "__main__":
    main()
