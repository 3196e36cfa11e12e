#!/usr/bin/env python3
"""Generate the checkpoint-reader fixtures in ``fixtures/checkpoints/``.

Every fixture is written by real PyTorch (``torch.save``), or is a real torch
file re-packed with Python's ``zipfile`` (big-endian, deflated, ZIP64).  For
every checkpoint ``NAME.<ext>`` a sidecar ``NAME.expected.json`` is written from
what ``torch.load(path, weights_only=True)`` returns (for the big-endian file
the expectations come from the source object, and the script checks that
torch reads the file back to the same values).  No expected value is typed by
hand.

Sidecar format::

    {"file": "NAME.pt", "format": "zip" | "legacy",
     "tensors": [{"name", "dtype", "shape", "values"}, ...],
     "others":  [{"name", "value"}, ...]}

``tensors`` / ``others`` are in depth-first order of the loaded object (dict
insertion order, lists / tuples by index); names are dotted paths (dict keys
via ``str(key)``, list / tuple indices as decimal numbers); a top-level tensor
has the name "".  ``values`` is the logical tensor flattened row-major:
floats as float64 (exact for float16 / bfloat16 / float32), ints as ints,
bool as 0 / 1, complex interleaved [re, im, ...].  ``others`` holds non-tensor
leaves (int, float, str, bool, None); empty containers, bytes and other objects
are not listed.

Hostile files go to ``fixtures/checkpoints/hostile/`` with ``EXPECTED.json``
(file name -> the ``module.name`` global a safe reader must refuse).  They are
built from raw pickle bytes and are NEVER loaded by this script.

Storage location strings ("cpu", "cuda:0", ...) cannot be exercised without a
GPU; a reader should ignore the location string anyway (every fixture here
says "cpu").

Run (re-runnable, deterministic; outputs are byte-identical between runs):

    /tmp/torchenv/bin/python tools/make_checkpoint_fixtures.py
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import pickletools
import struct
import subprocess
import sys
import tempfile
import warnings
import zipfile
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "fixtures", "checkpoints")
HOSTILE = os.path.join(OUT, "hostile")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)

# (file name, one-line description) in the order written; used for README.md
DESCRIPTIONS: "list[tuple[str, str]]" = []


# --------------------------------------------------------------------------
# expectations
# --------------------------------------------------------------------------

def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


# dtypes torch keeps as opaque bytes (no arithmetic, no conversion): their
# sidecar values are the tensor's bytes, read through a uint8 view.
RAW_DTYPES = (torch.bits1x8, torch.bits2x4, torch.bits4x2, torch.bits8, torch.bits16,
              torch.float4_e2m1fn_x2)


def _tensor_values(t: torch.Tensor) -> list:
    t = t.detach().contiguous()
    if t.dtype in RAW_DTYPES:
        return t.view(torch.uint8).flatten().long().tolist()
    if t.dtype in (torch.complex32, torch.bcomplex32):
        half = torch.float16 if t.dtype == torch.complex32 else torch.bfloat16
        return t.view(half).double().flatten().tolist()
    if t.is_complex():
        vals = torch.view_as_real(t).double().flatten().tolist()
    elif t.is_floating_point():
        vals = t.double().flatten().tolist()
    else:  # ints and bool
        vals = t.long().flatten().tolist()
    for v in vals:
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError("non-finite value in fixture tensor")
    return vals


def _walk(obj, name: str, tensors: list, others: list) -> None:
    def join(key) -> str:
        return f"{name}.{key}" if name else str(key)

    if isinstance(obj, torch.Tensor):
        tensors.append({"name": name, "dtype": _dtype_name(obj.dtype),
                        "shape": list(obj.shape), "values": _tensor_values(obj)})
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _walk(v, join(k), tensors, others)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _walk(v, join(i), tensors, others)
    elif obj is None or isinstance(obj, (bool, int, str)):
        others.append({"name": name, "value": obj})
    elif isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"non-finite float at {name}")
        others.append({"name": name, "value": obj})
    else:  # bytes and exotic objects are skipped by design
        print(f"  note: skipping {type(obj).__name__} at {name!r}")


def write_expected(path: str, fmt: str, obj) -> None:
    tensors: list = []
    others: list = []
    _walk(obj, "", tensors, others)
    fname = os.path.basename(path)
    stem = fname.rsplit(".", 1)[0]
    dump = lambda x: json.dumps(x, allow_nan=False)  # noqa: E731
    lines = ['{"file": %s, "format": %s,' % (dump(fname), dump(fmt)), ' "tensors": [']
    lines.append(",\n".join("  " + dump(t) for t in tensors))
    lines.append(' ],\n "others": [')
    lines.append(",\n".join("  " + dump(o) for o in others))
    lines.append(" ]}\n")
    text = "\n".join(l for l in lines if l != "")
    json.loads(text)  # must be valid JSON
    with open(os.path.join(os.path.dirname(path), stem + ".expected.json"), "w") as f:
        f.write(text)


def assert_same(a, b, where: str = "<root>", strides: bool = True) -> None:
    """Structural equality of a loaded object with its source."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor), where
        assert a.dtype == b.dtype and a.shape == b.shape, where
        if a.dtype in RAW_DTYPES or a.dtype in (torch.complex32, torch.bcomplex32):
            # no torch.equal for these dtypes: compare the elements' bytes
            assert torch.equal(a.detach().contiguous().view(torch.uint8),
                               b.detach().contiguous().view(torch.uint8)), where
        else:
            assert torch.equal(a.detach(), b.detach()), where
        if strides:
            assert a.stride() == b.stride(), (where, a.stride(), b.stride())
            assert a.storage_offset() == b.storage_offset(), where
        assert type(a) is type(b), (where, type(a), type(b))
        assert a.requires_grad == b.requires_grad, where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a.keys()) == list(b.keys()), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}", strides)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}.{i}", strides)
    else:
        assert type(a) is type(b) and a == b, (where, a, b)


# files whose sidecar had to come from torch.load(weights_only=False)
FULL_UNPICKLER: "list[str]" = []


def load(path: str):
    try:
        return torch.load(path, weights_only=True)
    except pickle.UnpicklingError as e:
        # torch 2.15's weights_only unpickler rejects the FRAME opcode (0x95)
        # that protocol-4 pickles contain.  These are our own trusted files,
        # so fall back to the full unpickler and say so in README.md.
        if "Unsupported operand 149" not in str(e):
            raise
        if os.path.basename(path) not in FULL_UNPICKLER:
            FULL_UNPICKLER.append(os.path.basename(path))
        return torch.load(path, weights_only=False)


def save_fixture(name: str, obj, desc: str, **save_kwargs) -> str:
    """torch.save into OUT/name, check the round trip, write the sidecar."""
    path = os.path.join(OUT, name)
    torch.save(obj, path, **save_kwargs)
    legacy = save_kwargs.get("_use_new_zipfile_serialization") is False
    if legacy:
        normalize_legacy_storage_keys(path)
    loaded = load(path)
    assert_same(obj, loaded)
    write_expected(path, "legacy" if legacy else "zip", loaded)
    DESCRIPTIONS.append((name, desc))
    return path


# --------------------------------------------------------------------------
# zip helpers
# --------------------------------------------------------------------------

def read_records(path: str) -> "list[tuple[str, bytes]]":
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, zf.read(i.filename)) for i in zf.infolist()]


def write_zip(path: str, records, compress=zipfile.ZIP_STORED,
              force_zip64: bool = False, align: int = 64) -> None:
    """Write records; STORED entries get their data aligned to `align` bytes
    with a torch-style "FB" padding extra field (as PyTorchStreamWriter does)."""
    with open(path, "wb") as fp, zipfile.ZipFile(fp, "w") as zf:
        for name, data in records:
            zi = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            zi.compress_type = compress
            if compress == zipfile.ZIP_STORED and align:
                header = 30 + len(name.encode()) + (20 if force_zip64 else 0) + 4
                pad = (-(fp.tell() + header)) % align
                zi.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            with zf.open(zi, "w", force_zip64=force_zip64) as f:
                f.write(data)


def storage_dtypes(data_pkl: bytes) -> "dict[str, torch.dtype]":
    """Map storage key -> dtype by unpickling our own (trusted) data.pkl with
    dummy storages."""
    found: "dict[str, torch.dtype]" = {}

    class U(pickle.Unpickler):
        def persistent_load(self, pid):
            _, storage_type, key, _location, numel = pid
            dtype = storage_type.dtype
            found[key] = dtype
            return torch.storage.TypedStorage(numel, dtype=dtype, _internal=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage deprecation
        U(io.BytesIO(data_pkl)).load()
    return found


def byteswap(data: bytes, dtype: torch.dtype) -> bytes:
    unit = torch.empty((), dtype=dtype).element_size()
    if dtype.is_complex:
        unit //= 2  # swap the real and imaginary halves separately
    if unit == 1:
        return data
    return np.frombuffer(data, dtype=np.dtype(f"u{unit}")).byteswap().tobytes()


def normalize_legacy_storage_keys(path: str) -> None:
    """Legacy files name storages by their memory address (str(storage._cdata))
    and write the storages in sorted-key order, so both the keys and the data
    order change every run.  Rename the keys to same-length decimal strings
    numbered by first appearance in the main pickle, re-pickle the sorted key
    list exactly as torch does, and write the storage blocks in that order.
    The result is what torch would write if the addresses had been those
    numbers; the file is byte-identical between runs."""
    raw = open(path, "rb").read()
    f = io.BytesIO(raw)
    for _ in range(3):  # magic number, protocol version, sys_info
        pickle.load(f)
    main_start = f.tell()
    for _ in pickletools.genops(f):  # skip the main pickle without running it
        pass
    main_end = f.tell()
    keys = pickle.load(f)
    blocks_start = f.tell()

    order: "list[str]" = []  # keys by first appearance
    elsize: "dict[str, int]" = {}

    class U(pickle.Unpickler):
        def persistent_load(self, pid):
            _, storage_type, key, _loc, numel, _view = pid
            dtype = storage_type.dtype
            if key not in elsize:
                order.append(key)
                elsize[key] = torch._utils._element_size(dtype)
            return torch.storage.TypedStorage(numel, dtype=dtype, _internal=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage deprecation
        U(io.BytesIO(raw[main_start:main_end])).load()
    assert sorted(order) == keys

    blocks: "dict[str, bytes]" = {}
    pos = blocks_start
    for key in keys:  # each block: int64 numel (little-endian) + data
        numel, = struct.unpack_from("<q", raw, pos)
        size = 8 + numel * elsize[key]
        blocks[key] = raw[pos:pos + size]
        pos += size
    assert pos == len(raw)

    if len({len(k) for k in keys}) != 1:
        raise RuntimeError("legacy storage keys differ in length")
    width = len(keys[0])
    rename = {old: str(10 ** (width - 1) + i) for i, old in enumerate(order)}
    main = raw[main_start:main_end]
    for old, rep in rename.items():
        main = main.replace(old.encode(), rep.encode())
    new_keys = sorted(rename.values())
    out = (raw[:main_start] + main + pickle.dumps(new_keys, protocol=2)
           + b"".join(blocks[old] for old in order))
    with open(path, "wb") as fp:
        fp.write(out)


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------

class TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.RNN(3, 4, batch_first=True)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def make_all(tmp: str) -> None:
    torch.manual_seed(0)

    # ---- recurrent state_dicts -------------------------------------------
    save_fixture("rnn_state_dict.pt",
                 nn.RNN(3, 4, num_layers=2, bidirectional=True).state_dict(),
                 "state_dict() of nn.RNN(3, 4, num_layers=2, bidirectional=True)")
    save_fixture("lstm_proj_state_dict.pt",
                 nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True).state_dict(),
                 "state_dict() of nn.LSTM(3, 5, num_layers=2, proj_size=2, "
                 "bidirectional=True) (has weight_hr_l*)")
    save_fixture("gru_state_dict.pt",
                 nn.GRU(3, 4, num_layers=2, bidirectional=True).state_dict(),
                 "state_dict() of nn.GRU(3, 4, num_layers=2, bidirectional=True)")

    # ---- nested training checkpoint --------------------------------------
    model = TinyNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = model(torch.randn(2, 5, 3)).pow(2).mean()
    loss.backward()
    opt.step()
    save_fixture("training_checkpoint.pt",
                 {"epoch": 3, "step": 1200, "loss": 0.25, "name": "run-1",
                  "model": model.state_dict(), "optimizer": opt.state_dict()},
                 "nested training checkpoint: ints/float/str, model state_dict, "
                 "Adam state_dict after one step (int dict keys, 0-d step tensors, "
                 "param_groups with tuple/bool/None/int list)")

    # ---- DataParallel-style prefix ---------------------------------------
    # nn.DataParallel on a CPU-only machine keeps the module and gives the
    # real "module."-prefixed state_dict (including "module" in _metadata).
    dp_model = TinyNet()
    save_fixture("dataparallel_state_dict.pt", nn.DataParallel(dp_model).state_dict(),
                 "nn.DataParallel(model).state_dict(): every key starts with 'module.'")

    # ---- dtypes ----------------------------------------------------------
    dt: "dict[str, torch.Tensor]" = {}
    for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        fi = torch.finfo(dtype)
        extremes = torch.tensor([fi.max, -fi.max, fi.tiny], dtype=torch.float64)
        dt[_dtype_name(dtype)] = torch.cat(
            [torch.randn(2, 3, dtype=torch.float64).flatten(), extremes]).to(dtype)
    for dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
        ii = torch.iinfo(dtype)
        extremes = torch.tensor([ii.min, ii.max, 0, 1], dtype=dtype)
        lo, hi = max(ii.min, -1000), min(ii.max, 1000)
        dt[_dtype_name(dtype)] = torch.cat([torch.randint(lo, hi, (5,), dtype=dtype), extremes])
    dt["bool"] = torch.tensor([True, False, False, True, True])
    dt["complex64"] = torch.randn(2, 2, dtype=torch.complex64)
    dt["complex128"] = torch.randn(3, dtype=torch.complex128)
    save_fixture("dtypes.pt", dt,
                 "one tensor per dtype (float16, bfloat16, float32, float64, int64, "
                 "int32, int16, int8, uint8, bool, complex64, complex128); "
                 "float tensors end with [max, -max, tiny], int tensors with "
                 "[min, max, 0, 1]")

    # ---- dtypes saved through torch.storage.UntypedStorage ----------------
    # torch 2.15 pickles the dtypes without a legacy *Storage class as
    # ('storage', torch.storage.UntypedStorage, key, 'cpu', nbytes) rebuilt by
    # _rebuild_tensor_v3 with the dtype; torch.load(weights_only=True) reads them.
    untyped: "dict[str, torch.Tensor]" = {}
    for dtype in (torch.uint16, torch.uint32, torch.uint64):
        hi = min(torch.iinfo(dtype).max, (1 << 63) - 1)
        untyped[_dtype_name(dtype)] = torch.tensor(
            [0, 1, 1000, hi], dtype=torch.float64 if dtype != torch.uint64 else torch.int64
        ).to(torch.int64).to(dtype).reshape(2, 2)
    float8_source = torch.tensor([0.0, 1.0, -2.5, 0.015625, 3.0, -0.375, 0.0009765625, 12.0])
    for dtype in (torch.float8_e4m3fn, torch.float8_e5m2, torch.float8_e4m3fnuz,
                  torch.float8_e5m2fnuz):
        untyped[_dtype_name(dtype)] = float8_source.to(dtype)
    # e8m0 holds powers of two only (2^-127 .. 2^127)
    untyped["float8_e8m0fnu"] = torch.tensor([2.0 ** -127, 0.5, 1.0, 4.0, 2.0 ** 127]).to(
        torch.float8_e8m0fnu)
    untyped["complex32"] = torch.randn(  # own generator: later fixtures keep their draws
        3, dtype=torch.complex64, generator=torch.Generator().manual_seed(32)).to(torch.complex32)
    untyped["bcomplex32"] = torch.tensor([1, -0x4080, 0x3F80, 0x4049, 0x7F7F, 7],
                                         dtype=torch.int16).view(torch.bcomplex32)
    raw_bytes = torch.tensor([0, 1, 0x7F, 0x80, 0xFE, 0xFF], dtype=torch.uint8)
    for dtype in RAW_DTYPES:
        untyped[_dtype_name(dtype)] = raw_bytes.view(dtype)
    untyped["uint16_transposed"] = untyped["uint16"].t()
    save_fixture("untyped_storage_dtypes.pt", untyped,
                 "the dtypes torch 2.15 saves through torch.storage.UntypedStorage: "
                 "uint16/32/64, float8 (e4m3fn, e5m2, e4m3fnuz, e5m2fnuz, e8m0fnu), "
                 "complex32, bcomplex32, bits1x8/2x4/4x2/8/16, float4_e2m1fn_x2 "
                 "(raw: sidecar values are bytes), and a transposed uint16 view")

    # ---- non-contiguous views --------------------------------------------
    w1, w2, v, col, w3 = (torch.randn(3, 4), torch.randn(4, 6), torch.randn(4),
                          torch.randn(3, 1), torch.randn(5, 3))
    views = {
        "transposed": w1.t(),
        "strided_slice": w2[::2, 1::3],
        "expanded": v.expand(3, 4),
        "expanded_col": col.expand(3, 4),
        "narrowed": w3.narrow(0, 2, 2),
        "scalar": torch.tensor(3.5),
        "empty": torch.empty(0, 3),
    }
    save_fixture("noncontiguous_views.pt", views,
                 "views saved as-is (strides kept, whole base storage saved): "
                 "transpose, step slice, expand (stride 0), narrow (storage "
                 "offset), 0-d scalar, empty [0, 3]")

    # ---- shared storage --------------------------------------------------
    flat = torch.randn(20)
    tied = torch.randn(2, 3)
    save_fixture("shared_storage.pt",
                 {"a": flat[0:12].view(3, 4), "b": flat[12:20],
                  "c_overlaps_b": flat[16:20].view(2, 2),
                  "tied_1": tied, "tied_2": tied},
                 "views of one 20-element storage at offsets 0 / 12 / 16 "
                 "(b and c_overlaps_b overlap) and one tensor under two keys "
                 "(tied weights: pickle memo, BINGET)")

    # ---- big-endian rewrite ----------------------------------------------
    be_src = {
        "float32": torch.randn(2, 3),
        "float64": torch.randn(4, dtype=torch.float64),
        "float16": torch.randn(3, dtype=torch.float16),
        "int64": torch.tensor([1, -2, 3 << 40, -(1 << 50)], dtype=torch.int64),
        "complex64": torch.randn(3, dtype=torch.complex64),
        "transposed": torch.randn(2, 3).t(),
    }
    tmp_le = os.path.join(tmp, "big_endian.pt")
    torch.save(be_src, tmp_le)
    records = read_records(tmp_le)
    folder = records[0][0].split("/")[0]
    data_pkl = dict(records)[f"{folder}/data.pkl"]
    dtypes = storage_dtypes(data_pkl)
    out_records = []
    for name, data in records:
        rel = name[len(folder) + 1:]
        if rel == "byteorder":
            data = b"big"
        elif rel.startswith("data/"):
            data = byteswap(data, dtypes[rel[len("data/"):]])
        out_records.append((name, data))
    be_path = os.path.join(OUT, "big_endian.pt")
    write_zip(be_path, out_records)
    assert_same(be_src, load(be_path))  # torch swaps back on load
    write_expected(be_path, "zip", be_src)
    DESCRIPTIONS.append(("big_endian.pt",
                         "byteorder record 'big', every data/<key> byte-swapped per "
                         "element (complex: per float half); float32/float64/"
                         "float16/int64/complex64 + a transpose; re-zipped STORED, "
                         "64-byte aligned"))

    # ---- legacy (pre-1.6) format -----------------------------------------
    lflat = torch.randn(10)
    save_fixture("legacy_lstm.pt",
                 {"lstm": nn.LSTM(3, 4).state_dict(),
                  "transposed": torch.randn(2, 3).t(),
                  "shared_a": lflat[0:6].view(2, 3), "shared_b": lflat[6:10]},
                 "legacy (non-zip) format: LSTM state_dict, a transpose, two "
                 "views of one storage (offsets 0 and 6)",
                 _use_new_zipfile_serialization=False)

    # ---- pickle protocol 4 -----------------------------------------------
    save_fixture("protocol4.pt",
                 {"weight": torch.randn(3, 2), "meta": {"epoch": 7, "tag": "p4"},
                  "ids": torch.arange(5)},
                 "pickle_protocol=4 (STACK_GLOBAL, FRAME, MEMOIZE, ...)",
                 pickle_protocol=4)

    # ---- CRC fields 0 ----------------------------------------------------
    torch.serialization.set_crc32_options(False)
    try:
        crc_path = save_fixture("crc0.pt", {"weight": torch.randn(3, 3),
                                            "bias": torch.randn(3)},
                                "written with set_crc32_options(False): all CRC-32 "
                                "fields are 0")
    finally:
        torch.serialization.set_crc32_options(True)
    check_crc_zero(crc_path)

    # ---- re-zipped variants ----------------------------------------------
    rezip_src = {"weight": torch.randn(4, 3), "ids": torch.arange(6, dtype=torch.int64),
                 "view": torch.randn(3, 4)[:, 1:3], "epoch": 2}
    for name, kwargs, desc in (
        ("deflated.pt", {"compress": zipfile.ZIP_DEFLATED},
         "torch checkpoint re-zipped with ZIP_DEFLATED for every entry"),
        ("zip64_local.pt", {"force_zip64": True},
         "re-zipped STORED with force_zip64=True per entry: local headers have "
         "sizes 0xFFFFFFFF + ZIP64 extra; central directory / EOCD are plain"),
        ("zip64_full.pt", {"force_zip64": True, "full": True},
         "like zip64_local.pt, plus ZIP64 extra fields in the central directory, "
         "ZIP64 EOCD record + locator, and the classic EOCD fields set to "
         "0xFFFF / 0xFFFFFFFF"),
    ):
        src_path = os.path.join(tmp, name)
        torch.save(rezip_src, src_path)
        path = os.path.join(OUT, name)
        full = kwargs.pop("full", False)
        if full:
            write_zip_full64(path, read_records(src_path))
        else:
            write_zip(path, read_records(src_path), **kwargs)
        assert_same(rezip_src, load(path))
        write_expected(path, "zip", load(path))
        DESCRIPTIONS.append((name, desc))

    # ---- top folder names ------------------------------------------------
    save_fixture("my_model.pt", {"w": torch.randn(2, 2)},
                 "top folder 'my_model/' (torch names it after the file stem)")
    save_fixture("dotted.name.v1.pt", {"w": torch.randn(2)},
                 "top folder 'dotted.name.v1/' (stem keeps inner dots)")
    buf = io.BytesIO()
    arch_obj = {"w": torch.randn(3)}
    torch.save(arch_obj, buf)  # file-like target -> folder "archive"
    arch_path = os.path.join(OUT, "archive_folder.pt")
    with open(arch_path, "wb") as f:
        f.write(buf.getvalue())
    assert_same(arch_obj, load(arch_path))
    write_expected(arch_path, "zip", load(arch_path))
    DESCRIPTIONS.append(("archive_folder.pt",
                         "saved to a BytesIO, so the top folder is 'archive/' "
                         "(not the file stem)"))

    # ---- 4096-byte storage alignment -------------------------------------
    from torch.utils.serialization import config as ser_config
    old_align = ser_config.save.storage_alignment
    ser_config.save.storage_alignment = 4096
    try:
        save_fixture("aligned_4096.pt", {"a": torch.randn(3), "b": torch.arange(4)},
                     "torch.utils.serialization.config.save.storage_alignment = 4096 "
                     "('.storage_alignment' record says 4096; data/ entries at "
                     "4096-byte offsets)")
    finally:
        ser_config.save.storage_alignment = old_align

    # ---- top-level tensor ------------------------------------------------
    save_fixture("tensor_alone.pt", torch.arange(6.).view(2, 3),
                 "a single tensor saved alone: sidecar name is \"\"")

    # ---- nn.Parameter ----------------------------------------------------
    save_fixture("parameter_in_dict.pt",
                 {"weight": nn.Parameter(torch.randn(2, 3)),
                  "frozen": nn.Parameter(torch.randn(2), requires_grad=False),
                  "plain_requires_grad": torch.randn(3).requires_grad_(),
                  "step": 5},
                 "nn.Parameter values in a dict (torch._utils._rebuild_parameter), "
                 "one with requires_grad=False, and a plain tensor with "
                 "requires_grad=True")

    # ---- top-level list / tuples -----------------------------------------
    save_fixture("list_top_level.pt",
                 [{"weight": torch.randn(2, 2), "bias": torch.randn(2)},
                  (torch.arange(3, dtype=torch.int32), "x", 1.5, None, True, -7),
                  []],
                 "top-level list: names start with an index ('0.weight', '1.0', ...); "
                 "a tuple with mixed leaves; an empty list (not listed)")


UNSUPPORTED = os.path.join(OUT, "unsupported")


def make_unsupported() -> None:
    """Tensors torch.load(weights_only=True) reads but a reader of plain strided
    elements cannot hold: saved by torch, loaded back by torch (so the globals
    are on torch's allowlist), and listed in unsupported/EXPECTED.json with the
    global and kind the reader must name when it refuses them."""
    os.makedirs(UNSUPPORTED, exist_ok=True)
    cases = {
        "quantized.pt": ({"q": torch.quantize_per_tensor(torch.tensor([1.0, 2.0, -0.5]), 0.1, 0, torch.qint8)},
                         "torch.QInt8Storage", "quantized"),
        "sparse.pt": ({"s": torch.tensor([[0.0, 1.0], [2.0, 0.0]]).to_sparse()},
                      "torch._utils._rebuild_sparse_tensor", "sparse"),
        "meta.pt": ({"m": torch.empty(3, device="meta")},
                    "torch._utils._rebuild_meta_tensor_no_storage", "meta"),
    }
    expected = {}
    for name, (obj, global_name, kind) in cases.items():
        path = os.path.join(UNSUPPORTED, name)
        torch.save(obj, path)
        torch.load(path, weights_only=True)  # torch's allowlist takes it
        with zipfile.ZipFile(path) as zf:
            pkl = next(zf.read(n) for n in zf.namelist() if n.endswith("/data.pkl"))
        module, _, attr = global_name.rpartition(".")
        assert f"{module}\n{attr}\n".encode() in pkl, (name, global_name)
        expected[name] = {"global": global_name, "kind": kind}
    with open(os.path.join(UNSUPPORTED, "EXPECTED.json"), "w") as f:
        f.write(json.dumps(expected, indent=1, sort_keys=True) + "\n")


def write_zip_full64(path: str, records) -> None:
    """force_zip64 entries, then make the central directory and EOCD ZIP64 too
    by lowering zipfile.ZIP64_LIMIT while the central directory is written."""
    saved = zipfile.ZIP64_LIMIT
    fp = open(path, "wb")
    zf = zipfile.ZipFile(fp, "w")
    try:
        for name, data in records:
            zi = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            header = 30 + len(name.encode()) + 20 + 4
            pad = (-(fp.tell() + header)) % 64
            zi.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            with zf.open(zi, "w", force_zip64=True) as f:
                f.write(data)
        zipfile.ZIP64_LIMIT = 0
        zf.close()
    finally:
        zipfile.ZIP64_LIMIT = saved
        fp.close()
    raw = bytearray(open(path, "rb").read())
    eocd = raw.rfind(b"PK\x05\x06")
    assert raw.rfind(b"PK\x06\x06") != -1 and raw.rfind(b"PK\x06\x07") != -1
    # classic EOCD: disk entries, total entries, cd size, cd offset -> "see ZIP64"
    struct.pack_into("<HHII", raw, eocd + 8, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(raw)
    with zipfile.ZipFile(path) as zf2:
        assert zf2.testzip() is None


def check_crc_zero(path: str) -> None:
    raw = open(path, "rb").read()
    with zipfile.ZipFile(path) as zf:
        for zi in zf.infolist():
            assert zi.CRC == 0, zi.filename  # central directory
            o = zi.header_offset
            crc_local, = struct.unpack_from("<I", raw, o + 14)
            nlen, elen = struct.unpack_from("<HH", raw, o + 26)
            assert crc_local == 0
            if zi.flag_bits & 0x8:  # data descriptor after the data
                dd = o + 30 + nlen + elen + zi.compress_size
                if raw[dd:dd + 4] == b"PK\x07\x08":
                    dd += 4
                assert struct.unpack_from("<I", raw, dd)[0] == 0, zi.filename


# --------------------------------------------------------------------------
# hostile pickles (never loaded)
# --------------------------------------------------------------------------

class _OsSystem:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/pwned",))


class _Eval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('echo pwned > /tmp/pwned')",))


class _Popen:
    def __reduce__(self):
        return (subprocess.Popen, (["sh", "-c", "echo pwned > /tmp/pwned"],))


def pickle_globals(data: bytes) -> "list[str]":
    """module.name strings of GLOBAL / STACK_GLOBAL opcodes (static scan)."""
    out, strings = [], []
    for op, arg, _ in pickletools.genops(data):
        if op.name == "GLOBAL":
            out.append(arg.replace(" ", "."))
        elif op.name == "STACK_GLOBAL":
            out.append(f"{strings[-2]}.{strings[-1]}")
        if isinstance(arg, str):
            strings.append(arg)
    return out


def make_hostile() -> None:
    os.makedirs(HOSTILE, exist_ok=True)
    cases = [
        # protocol 2 -> GLOBAL opcode; os.system is posix.system on Linux
        ("os_system.pt", pickle.dumps(_OsSystem(), protocol=2)),
        # nested in dicts; fix_imports=False keeps "builtins" (with the default
        # fix_imports=True protocol 2 would write "__builtin__ eval")
        ("builtins_eval_nested.pt",
         pickle.dumps({"epoch": 1, "model": {"weight": _Eval()}}, protocol=2,
                      fix_imports=False)),
        # protocol 4 -> STACK_GLOBAL
        ("subprocess_popen.pt", pickle.dumps({"x": _Popen()}, protocol=4)),
    ]
    expected = {}
    for fname, payload in cases:
        globs = pickle_globals(payload)
        assert len(globs) == 1, globs
        expected[fname] = globs[0]
        write_zip(os.path.join(HOSTILE, fname),
                  [("archive/data.pkl", payload), ("archive/version", b"3\n"),
                   ("archive/byteorder", b"little")])
    with open(os.path.join(HOSTILE, "EXPECTED.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


# --------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------

def read_no_crc(zf: zipfile.ZipFile, name: str) -> bytes:
    """Read an entry without CRC-32 checking (zipfile rejects crc0.pt)."""
    zi = zf.getinfo(name)
    del zi.CRC  # ZipExtFile only checks the CRC if the attribute exists
    return zf.read(zi)


def zip_facts(path: str) -> "tuple[str, int, list[str]]":
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        folder = names[0].split("/")[0]
        proto = read_no_crc(zf, f"{folder}/data.pkl")[1]
    return folder, proto, names


def zip_layout(path: str) -> str:
    """Describe the raw ZIP structure of one torch-written file."""
    raw = open(path, "rb").read()
    flags, dds, offs = set(), set(), set()
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        for zi in infos:
            o = zi.header_offset
            flag, = struct.unpack_from("<H", raw, o + 6)
            crc, cs, us = struct.unpack_from("<III", raw, o + 14)
            nl, el = struct.unpack_from("<HH", raw, o + 26)
            start = o + 30 + nl + el
            flags.add((hex(flag), crc, cs, us))
            offs.add(start % 64)
            dd = raw[start + zi.compress_size:start + zi.compress_size + 4]
            dds.add("PK\\x07\\x08 + crc32 + 4-byte sizes (16 bytes)"
                    if dd == b"PK\x07\x08" else "none")
    z64 = raw.rfind(b"PK\x06\x06") != -1 and raw.rfind(b"PK\x06\x07") != -1
    eocd = raw.rfind(b"PK\x05\x06")
    _, _, n1, n2, cd_size, cd_off = struct.unpack_from("<HHHHII", raw, eocd + 4)
    flag_txt = "; ".join(f"flag {f}, crc {c}, csize {a}, usize {b}"
                         for f, c, a, b in sorted(flags))
    return (f"- local headers: {flag_txt} (bit 3 = sizes/CRC in a data descriptor, "
            f"bit 11 = UTF-8 names); data descriptor: {', '.join(sorted(dds))}\n"
            f"- every entry's data offset % 64: {sorted(offs)} (padding in a local "
            f"extra field with id \"FB\", filled with 'Z'; central directory has "
            f"no extra fields)\n"
            f"- ZIP64 end-of-central-directory record + locator present: {z64} "
            f"(even for this small file); classic EOCD holds real values "
            f"(entries {n1}/{n2}, cd size {cd_size}, cd offset {cd_off})\n"
            f"- Python's zipfile refuses to read entries of `crc0.pt` "
            f"(\"Bad CRC-32\"): a reader must accept stored CRC 0.\n")


def write_readme() -> None:
    rows = []
    for fname, desc in DESCRIPTIONS:
        path = os.path.join(OUT, fname)
        if zipfile.is_zipfile(path):
            folder, proto, _ = zip_facts(path)
            where = f"zip, `{folder}/`, protocol {proto}"
        else:
            where = "legacy, protocol %d" % open(path, "rb").read()[1]
        rows.append(f"| `{fname}` | {where} | {desc} |")

    views = load(os.path.join(OUT, "noncontiguous_views.pt"))
    view_rows = [f"| `{k}` | {list(t.shape)} | {list(t.stride())} | {t.storage_offset()} "
                 f"| {t.untyped_storage().nbytes() // max(t.element_size(), 1)} |"
                 for k, t in views.items()]
    shared = load(os.path.join(OUT, "shared_storage.pt"))
    shared_rows = [f"| `{k}` | {list(t.shape)} | {list(t.stride())} | {t.storage_offset()} "
                   f"| {t.untyped_storage().nbytes() // t.element_size()} |"
                   for k, t in shared.items()]

    sample = os.path.join(OUT, "rnn_state_dict.pt")
    with zipfile.ZipFile(sample) as zf:
        recs = [f"| `{i.filename}` | {i.file_size} | "
                f"`{zf.read(i.filename)!r}` |" if not i.filename.endswith(("data.pkl",))
                and "/data/" not in i.filename else
                f"| `{i.filename}` | {i.file_size} | (binary) |"
                for i in zf.infolist()]
    with open(os.path.join(HOSTILE, "EXPECTED.json")) as f:
        hostile = json.load(f)

    full_note = ""
    if FULL_UNPICKLER:
        full_note = (
            "torch " + torch.__version__.split("+")[0] + " `torch.load(weights_only=True)` "
            "cannot read " + ", ".join(f"`{n}`" for n in FULL_UNPICKLER) +
            " (its weights-only unpickler rejects the protocol-4 FRAME opcode "
            "0x95: \"Unsupported operand 149\"); that sidecar comes from "
            "`weights_only=False` on our own file.\n")
    text = f"""# Checkpoint-reader fixtures

Generated by real PyTorch {torch.__version__.split('+')[0]} with
`tools/make_checkpoint_fixtures.py` (pinned versions: `tools/requirements.txt`).
Regenerate from the repo root (deterministic, byte-identical output):

    /path/to/venv/bin/python tools/make_checkpoint_fixtures.py

Each checkpoint `NAME.ext` has `NAME.expected.json` written from
`torch.load(path, weights_only=True)` (for `big_endian.pt`: from the source
object; torch reads the file back to the same values):
`{{"file", "format": "zip"|"legacy", "tensors": [{{"name", "dtype", "shape",
"values"}}], "others": [{{"name", "value"}}]}}`. Order = depth-first walk (dict
insertion order, list/tuple index). Names: dotted paths, list/tuple indices as
numbers, a top-level tensor is `""`. Values: logical tensor flattened
row-major; floats as float64, ints as ints, bool 0/1, complex interleaved
re/im. `others`: int/float/str/bool/null leaves only (empty containers and
`OrderedDict._metadata` of state_dicts are not listed). The folder/protocol
column below is read from the files.

| file | container | exercises |
|---|---|---|
{chr(10).join(rows)}

{full_note}
Storage location strings ("cpu", "cuda:0") cannot be produced without a GPU
here; all fixtures say "cpu" and a reader should ignore the location.

## View layouts (as loaded by torch)

`noncontiguous_views.pt` (storage size in elements):

| key | shape | stride | storage offset | storage size |
|---|---|---|---|---|
{chr(10).join(view_rows)}

`shared_storage.pt` (`a`, `b`, `c_overlaps_b` share one storage; `tied_2` is
the same object as `tied_1`):

| key | shape | stride | storage offset | storage size |
|---|---|---|---|---|
{chr(10).join(shared_rows)}

## Records of a torch.save zip (`rnn_state_dict.pt`)

| record | size | content |
|---|---|---|
{chr(10).join(recs)}

{zip_layout(sample)}
## hostile/

Raw pickles in `archive/data.pkl` (+ `archive/version`, `archive/byteorder`),
never loaded by the script. `hostile/EXPECTED.json` maps file -> the global a
safe reader must refuse: {json.dumps(hostile)}.
`os_system.pt` and `builtins_eval_nested.pt` use protocol 2 (GLOBAL),
`subprocess_popen.pt` protocol 4 (STACK_GLOBAL).
"""
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(text)


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        make_all(tmp)
    make_hostile()
    make_unsupported()
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
