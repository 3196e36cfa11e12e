#!/usr/bin/env python3
"""Generate the hostile-input corpus in ``fixtures/hostile/``.

Every file here is built byte by byte (pickle opcodes written by hand, or
``pickle.dumps`` of objects whose ``__reduce__`` names a dangerous callable;
zip containers written with ``zipfile`` and then patched with ``struct``).
NOTHING hostile is ever unpickled or loaded by this script: the only files it
hands to ``torch.load`` are the ``control_*`` files, which name nothing but
the allowlisted torch rebuild functions, to prove that the builders below
write what torch really reads (so that each hostile file differs from a
loadable checkpoint only in the one thing it attacks).

``fixtures/hostile/EXPECTED.json`` maps each file to what a safe reader must
do with it::

    {"file.pt": {"error": "<CheckpointError case>", "contains": "<message substring>",
                 "limits": {"<ReadLimits field>": <int>, ...},     # optional
                 "tensors": [{"name", "shape", "values"}, ...],   # optional, with "none"
                 "why": "<one line>"}}

``error`` is the case of the first ``CheckpointError`` thrown by opening the
file and then materialising every tensor in file order (``Checkpoint(path:)``
then ``contiguousBytes``/``floatTensor``/``integerTensor``); ``contains`` is a
substring of its message (``errorDescription``). Two special values:
``"none"`` (the file must open and every tensor must materialise) and
``"any"`` (randomly damaged copies of real fixtures: a typed error or a clean
load, never a crash, hang or untyped error). ``limits`` overrides
``ReadLimits`` defaults for that file (used to test budgets with small files).
``tensors`` (files that must load) lists every tensor with the shape and
values torch.load returns for it (checked by this script with torch).

Run (deterministic; the output is byte-identical between runs):

    /tmp/torchenv/bin/python tools/make_hostile_fixtures.py
"""

from __future__ import annotations

import io
import json
import os
import pickle
import pickletools
import random
import struct
import subprocess
import sys
import zipfile
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "fixtures", "hostile")
SOURCES = os.path.join(REPO, "fixtures", "checkpoints")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
PWNED = "/tmp/pwned"
SHELL = f"echo pwned > {PWNED}"

EXPECTED: "dict[str, dict]" = {}
FILES: "dict[str, bytes]" = {}


def add(name: str, data: bytes, error: str, contains: str = "", why: str = "",
        limits: "dict | None" = None, tensors: "list | None" = None) -> None:
    assert name not in FILES, name
    FILES[name] = data
    entry = {"error": error, "contains": contains}
    if limits:
        entry["limits"] = limits
    if tensors is not None:
        entry["tensors"] = tensors
    entry["why"] = why
    EXPECTED[name] = entry


# --------------------------------------------------------------------------
# pickle opcodes, written by hand
# --------------------------------------------------------------------------

PROTO2 = b"\x80\x02"
MARK, STOP, TUPLE, REDUCE, BINPERSID = b"(", b".", b"t", b"R", b"Q"
EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE = b"}", b"]", b")"
SETITEMS, SETITEM, APPEND, APPENDS, LIST = b"u", b"s", b"a", b"e", b"l"
NONE, NEWFALSE, NEWTRUE, POP = b"N", b"\x89", b"\x88", b"0"
TUPLE1 = b"\x85"


def glob(module: str, name: str) -> bytes:
    """GLOBAL: resolving it is the reader's job; nothing here imports it."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def uni(s: str) -> bytes:
    data = s.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def binint(i: int) -> bytes:
    if 0 <= i < 256:
        return b"K" + bytes([i])
    if -2**31 <= i < 2**31:
        return b"J" + struct.pack("<i", i)
    return long1(i)


def long1(i: int) -> bytes:
    n = max(1, (i.bit_length() + 8) // 8)
    return b"\x8a" + bytes([n]) + i.to_bytes(n, "little", signed=True)


def tup(*items: bytes) -> bytes:
    return MARK + b"".join(items) + TUPLE


def put(i: int) -> bytes:
    return b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i)


def get(i: int) -> bytes:
    return b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i)


def ordered_dict(items: "list[tuple[bytes, bytes]]") -> bytes:
    body = glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
    if items:
        body += MARK + b"".join(k + v for k, v in items) + SETITEMS
    return body


def plain_dict(items: "list[tuple[bytes, bytes]]") -> bytes:
    body = EMPTY_DICT
    if items:
        body += MARK + b"".join(k + v for k, v in items) + SETITEMS
    return body


def storage(key: str, numel: int, cls: str = "FloatStorage", location: str = "cpu") -> bytes:
    """Persistent id ('storage', torch.<cls>, key, location, numel), as torch.save writes it."""
    return tup(uni("storage"), glob("torch", cls), uni(key), uni(location), binint(numel)) + BINPERSID


def tensor_v2(storage_pid: bytes, offset: int, size: "tuple", stride: "tuple") -> bytes:
    ints = lambda xs: tup(*(binint(x) for x in xs))  # noqa: E731
    return (glob("torch._utils", "_rebuild_tensor_v2")
            + tup(storage_pid, binint(offset), ints(size), ints(stride), NEWFALSE, ordered_dict([]))
            + REDUCE)


def check_pickle(data: bytes) -> None:
    """Static check that a hand-written pickle is well formed (pickletools never executes)."""
    pickletools.dis(data, out=io.StringIO())


# --------------------------------------------------------------------------
# zip containers
# --------------------------------------------------------------------------

def torch_zip(records: "list[tuple[str, bytes]]", compress: "dict[str, int] | None" = None) -> bytes:
    """A torch-style archive (version, byteorder, data.pkl, data/<key>) written deterministically."""
    buf = io.BytesIO()
    compress = compress or {}
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in records:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = compress.get(name, zipfile.ZIP_STORED)
            info.create_system = 0
            info.external_attr = 0
            zf.writestr(info, data)
    return buf.getvalue()


def checkpoint(pickle_bytes: bytes, storages: "dict[str, bytes]" = None, top: str = "archive",
               compress: "dict[str, int] | None" = None) -> bytes:
    records = [(f"{top}/data.pkl", pickle_bytes), (f"{top}/byteorder", b"little")]
    for key, data in (storages or {}).items():
        records.append((f"{top}/data/{key}", data))
    records.append((f"{top}/version", b"3\n"))
    return torch_zip(records, compress)


def floats(*values: float) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


class Zip:
    """Offsets of a zip written by `torch_zip`, for patching headers in place."""

    def __init__(self, data: bytes):
        self.data = bytearray(data)
        self.eocd = data.rindex(b"PK\x05\x06")
        self.count, self.cd_size, self.cd_offset = struct.unpack_from("<HII", data, self.eocd + 10)
        self.central: "dict[str, int]" = {}
        self.local: "dict[str, int]" = {}
        at = self.cd_offset
        for _ in range(self.count):
            assert data[at:at + 4] == b"PK\x01\x02"
            nlen, elen, clen = struct.unpack_from("<HHH", data, at + 28)
            name = data[at + 46:at + 46 + nlen].decode()
            self.central[name] = at
            self.local[name] = struct.unpack_from("<I", data, at + 42)[0]
            at += 46 + nlen + elen + clen

    def patch(self, offset: int, fmt: str, *values) -> "Zip":
        struct.pack_into(fmt, self.data, offset, *values)
        return self

    def data_offset(self, name: str) -> int:
        local = self.local[name]
        nlen, elen = struct.unpack_from("<HH", self.data, local + 26)
        return local + 30 + nlen + elen

    def bytes(self) -> bytes:
        return bytes(self.data)


# --------------------------------------------------------------------------
# a small valid state_dict every tensor attack is a variation of
# --------------------------------------------------------------------------

WEIGHT = floats(0.5, -1.0, 2.0, 0.25, -0.125, 3.0)  # 2x3
BIAS = floats(1.0, -2.0)                              # 2


def state_dict(weight: bytes = None, bias: bytes = None, extra: "list[tuple[bytes, bytes]]" = ()) -> bytes:
    weight = weight if weight is not None else tensor_v2(storage("0", 6), 0, (2, 3), (3, 1))
    bias = bias if bias is not None else tensor_v2(storage("1", 2), 0, (2,), (1,))
    body = ordered_dict([(uni("fc.weight"), weight), (uni("fc.bias"), bias), *extra])
    data = PROTO2 + body + STOP
    check_pickle(data)
    return data


def state_dict_file(pickle_bytes: bytes, storages: "dict[str, bytes] | None" = None, **kw) -> bytes:
    return checkpoint(pickle_bytes, {"0": WEIGHT, "1": BIAS} if storages is None else storages, **kw)


# --------------------------------------------------------------------------
# legacy (pre-1.6) stream
# --------------------------------------------------------------------------

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def legacy_stream(object_pickle: bytes, keys: "list[str]", raw: "list[tuple[int, bytes]]",
                  magic: int = LEGACY_MAGIC, version: int = 1001, sys_info: bytes = None) -> bytes:
    """magic, protocol version, sys_info, object, storage keys, then per storage
    an 8-byte little-endian element count and its bytes (torch._legacy_save)."""
    if sys_info is None:
        sys_info = PROTO2 + plain_dict([
            (uni("protocol_version"), binint(1001)), (uni("little_endian"), NEWTRUE),
            (uni("type_sizes"), plain_dict([(uni("short"), binint(2)), (uni("int"), binint(4)),
                                            (uni("long"), binint(4))])),
        ]) + STOP
    out = PROTO2 + long1(magic) + STOP
    out += PROTO2 + binint(version) + STOP
    out += sys_info
    out += object_pickle
    out += PROTO2 + EMPTY_LIST + MARK + b"".join(uni(k) for k in keys) + APPENDS + STOP
    for count, data in raw:
        out += struct.pack("<q", count) + data
    return out


def legacy_storage(key: str, numel: int, view: bytes = NONE, cls: str = "FloatStorage") -> bytes:
    return tup(uni("storage"), glob("torch", cls), uni(key), uni("cpu"), binint(numel), view) + BINPERSID


def legacy_object(weight_pid: bytes = None, bias_pid: bytes = None) -> bytes:
    weight_pid = weight_pid or legacy_storage("0", 6)
    bias_pid = bias_pid or legacy_storage("1", 2)
    data = PROTO2 + ordered_dict([
        (uni("fc.weight"), tensor_v2(weight_pid, 0, (2, 3), (3, 1))),
        (uni("fc.bias"), tensor_v2(bias_pid, 0, (2,), (1,))),
    ]) + STOP
    check_pickle(data)
    return data


# --------------------------------------------------------------------------
# hostile __reduce__ objects: pickle.dumps only calls __reduce__, which
# returns the callable without calling it
# --------------------------------------------------------------------------

class _Reduce:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def reduce_payload(fn, args, protocol: int = 2, fix_imports: bool = False) -> bytes:
    return pickle.dumps(_Reduce(fn, args), protocol=protocol, fix_imports=fix_imports)


def hand_reduce(module: str, name: str, *args: bytes, protocol: bytes = PROTO2) -> bytes:
    """module.name(*args) for callables that do not exist on this machine (nt.system)."""
    return protocol + glob(module, name) + tup(*args) + REDUCE + STOP


def globals_in(data: bytes) -> "list[str]":
    """module.name of every GLOBAL / STACK_GLOBAL / INST (static scan, nothing executed)."""
    out, strings = [], []
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("GLOBAL", "INST"):
            module, name = arg.rsplit(" ", 1)
            out.append(f"{module}.{name}")
        elif op.name == "STACK_GLOBAL":
            out.append(f"{strings[-2]}.{strings[-1]}")
        if isinstance(arg, str):
            strings.append(arg)
    return out


def forbidden(name: str, payload: bytes, global_name: str, why: str, wrap: bool = True) -> None:
    assert global_name in globals_in(payload), (name, globals_in(payload))
    data = checkpoint(payload, {}) if wrap else payload
    add(name, data, "forbiddenGlobal", f"'{global_name}'", why)


# --------------------------------------------------------------------------
# the corpus
# --------------------------------------------------------------------------

# what torch.load returns for the control files (checked in validate_controls)
CONTROL_TENSORS = [{"name": "fc.weight", "shape": [2, 3], "values": [0.5, -1.0, 2.0, 0.25, -0.125, 3.0]},
                   {"name": "fc.bias", "shape": [2], "values": [1.0, -2.0]}]


def make_controls() -> None:
    add("control_state_dict.pt", state_dict_file(state_dict()), "none",
        why="the valid file every tensor attack below is a one-field variation of", tensors=CONTROL_TENSORS)
    add("control_legacy.pt",
        legacy_stream(legacy_object(), ["0", "1"], [(6, WEIGHT), (2, BIAS)]), "none",
        why="the valid legacy stream every legacy attack below is a variation of", tensors=CONTROL_TENSORS)
    big_sys = PROTO2 + plain_dict([(uni("protocol_version"), binint(1001)), (uni("little_endian"), NEWFALSE)]) + STOP
    add("legacy_sysinfo_big_endian.pt",
        legacy_stream(legacy_object(), ["0", "1"], [(6, WEIGHT), (2, BIAS)], sys_info=big_sys), "none",
        why="sys_info says little_endian=False; torch ignores it (storages are always little-endian): same values",
        tensors=CONTROL_TENSORS)
    add("memo_index_2p32.pt",
        checkpoint(PROTO2 + EMPTY_DICT + put(0xFFFF_FFFF) + uni("x") + NONE + put(0xFFFF_FFFE)
                   + SETITEM + uni("y") + get(0xFFFF_FFFE) + SETITEM + STOP, {}),
        "none", why="LONG_BINPUT/LONG_BINGET with memo indices 2^32-1 and 2^32-2: a sparse memo, nothing allocated")


def make_forbidden_globals() -> None:
    forbidden("os_system.pt", reduce_payload(os.system, (SHELL,)), "posix.system",
              "os.system as pickle.dumps writes it on Linux (GLOBAL 'posix system')")
    forbidden("os_system_module_os.pt", hand_reduce("os", "system", uni(SHELL)), "os.system",
              "os.system spelled with module 'os'")
    forbidden("nt_system.pt", hand_reduce("nt", "system", uni("calc.exe")), "nt.system",
              "os.system as written on Windows")
    forbidden("builtins_eval.pt", reduce_payload(eval, (f"__import__('os').system('{SHELL}')",)), "builtins.eval",
              "eval of a Python expression")
    forbidden("builtins_exec.pt", reduce_payload(exec, (f"import os; os.system('{SHELL}')",)), "builtins.exec",
              "exec of Python statements")
    forbidden("builtin_eval_py2.pt", reduce_payload(eval, ("1",), fix_imports=True), "__builtin__.eval",
              "protocol 2 with fix_imports: the Python 2 module name '__builtin__'")
    # getattr(__import__('os'), 'system')('...'): two forbidden globals; the first one read is named.
    getattr_payload = (PROTO2 + glob("builtins", "getattr")
                       + tup(glob("builtins", "__import__") + tup(uni("os")) + REDUCE, uni("system")) + REDUCE
                       + tup(uni(SHELL)) + REDUCE + STOP)
    check_pickle(getattr_payload)
    forbidden("builtins_getattr.pt", getattr_payload, "builtins.getattr", "getattr(__import__('os'), 'system')(...)")
    import_payload = PROTO2 + glob("builtins", "__import__") + tup(uni("os")) + REDUCE + STOP
    forbidden("builtins_import.pt", import_payload, "builtins.__import__", "__import__('os')")
    forbidden("subprocess_popen.pt", reduce_payload(subprocess.Popen, (["sh", "-c", SHELL],), protocol=4),
              "subprocess.Popen", "protocol 4: STACK_GLOBAL, FRAME, MEMOIZE")
    forbidden("subprocess_check_output.pt", hand_reduce("subprocess", "check_output", tup(uni("id"))),
              "subprocess.check_output", "subprocess.check_output")
    # torch.storage._load_from_bytes(b) is torch.load(BytesIO(b), weights_only=False): a full unpickler.
    inner = reduce_payload(os.system, (SHELL,))
    load_bytes = PROTO2 + glob("torch.storage", "_load_from_bytes") + tup(b"B" + struct.pack("<I", len(inner)) + inner) + REDUCE + STOP
    forbidden("torch_load_from_bytes.pt", load_bytes, "torch.storage._load_from_bytes",
              "torch.storage._load_from_bytes: torch.load of nested bytes without weights_only")
    forbidden("torch_load.pt", hand_reduce("torch", "load", uni("/etc/passwd")), "torch.load",
              "torch.load is in module 'torch' but is not a storage class or dtype")
    forbidden("torch_serialization_load.pt", hand_reduce("torch.serialization", "load", uni("x.pt")),
              "torch.serialization.load", "torch.serialization.load")
    forbidden("torch_jit_load.pt", hand_reduce("torch.jit", "load", uni("x.pt")), "torch.jit.load",
              "torch.jit.load")
    # numpy reconstruction globals: what a checkpoint holding numpy values contains.
    reconstruct = (PROTO2 + glob("numpy.core.multiarray", "_reconstruct")
                   + tup(glob("numpy", "ndarray"), tup(binint(0)), b"C\x01b") + REDUCE
                   + tup(binint(1), tup(binint(1)), glob("numpy", "dtype") + tup(uni("f4"), NEWFALSE, NEWTRUE) + REDUCE,
                         NEWFALSE, b"C\x04\x00\x00\x80?") + b"b" + STOP)
    check_pickle(reconstruct)
    forbidden("numpy_reconstruct.pt", reconstruct, "numpy.core.multiarray._reconstruct",
              "numpy.core.multiarray._reconstruct (np.ndarray in a checkpoint)")
    forbidden("numpy2_reconstruct.pt", hand_reduce("numpy._core.multiarray", "_reconstruct", glob("numpy", "ndarray"), tup(binint(0)), b"C\x01b"),
              "numpy._core.multiarray._reconstruct", "numpy 2's module path")
    forbidden("numpy_scalar.pt", hand_reduce("numpy.core.multiarray", "scalar", glob("numpy", "dtype") + tup(uni("f8"), NEWFALSE, NEWTRUE) + REDUCE, b"C\x08" + struct.pack("<d", 0.5)),
              "numpy.core.multiarray.scalar", "a numpy scalar (e.g. best_acc saved as np.float64)")
    forbidden("numpy_load.pt", hand_reduce("numpy", "load", uni("/tmp/x.npy"), NEWTRUE), "numpy.load",
              "numpy.load(path, allow_pickle=True)")
    forbidden("numpy_frombuffer.pt", hand_reduce("numpy", "frombuffer", b"C\x04\x00\x00\x80?", uni("f4")), "numpy.frombuffer",
              "numpy.frombuffer")
    # the payload deep inside an otherwise valid state_dict, after real tensors
    deep = (PROTO2 + ordered_dict([
        (uni("fc.weight"), tensor_v2(storage("0", 6), 0, (2, 3), (3, 1))),
        (uni("fc.bias"), tensor_v2(storage("1", 2), 0, (2,), (1,))),
        (uni("meta"), plain_dict([(uni("config"), plain_dict([(uni("hooks"), EMPTY_LIST + MARK + binint(1) + binint(2)
            + glob("posix", "system") + tup(uni(SHELL)) + REDUCE + APPENDS)]))])),
    ]) + STOP)
    check_pickle(deep)
    add("nested_reduce_state_dict.pt", state_dict_file(deep), "forbiddenGlobal", "'posix.system'",
        "posix.system inside meta.config.hooks[2] of a valid state_dict with real tensor records")
    # protocol 0 text pickles
    p0_global = b"cos\nsystem\n(S'" + SHELL.encode() + b"'\ntR."
    forbidden("protocol0_global.pt", p0_global, "os.system", "protocol 0: GLOBAL, STRING, TUPLE, REDUCE")
    p0_inst = b"(S'" + SHELL.encode() + b"'\nios\nsystem\n."
    forbidden("protocol0_inst.pt", p0_inst, "os.system", "protocol 0: INST names and calls the class inline")
    p0_obj = b"(cos\nsystem\nS'" + SHELL.encode() + b"'\no."
    forbidden("protocol0_obj.pt", p0_obj, "os.system", "protocol 0/1: OBJ calls the global below the MARK")
    p0_inst_allowed = b"(icollections\nOrderedDict\n."
    add("protocol0_inst_allowed.pt", checkpoint(p0_inst_allowed, {}), "corruptPickle", "INST",
        "INST of an allowlisted class: construction by INST is not supported")
    # lookalikes of allowlisted names
    forbidden("lookalike_rebuild.pt", hand_reduce("torch._utils ", "_rebuild_tensor_v2", NONE),
              "torch._utils ._rebuild_tensor_v2", "allowlisted name with a trailing space in the module")
    forbidden("lookalike_ordereddict.pt", hand_reduce("collections", "OrderedDict.__class__", NONE),
              "collections.OrderedDict.__class__", "an attribute path under an allowlisted class")
    # a forbidden global in the legacy header pickle (sys_info) and in the legacy object
    legacy_sys = PROTO2 + glob("posix", "system") + tup(uni(SHELL)) + REDUCE + STOP
    add("legacy_sysinfo_reduce.pt",
        legacy_stream(legacy_object(), ["0", "1"], [(6, WEIGHT), (2, BIAS)], sys_info=legacy_sys),
        "forbiddenGlobal", "'posix.system'", "legacy stream: os.system in the sys_info pickle")
    legacy_obj = PROTO2 + plain_dict([(uni("w"), glob("builtins", "eval") + tup(uni("1")) + REDUCE)]) + STOP
    add("legacy_object_eval.pt", legacy_stream(legacy_obj, [], []), "forbiddenGlobal", "'builtins.eval'",
        "legacy stream: builtins.eval in the object pickle")


def make_pickle_bombs() -> None:
    # 2^60 leaves in a few hundred bytes: list k holds two references to list k-1.
    body = PROTO2 + EMPTY_LIST + put(0) + POP
    for k in range(1, 61):
        body += MARK + get(k - 1) + get(k - 1) + LIST + put(k) + POP
    bomb = PROTO2 + plain_dict([(uni("model"), body[2:] + get(60))]) + STOP
    check_pickle(bomb)
    add("memo_bomb_lists.pt", checkpoint(bomb, {}), "limitExceeded", "exceeds the limit",
        "60 nested lists, each holding the previous one twice through BINGET: 2^60 paths")
    body = PROTO2 + EMPTY_DICT + put(0) + POP
    for k in range(1, 61):
        body += EMPTY_DICT + put(k) + MARK + uni("a") + get(k - 1) + uni("b") + get(k - 1) + SETITEMS + POP
    bomb = body + get(60) + STOP
    check_pickle(bomb)
    add("memo_bomb_dicts.pt", checkpoint(bomb, {}), "limitExceeded", "exceeds the limit",
        "the same with dicts {'a': prev, 'b': prev}")
    # leaves that are values, under a long shared key: every path is a named value
    key = "k" * 200
    body = PROTO2 + binint(7) + put(0) + POP
    for k in range(1, 41):
        body += EMPTY_DICT + put(k) + MARK + uni(key + "a") + get(k - 1) + uni(key + "b") + get(k - 1) + SETITEMS + POP
    bomb = body + get(40) + STOP
    check_pickle(bomb)
    add("memo_bomb_named_values.pt", checkpoint(bomb, {}, compress={"archive/data.pkl": zipfile.ZIP_DEFLATED}), "limitExceeded", "",
        "2^40 int leaves whose names are up to 16 KB long: naming them must stop on a budget, not fill memory")
    # tensors as the shared leaf: 2^40 tensors named from one record
    body = PROTO2 + tensor_v2(storage("0", 6), 0, (2, 3), (3, 1)) + put(0) + POP
    for k in range(1, 41):
        body += MARK + get(k - 1) + get(k - 1) + LIST + put(k) + POP
    bomb = body + get(40) + STOP
    check_pickle(bomb)
    add("memo_bomb_tensors.pt", checkpoint(bomb, {"0": WEIGHT}), "limitExceeded", "exceeds the limit",
        "one tensor reached through 2^40 paths")
    # nesting
    add("nesting_marks.pt", checkpoint(PROTO2 + MARK * 100_000 + STOP, {}, compress={"archive/data.pkl": zipfile.ZIP_DEFLATED}), "limitExceeded", "MARK nesting",
        "100k MARKs")
    deep = PROTO2 + EMPTY_LIST * 100_000 + APPEND * 99_999 + STOP
    add("nesting_lists.pt", checkpoint(deep, {}, compress={"archive/data.pkl": zipfile.ZIP_DEFLATED}),
        "limitExceeded", "nesting", "a list nested 100k deep (EMPTY_LIST x 100k, APPEND x 100k)")
    # The root is memo 2; list k is memo k % 2 (re-PUT, as Python allows) while
    # it is on top, so the stack never holds more than two values. Each list is
    # appended to its parent first and only then gets its own child appended.
    deep = PROTO2 + EMPTY_LIST + put(2)
    for k in range(1, 100_000):
        deep += EMPTY_LIST + put(k % 2) + APPEND + POP + get(k % 2)
    deep += POP + get(2) + STOP
    # (pickletools.dis refuses re-PUT memo keys, so this one is not checked with it)
    add("nesting_lists_memo.pt", checkpoint(deep, {}, compress={"archive/data.pkl": zipfile.ZIP_DEFLATED}),
        "limitExceeded", "nesting",
        "a list nested 100k deep with a stack of two: each child is appended before it gets its own child")
    deep = PROTO2 + NONE + TUPLE1 * 200_000 + STOP
    add("nesting_tuples.pt", checkpoint(deep, {}, compress={"archive/data.pkl": zipfile.ZIP_DEFLATED}),
        "limitExceeded", "nesting", "a tuple nested 200k deep (TUPLE1 x 200k)")
    deep = PROTO2 + EMPTY_DICT + NONE + TUPLE1 * 200_000 + NONE + SETITEM + STOP
    add("nesting_tuple_key.pt", checkpoint(deep, {}, compress={"archive/data.pkl": zipfile.ZIP_DEFLATED}),
        "limitExceeded", "nesting", "a dict key that is a tuple nested 200k deep (hashing it must not recurse)")
    cyclic = PROTO2 + EMPTY_LIST + put(0) + get(0) + APPEND + STOP
    add("cyclic_list.pt", checkpoint(cyclic, {}), "limitExceeded", "nesting",
        "a list that contains itself (l.append(l)): naming it must stop")
    # oversized length claims: nothing may be allocated for them
    add("binunicode8_2p62.pt", checkpoint(PROTO2 + b"\x8d" + struct.pack("<Q", 1 << 62) + b"abc" + STOP, {}),
        "corruptPickle", "runs past the end", "BINUNICODE8 claiming 2^62 bytes")
    add("binbytes8_2p62.pt", checkpoint(PROTO2 + b"\x8e" + struct.pack("<Q", 1 << 62) + b"abc" + STOP, {}),
        "corruptPickle", "runs past the end", "BINBYTES8 claiming 2^62 bytes")
    add("binbytes8_2p64m1.pt", checkpoint(PROTO2 + b"\x8e" + struct.pack("<Q", (1 << 64) - 1) + b"abc" + STOP, {}),
        "corruptPickle", "out of range", "BINBYTES8 claiming 2^64-1 bytes (above Int.max)")
    add("bytearray8_2p62.pt", checkpoint(b"\x80\x05" + b"\x96" + struct.pack("<Q", 1 << 62) + b"abc" + STOP, {}),
        "corruptPickle", "runs past the end", "BYTEARRAY8 claiming 2^62 bytes")
    add("binunicode_2p32m1.pt", checkpoint(PROTO2 + b"X" + struct.pack("<I", 0xFFFF_FFFF) + b"abc" + STOP, {}),
        "corruptPickle", "runs past the end", "BINUNICODE claiming 4 GB")
    add("long4_2p31.pt", checkpoint(PROTO2 + b"\x8b" + struct.pack("<I", 0x7FFF_FFFF) + b"\x01" + STOP, {}),
        "corruptPickle", "runs past the end", "LONG4 claiming a 2 GB integer")
    big = PROTO2 + plain_dict([(uni("n"), b"\x8b" + struct.pack("<I", 120_000) + b"\x5a" * 120_000)]) + STOP
    add("long4_120k.pt", checkpoint(big, {}, compress={"archive/data.pkl": zipfile.ZIP_DEFLATED}),
        "limitExceeded", "", "a 960,000-bit integer that is present: converting it to decimal is quadratic")
    add("frame_2p63.pt", checkpoint(b"\x80\x04\x95" + struct.pack("<Q", (1 << 63) - 1) + b"N.", {}),
        "corruptPickle", "runs past the end",
        "FRAME claiming 2^63-1 bytes: Python's unpickler fails reading it; nothing may be allocated for it")
    # {'a': s, 'b': s}: EMPTY_DICT MEMOIZE MARK 'a' MEMOIZE EMPTY_SET MEMOIZE MARK 1 2 ADDITEMS 'b' MEMOIZE GET 2 SETITEMS
    shared_set = b"\x80\x04}\x94(\x8c\x01a\x94\x8f\x94(K\x01K\x02\x90\x8c\x01b\x94h\x02u."
    check_pickle(shared_set)
    assert globals_in(shared_set) == []
    add("set_shared_additems.pt", checkpoint(shared_set, {}), "none", "",
        "{'a': s, 'b': s} for one set s filled by ADDITEMS after it was memoized: ADDITEMS fills the set "
        "in place, so both keys see its items (PickleMachineTests checks the values)")
    key = MARK + binint(7) * 100_000 + TUPLE + put(0)
    sets = b"".join(get(0) + binint(i & 0xFF) + SETITEM for i in range(20_000))
    dict_key = PROTO2 + EMPTY_DICT + key + b"0" + sets + STOP
    check_pickle(dict_key)
    add("dict_key_quadratic.pt", checkpoint(dict_key, {}, compress={"archive/data.pkl": zipfile.ZIP_DEFLATED}),
        "limitExceeded", "dict key",
        "one 100k-element tuple used as a dict key 20k times: hashing it each time is 2*10^9 steps")
    add("memo_get_undefined.pt", checkpoint(PROTO2 + get(0xFFFF_FFFF) + STOP, {}), "corruptPickle",
        "memo entry 4294967295 is not defined", "LONG_BINGET of an index never PUT")


def make_tensor_attacks() -> None:
    def one(name, weight, error, contains, why, storages=None, **kw):
        add(name, state_dict_file(state_dict(weight=weight), storages), error, contains, why, **kw)

    one("storage_numel_2p40.pt", tensor_v2(storage("0", 1 << 40), 0, (1 << 20, 1 << 20), (1 << 20, 1)),
        "invalidTensor", "4398046511104 bytes", "storage claims 2^40 float32 elements; its record holds 24 bytes")
    one("storage_numel_overflow.pt", tensor_v2(storage("0", 1 << 62, "DoubleStorage"), 0, (2, 3), (3, 1)),
        "invalidTensor", "more than Int.max", "2^62 float64 elements: the byte count overflows Int")
    one("storage_numel_negative.pt", tensor_v2(storage("0", -6), 0, (2, 3), (3, 1)),
        "corruptPickle", "persistent id", "a negative element count")
    one("shape_numel_overflow.pt", tensor_v2(storage("0", 6), 0, (1 << 32, 1 << 32), (0, 0)),
        "invalidTensor", "overflows", "shape 2^32 x 2^32 with stride 0: the element count overflows Int")
    one("shape_bytes_overflow.pt", tensor_v2(storage("0", 6), 0, (1 << 62,), (0,)),
        "invalidTensor", "overflow", "2^62 float32 elements (stride 0): the element count fits, the byte count does not")
    two_huge = state_dict(weight=tensor_v2(storage("0", 24, "ByteStorage"), 0, (1 << 62,), (0,)),
                          bias=tensor_v2(storage("0", 24, "ByteStorage"), 0, (1 << 62,), (0,)))
    add("expanded_sum_overflow.pt", state_dict_file(two_huge, {"0": WEIGHT}), "limitExceeded",
        "4611686018427387904 uint8 elements",
        "two stride-0 uint8 views of 2^62 elements: each is valid, their total size overflows Int "
        "(a listing that adds them up must not trap)")
    one("expanded_2p40.pt", tensor_v2(storage("0", 6), 0, (1 << 40,), (0,)),
        "limitExceeded", "1099511627776 float32 elements",
        "a stride-0 view of 2^40 elements: valid metadata, but materialising it needs 4 TB")
    one("expanded_64mb.pt", tensor_v2(storage("0", 6), 0, (1 << 24,), (0,)),
        "limitExceeded", "16777216 float32 elements", "materialising 64 MB under a 1 MB tensor budget",
        limits={"maxTensorBytes": 1 << 20})
    # The expansion budget (ReadLimits.maxExpansionRatio x file size, at least
    # maxExpansionBytes = 1 GiB): bytes a view produces beyond the storage it spans.
    one("expanded_4gb.pt", tensor_v2(storage("0", 6), 0, (1 << 15, 1 << 15), (0, 0)),
        "expansionLimitExceeded", "reading tensor 'fc.weight' would bring",
        "a 1 KB file whose stride-0 view is 4 GB, under maxTensorBytes (16 GB): refused by the "
        "expansion budget before anything is allocated")
    one("expanded_8mb.pt", tensor_v2(storage("0", 6), 0, (1 << 21,), (0,)),
        "expansionLimitExceeded", "to 8388604, past the expansion budget of 4194304",
        "an 8 MB stride-0 view under a 4 MB expansion budget (the test raises the budget to read it)",
        limits={"maxExpansionBytes": 4 << 20})
    one("stride_out_of_bounds.pt", tensor_v2(storage("0", 6), 0, (2, 3), (5, 1)),
        "outOfBounds", "element 7", "stride 5 reaches element 7 of a 6-element storage")
    one("offset_out_of_bounds.pt", tensor_v2(storage("0", 6), 100, (2, 3), (3, 1)),
        "outOfBounds", "element 105", "storage offset 100 in a 6-element storage")
    one("offset_empty_out_of_bounds.pt", tensor_v2(storage("0", 6), 1000, (0, 3), (3, 1)),
        "outOfBounds", "offset 1000", "an empty tensor at offset 1000 of a 6-element storage")
    one("stride_reach_overflow.pt", tensor_v2(storage("0", 6), 0, (3, 1), (1 << 62, 1)),
        "outOfBounds", "overflows", "stride 2^62: (n-1)*stride overflows Int")
    one("offset_huge.pt", tensor_v2(storage("0", 6), (1 << 63) - 1, (2,), (1,)),
        "outOfBounds", "overflows", "storage offset Int.max: offset + reach overflows")
    one("negative_stride.pt", tensor_v2(storage("0", 6), 5, (2, 3), (-3, -1)),
        "invalidTensor", "negative", "negative strides (torch cannot save them either)")
    one("negative_size.pt", tensor_v2(storage("0", 6), 0, (-2, 3), (3, 1)),
        "invalidTensor", "negative", "a negative dimension")
    one("negative_offset.pt", tensor_v2(storage("0", 6), -1, (2, 3), (3, 1)),
        "invalidTensor", "negative", "a negative storage offset")
    one("rank_mismatch.pt", tensor_v2(storage("0", 6), 0, (2, 3), (1,)),
        "invalidTensor", "differ in rank", "size of rank 2, stride of rank 1")
    one("size_not_ints.pt",
        glob("torch._utils", "_rebuild_tensor_v2") + tup(storage("0", 6), binint(0), tup(uni("2"), binint(3)),
                                                         tup(binint(3), binint(1)), NEWFALSE, ordered_dict([])) + REDUCE,
        "corruptPickle", "tensor size holds a str", "a size tuple holding a string")
    one("storage_missing_record.pt", tensor_v2(storage("7", 6), 0, (2, 3), (3, 1)),
        "missingStorage", "archive/data/7", "a storage key with no data/<key> record")
    one("storage_record_short.pt", None, "invalidTensor", "the record 'archive/data/0' holds 20",
        "the data/0 record holds 20 bytes; the pickle says 6 float32 (24 bytes)",
        storages={"0": WEIGHT[:20], "1": BIAS})
    two = state_dict(bias=tensor_v2(storage("0", 6, "IntStorage"), 0, (2,), (1,)))
    add("storage_two_dtypes.pt", state_dict_file(two), "invalidTensor", "referenced as",
        "one storage key referenced as 6 float32 and as 6 int32")
    two = state_dict(bias=tensor_v2(storage("0", 8, "FloatStorage"), 0, (2,), (1,)))
    add("storage_two_sizes.pt", state_dict_file(two), "invalidTensor", "referenced as",
        "one storage key referenced as 6 and as 8 elements")
    untyped = (glob("torch._utils", "_rebuild_tensor_v3")
               + tup(storage("0", 10, "UntypedStorage"), binint(0), tup(binint(3)), tup(binint(1)), NEWFALSE,
                     ordered_dict([]), glob("torch", "float32")) + REDUCE)
    one("untyped_short.pt", untyped, "outOfBounds", "storage of 2 float32 elements",
        "an untyped storage of 10 bytes read as 3 float32", storages={"0": WEIGHT[:10], "1": BIAS})
    v3_mismatch = (glob("torch._utils", "_rebuild_tensor_v3")
                   + tup(storage("0", 6), binint(0), tup(binint(6)), tup(binint(1)), NEWFALSE,
                         ordered_dict([]), glob("torch", "int64")) + REDUCE)
    one("v3_dtype_mismatch.pt", v3_mismatch, "invalidTensor", "rebuilt as int64",
        "a FloatStorage rebuilt as int64 by _rebuild_tensor_v3")
    dup = PROTO2 + plain_dict([
        (uni("a.b"), tensor_v2(storage("0", 6), 0, (2, 3), (3, 1))),
        (uni("a"), plain_dict([(uni("b"), tensor_v2(storage("1", 2), 0, (2,), (1,)))])),
    ]) + STOP
    add("duplicate_flat_name.pt", state_dict_file(dup), "invalidTensor", "two values flatten to this name",
        "keys 'a.b' and 'a' -> 'b' flatten to the same name: refused rather than one silently winning")
    pid_shape = PROTO2 + tup(uni("storage"), glob("torch", "FloatStorage"), uni("0"), uni("cpu")) + BINPERSID + STOP
    add("persistent_id_short.pt", state_dict_file(pid_shape), "corruptPickle", "persistent id",
        "a 4-tuple persistent id")
    pid_class = PROTO2 + tup(uni("storage"), glob("torch", "float32"), uni("0"), uni("cpu"), binint(6)) + BINPERSID + STOP
    add("persistent_id_not_storage.pt", state_dict_file(pid_class), "corruptPickle", "persistent id",
        "a persistent id naming a dtype where the storage class goes")
    add("persistent_id_path_key.pt",
        state_dict_file(state_dict(weight=tensor_v2(storage("../../../etc/passwd", 6), 0, (2, 3), (3, 1)))),
        "missingStorage", "archive/data/../../../etc/passwd",
        "a storage key that is a path: only ever looked up as an entry name, never opened")


def make_zip_attacks() -> None:
    base = state_dict_file(state_dict())
    z = Zip(base)

    # declared sizes that disagree with the data
    zz = Zip(base)
    zz.patch(zz.central["archive/data/0"] + 20, "<II", 20, 20)
    add("zip_size_smaller.pt", zz.bytes(), "invalidTensor", "holds 20",
        "central directory says data/0 is 20 bytes; the pickle needs 24")
    zz = Zip(base)
    zz.patch(zz.central["archive/data/1"] + 20, "<II", 1 << 30, 1 << 30)
    add("zip_size_past_end.pt", zz.bytes(), "corruptZip", "points outside the file",
        "a stored record claiming 1 GB in a 1 KB file")
    zz = Zip(base)
    zz.patch(zz.central["archive/data/0"] + 24, "<I", 4096)
    add("zip_stored_sizes_differ.pt", zz.bytes(), "corruptZip", "declares 24 compressed but 4096 uncompressed",
        "a stored record whose compressed and uncompressed sizes differ")
    zz = Zip(base)
    zz.patch(zz.central["archive/data/0"] + 16, "<I", 0xDEADBEEF)
    add("zip_bad_crc.pt", zz.bytes(), "crcMismatch", "archive/data/0", "data/0's recorded CRC-32 is wrong")
    zz = Zip(base)
    zz.patch(zz.central["archive/data.pkl"] + 16, "<I", 0x12345678)
    add("zip_bad_crc_pickle.pt", zz.bytes(), "crcMismatch", "archive/data.pkl", "data.pkl's recorded CRC-32 is wrong")

    # zip bombs
    zeros = bytes(16 << 20)
    bomb_pkl = state_dict(weight=tensor_v2(storage("0", 4 << 20), 0, (2048, 2048), (2048, 1)))
    bomb = checkpoint(bomb_pkl, {"0": zeros, "1": BIAS}, compress={"archive/data/0": zipfile.ZIP_DEFLATED})
    add("zip_bomb_16mb.pt", bomb, "limitExceeded", "deflated entry 'archive/data/0' of 16777216 bytes",
        "data/0 deflates 16 KB -> 16 MB: refused before inflating under a 1 MB budget",
        limits={"maxInflatedEntryBytes": 1 << 20})
    add("zip_bomb_expansion.pt", bomb, "expansionLimitExceeded", "reading tensor 'fc.weight' would bring",
        "data/0 inflates 16 KB -> 16 MB: charged to a 1 MB expansion budget before inflating",
        limits={"maxExpansionBytes": 1 << 20})
    small_claim = state_dict(weight=tensor_v2(storage("0", 16), 0, (4, 4), (4, 1)))
    zz = Zip(checkpoint(small_claim, {"0": zeros, "1": BIAS}, compress={"archive/data/0": zipfile.ZIP_DEFLATED}))
    zz.patch(zz.central["archive/data/0"] + 24, "<I", 64)
    add("zip_bomb_understated.pt", zz.bytes(), "corruptZip", "declares 64 bytes but inflates to more",
        "data/0 declares 64 bytes but inflates to 16 MB: reading stops after 65 bytes")
    liar_pkl = state_dict(weight=tensor_v2(storage("0", 0xFFFF_FFF0 // 4), 0, (2, 3), (3, 1)))
    zz = Zip(checkpoint(liar_pkl, {"0": WEIGHT * 100, "1": BIAS}, compress={"archive/data/0": zipfile.ZIP_DEFLATED}))
    zz.patch(zz.central["archive/data/0"] + 24, "<I", 0xFFFF_FFF0)
    add("zip_bomb_overstated.pt", zz.bytes(), "corruptZip", "more than deflate can produce",
        "data/0 declares 4 GB from a few dozen deflated bytes: refused before allocating")
    pkl_claim = Zip(base)
    pkl_claim.patch(pkl_claim.central["archive/data.pkl"] + 24, "<I", 0xFFFF_FFF0)
    pkl_claim.patch(pkl_claim.central["archive/data.pkl"] + 20, "<I", 0xFFFF_FFF0)
    add("zip_pickle_4gb.pt", pkl_claim.bytes(), "corruptZip", "points outside the file",
        "data.pkl claiming 4 GB")
    zz = Zip(checkpoint(state_dict(), {"0": WEIGHT, "1": BIAS}, compress={"archive/data.pkl": zipfile.ZIP_DEFLATED}))
    zz.patch(zz.central["archive/data.pkl"] + 24, "<I", 0xF000_0000)
    add("zip_pickle_deflated_4gb.pt", zz.bytes(), "limitExceeded", "data.pkl of 4026531840 bytes",
        "a deflated data.pkl declaring 3.75 GB, above maxPickleBytes: refused before inflating")
    zz = Zip(checkpoint(state_dict(), {"0": WEIGHT, "1": BIAS}, compress={"archive/data/0": zipfile.ZIP_DEFLATED}))
    off = zz.data_offset("archive/data/0")
    zz.data[off] = 0xFF  # invalid block type 3
    add("zip_deflate_corrupt.pt", zz.bytes(), "corruptZip", "cannot inflate",
        "data/0's deflate stream starts with an invalid block type")

    # structure
    zz = Zip(base)
    name = b"archive/data/1"
    at = zz.central["archive/data/1"]
    nlen = struct.unpack_from("<H", zz.data, at + 28)[0]
    zz.data[at + 46:at + 46 + nlen] = b"archive/data/0"
    add("zip_duplicate_names.pt", zz.bytes(), "corruptZip", "duplicate entry name 'archive/data/0'",
        "two central directory entries named archive/data/0")
    zz = Zip(base)
    zz.patch(zz.eocd + 16, "<I", len(base) + 1000)
    add("zip_cd_outside.pt", zz.bytes(), "corruptZip", "lies outside the file",
        "the end record places the central directory past the end of the file")
    zz = Zip(base)
    zz.patch(zz.eocd + 12, "<I", 0xFFFF_FF00)
    add("zip_cd_size_huge.pt", zz.bytes(), "corruptZip", "lies outside the file",
        "a central directory size of 4 GB")
    zz = Zip(base)
    zz.patch(zz.central["archive/data/0"] + 42, "<I", len(base) + 100)
    add("zip_local_outside.pt", zz.bytes(), "corruptZip", "points outside the file",
        "an entry whose local header lies past the end of the file")
    zz = Zip(base)
    zz.patch(zz.central["archive/data/0"] + 42, "<I", zz.local["archive/data/1"])
    add("zip_overlapping_entries.pt", zz.bytes(), "corruptZip", "overlap",
        "data/0 and data/1 share one local header and its data (the overlapping-entry zip bomb)")
    zz = Zip(base)
    zz.patch(zz.central["archive/data/0"] + 42, "<I", zz.local["archive/data/0"] + 3)
    add("zip_no_local_header.pt", zz.bytes(), "corruptZip", "has no local header",
        "an entry's local header offset points into the middle of another header")
    # ZIP64 end record with absurd counts
    cd_offset, cd_size = z.cd_offset, z.cd_size
    body = bytes(z.data[:z.eocd])
    z64_at = len(body)
    z64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1 << 60, 1 << 60, cd_size, cd_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, z64_at, 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0)
    add("zip64_absurd_counts.pt", body + z64 + locator + eocd, "corruptZip", "ZIP64 directory claims 1152921504606846976 entries",
        "a ZIP64 end record claiming 2^60 entries")
    z64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 4, 4, 1 << 62, 1 << 62)
    add("zip64_absurd_offsets.pt", body + z64 + locator + eocd, "corruptZip", "beyond the file",
        "a ZIP64 end record placing a 2^62-byte directory at offset 2^62")
    locator_bad = struct.pack("<IIQI", 0x07064B50, 0, (1 << 64) - 1, 1)
    add("zip64_locator_outside.pt", body + z64 + locator_bad + eocd, "corruptZip", "ZIP64 end-of-central-directory record is missing",
        "a ZIP64 locator pointing at offset 2^64-1")
    zz = Zip(base)
    flags = struct.unpack_from("<H", zz.data, zz.central["archive/data/0"] + 8)[0]
    zz.patch(zz.central["archive/data/0"] + 8, "<H", flags | 1)
    add("zip_encrypted.pt", zz.bytes(), "corruptZip", "is encrypted", "data/0 has the encryption flag")
    zz = Zip(base)
    zz.patch(zz.central["archive/data.pkl"] + 10, "<H", 12)
    add("zip_method_bzip2.pt", zz.bytes(), "unsupportedCompression", "compression method 12",
        "data.pkl claims bzip2 (method 12)")
    zz = Zip(base)
    zz.patch(zz.central["archive/data/0"] + 10, "<H", 99)
    add("zip_method_99.pt", zz.bytes(), "unsupportedCompression", "compression method 99",
        "data/0 claims method 99 (AES)")
    two_tops = torch_zip([("a/data.pkl", state_dict()), ("a/data/0", WEIGHT), ("a/data/1", BIAS),
                          ("b/data.pkl", state_dict()), ("b/data/0", WEIGHT), ("b/data/1", BIAS)])
    add("zip_two_top_folders.pt", two_tops, "corruptZip", "several top folders hold a data.pkl",
        "a/data.pkl and b/data.pkl: which one torch would read is not obvious, so neither is")
    add("zip_no_data_pkl.pt", torch_zip([("archive/data/0", WEIGHT), ("archive/version", b"3\n")]),
        "missingEntry", "data.pkl", "an archive without data.pkl")
    nested = torch_zip([("x/archive/data.pkl", state_dict()), ("x/archive/data/0", WEIGHT), ("x/archive/data/1", BIAS)])
    add("zip_data_pkl_nested.pt", nested, "missingEntry", "data.pkl", "data.pkl two folders down")
    zz = Zip(base)
    at = zz.central["archive/data/0"]
    nlen = struct.unpack_from("<H", zz.data, at + 28)[0]
    zz.data[at + 46 + nlen - 1] = 0  # 'archive/data/0' -> 'archive/data/\0'
    add("zip_name_nul.pt", zz.bytes(), "corruptZip", "NUL", "an entry name containing a NUL byte")
    add("zip_byteorder_bad.pt",
        torch_zip([("archive/data.pkl", state_dict()), ("archive/byteorder", b"middle"),
                   ("archive/data/0", WEIGHT), ("archive/data/1", BIAS)]),
        "corruptZip", "byteorder record says 'middle'", "byteorder is neither little nor big")
    add("zip_no_eocd.pt", base[:z.eocd] + b"\0" * 22, "corruptZip", "no end-of-central-directory record",
        "the end record's signature is zeroed")
    add("zip_truncated.pt", base[:len(base) // 2], "corruptZip", "no end-of-central-directory record",
        "the first half of a checkpoint")
    add("zip_trailing_pickle.pt", checkpoint(state_dict() + b"N.", {"0": WEIGHT, "1": BIAS}), "corruptPickle",
        "bytes follow STOP", "two pickles in data.pkl: the second would be silently ignored")
    add("zip_eocd_only.pt", struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0, 0, 0, 0, 0), "missingEntry", "data.pkl",
        "an empty zip archive (22 bytes)")


def make_torchscript_attacks() -> None:
    """TorchScript-shaped archives: refused by default (a __torch__ class, with
    --full-model suggested); the tests also read them with placeholders."""
    newobj = b"\x81"
    build = b"b"
    # A module whose 20 attributes are all itself (memo): its submodule walk
    # would never end; with placeholders it must stop at a limit.
    self_ref = (PROTO2 + glob("__torch__", "Loop") + put(0) + EMPTY_TUPLE + newobj + put(1)
                + EMPTY_DICT + MARK + b"".join(uni(f"m{i}") + get(1) for i in range(20)) + SETITEMS
                + build + STOP)
    check_pickle(self_ref)
    code = b'class Loop(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n'
    add("torchscript_self_reference.pt",
        torch_zip([("archive/data.pkl", self_ref), ("archive/code/__torch__.py", code),
                   ("archive/constants.pkl", PROTO2 + EMPTY_TUPLE + STOP), ("archive/version", b"3\n")]),
        "forbiddenGlobal", "'__torch__.Loop' (byte 2), which is not allowed in a weights-only load; nothing was imported "
        "or called. It looks like a TorchScript archive: read it with --full-model",
        "a TorchScript module whose attributes are itself 20 times: refused by default; with placeholders "
        "its submodule walk ends at the nesting limit")
    # A module object whose class the archive's code does not declare.
    undeclared = (PROTO2 + glob("__torch__", "Ghost") + EMPTY_TUPLE + newobj + EMPTY_DICT + build + STOP)
    check_pickle(undeclared)
    add("torchscript_undeclared_class.pt",
        torch_zip([("archive/data.pkl", undeclared), ("archive/code/__torch__.py", code),
                   ("archive/version", b"3\n")]),
        "forbiddenGlobal", "It looks like a TorchScript archive",
        "a __torch__.Ghost module that code/__torch__.py does not declare: refused by default; with "
        "placeholders, torchScriptClassUndefined")


def make_legacy_attacks() -> None:
    good = legacy_stream(legacy_object(), ["0", "1"], [(6, WEIGHT), (2, BIAS)])
    add("legacy_bad_magic.pt", legacy_stream(legacy_object(), ["0", "1"], [(6, WEIGHT), (2, BIAS)],
                                             magic=LEGACY_MAGIC + 1),
        "unknownFormat", "not a torch.save checkpoint", "the magic number is off by one")
    add("legacy_wrong_version.pt", legacy_stream(legacy_object(), ["0", "1"], [(6, WEIGHT), (2, BIAS)], version=1000),
        "corruptLegacy", "protocol version is not 1001", "protocol version 1000")
    add("legacy_unknown_key.pt", legacy_stream(legacy_object(), ["0", "1", "99"], [(6, WEIGHT), (2, BIAS), (1, b"\0" * 4)]),
        "corruptLegacy", "names a storage the object does not use", "the key list names storage '99'")
    add("legacy_missing_key.pt", legacy_stream(legacy_object(), ["0"], [(6, WEIGHT)]),
        "missingStorage", "'1'", "the key list omits storage '1'")
    add("legacy_key_twice.pt", legacy_stream(legacy_object(), ["0", "0", "1"], [(6, WEIGHT), (6, WEIGHT), (2, BIAS)]),
        "corruptLegacy", "listed twice", "storage '0' listed twice")
    add("legacy_size_mismatch.pt", legacy_stream(legacy_object(), ["0", "1"], [(5, WEIGHT[:20]), (2, BIAS)]),
        "corruptLegacy", "holds 5 elements; the pickle says 6", "storage '0' says 5 elements, the pickle 6")
    add("legacy_size_huge.pt", legacy_stream(legacy_object(legacy_storage("0", 1 << 61)), ["0", "1"],
                                             [(1 << 61, WEIGHT), (2, BIAS)]),
        "corruptLegacy", "runs past the end of the file", "storage '0' of 2^61 float32 elements (the byte count overflows)")
    add("legacy_truncated_data.pt", good[:-6], "corruptLegacy", "runs past the end of the file",
        "the last storage's raw bytes are cut short")
    add("legacy_truncated_count.pt", good[:len(good) - len(BIAS) - 4], "corruptLegacy", "truncated before its size",
        "the file ends inside a storage's 8-byte element count")
    view = tup(uni("v"), binint(4), binint(8))
    add("legacy_view_outside.pt",
        legacy_stream(legacy_object(legacy_storage("0", 6, view)), ["0", "1"], [(6, WEIGHT), (2, BIAS)]),
        "corruptPickle", "storage view metadata does not fit", "a view of 8 elements at offset 4 of a 6-element root")
    add("legacy_view_key_is_root.pt",
        legacy_stream(legacy_object(bias_pid=legacy_storage("1", 6, tup(uni("0"), binint(4), binint(2)))),
                      ["0", "1"], [(6, WEIGHT), (6, WEIGHT)]),
        "corruptPickle", "names both a storage view and a root storage",
        "a view keyed '0' of storage '1', while '0' is also a root storage (torch would alias them)")
    add("legacy_two_dtypes.pt",
        legacy_stream(legacy_object(bias_pid=legacy_storage("0", 6, cls="IntStorage")), ["0"], [(6, WEIGHT)]),
        "invalidTensor", "referenced as", "one legacy storage referenced as float32 and as int32")
    add("legacy_keys_not_list.pt",
        legacy_stream(legacy_object(), [], [])[:-len(PROTO2 + EMPTY_LIST + MARK + APPENDS + STOP)]
        + PROTO2 + NONE + STOP, "corruptLegacy", "storage key list is a None", "the key list pickle is None")


def make_random_flips() -> None:
    """~20 seeded random corruptions of real torch-written fixtures. Half flip
    any byte; half flip bytes inside data.pkl and then fix its CRC-32 in both
    headers, so the damage reaches the pickle machine instead of the CRC check."""
    rng = random.Random(20240615)
    sources = ["rnn_state_dict.pt", "training_checkpoint.pt", "legacy_lstm.pt", "deflated.pt", "crc0.pt",
               "zip64_full.pt", "shared_storage.pt", "noncontiguous_views.pt", "big_endian.pt", "protocol4.pt",
               "dtypes.pt", "list_top_level.pt"]
    for i in range(22):
        src = sources[i % len(sources)]
        data = bytearray(open(os.path.join(SOURCES, src), "rb").read())
        # (zip64_full.pt's classic end record is all 0xFFFF: its bytes are only bit-flipped)
        fix_crc = i % 2 == 1 and src not in ("deflated.pt", "legacy_lstm.pt", "zip64_full.pt")
        positions = []
        if fix_crc:
            z = Zip(bytes(data))
            pkl = next(n for n in z.central if n.endswith("/data.pkl"))
            start = z.data_offset(pkl)
            size = struct.unpack_from("<I", data, z.central[pkl] + 24)[0]
            for _ in range(rng.randint(1, 3)):
                p = start + rng.randrange(2, size - 1)
                data[p] = rng.randrange(256)
                positions.append(p)
            crc = zlib.crc32(bytes(data[start:start + size]))
            local_crc = struct.unpack_from("<I", data, z.local[pkl] + 14)[0]
            struct.pack_into("<I", data, z.central[pkl] + 16, crc)
            if local_crc != 0:
                struct.pack_into("<I", data, z.local[pkl] + 14, crc)
            how = f"{len(positions)} byte(s) of data.pkl replaced, CRC-32 recomputed"
        else:
            for _ in range(rng.randint(1, 4)):
                p = rng.randrange(len(data))
                data[p] ^= 1 << rng.randrange(8)
                positions.append(p)
            how = f"{len(positions)} bit flip(s)"
        stem = src.rsplit(".", 1)[0]
        add(f"flip_{i:02d}_{stem}.pt", bytes(data), "any", "",
            f"{src}: {how} at {sorted(positions)}")


def validate_controls() -> None:
    """The control files hold only allowlisted globals: torch.load must read them."""
    import torch
    for name in ("control_state_dict.pt", "control_legacy.pt", "legacy_sysinfo_big_endian.pt", "memo_index_2p32.pt"):
        loaded = torch.load(io.BytesIO(FILES[name]), weights_only=True)
        if "tensors" in EXPECTED[name]:
            assert list(loaded.keys()) == [t["name"] for t in EXPECTED[name]["tensors"]], loaded
            for t in EXPECTED[name]["tensors"]:
                assert list(loaded[t["name"]].shape) == t["shape"], (name, t)
                assert loaded[t["name"]].flatten().tolist() == t["values"], (name, t)


def main() -> None:
    make_controls()
    make_forbidden_globals()
    make_pickle_bombs()
    make_tensor_attacks()
    make_zip_attacks()
    make_legacy_attacks()
    make_torchscript_attacks()
    make_random_flips()
    validate_controls()

    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith(".pt") and old not in FILES:
            os.remove(os.path.join(OUT, old))
    for name, data in FILES.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    with open(os.path.join(OUT, "EXPECTED.json"), "w") as f:
        json.dump(dict(sorted(EXPECTED.items())), f, indent=1)
        f.write("\n")
    total = sum(len(d) for d in FILES.values())
    print(f"{len(FILES)} files, {total} bytes in {os.path.relpath(OUT, REPO)}")
    assert total < 300_000, total


if __name__ == "__main__":
    sys.exit(main())
