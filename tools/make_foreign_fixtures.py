#!/usr/bin/env python3
"""Generate ``fixtures/foreign/``: tiny files of formats people mistake for
torch checkpoints, each of which the reader must refuse by naming the format.

numpy writes the .npy / .npz files and pickle the plain pickle; the others are
the minimal headers their formats begin with (no onnx, h5py, gguf or
tensorflow package is needed, and the reader only looks at these bytes):

- ONNX: a protobuf ``ModelProto`` with ir_version 8 and producer_name "pytorch"
- HDF5: the format signature followed by a version-0 superblock's first bytes
- Keras 3: a zip of config.json, metadata.json and model.weights.h5
- GGUF: "GGUF", version 3, zero tensors, zero metadata pairs
- TensorFlow SavedModel: ``saved_model/saved_model.pb`` holding
  saved_model_schema_version = 1 and one empty meta graph

``EXPECTED.json`` maps each file to the ``ForeignFormat`` case the reader must
report.  Deterministic; re-running gives byte-identical files.

    /tmp/torchenv/bin/python tools/make_foreign_fixtures.py
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "fixtures", "foreign")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def write(name: str, data: bytes) -> None:
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def fixed_zip(entries: "list[tuple[str, bytes]]") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name, FIXED_DATE), data)
    return buf.getvalue()


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def varint(n: int) -> bytes:
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def field(number: int, payload: bytes) -> bytes:  # length-delimited protobuf field
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    weights = np.arange(6, dtype=np.float32).reshape(2, 3)
    # np.savez stamps the current time into the zip: rebuild it with a fixed date.
    write("arrays.npz", fixed_zip([("weight.npy", npy(weights)), ("bias.npy", npy(np.zeros(3, np.float32)))]))
    expected["arrays.npz"] = "npz"
    write("array.npy", npy(weights))
    expected["array.npy"] = "npy"

    opset = field(1, b"") + varint(2 << 3) + varint(17)  # OperatorSetIdProto(domain "", version 17)
    write("model.onnx", varint(1 << 3) + varint(8) + field(2, b"pytorch") + field(8, opset))
    expected["model.onnx"] = "onnx"

    # signature, superblock version 0, free-space / root-group / reserved / shared-header versions,
    # offset and length sizes (8, 8)
    write("weights.h5", b"\x89HDF\r\n\x1a\n" + bytes([0, 0, 0, 0, 0, 8, 8, 0]) + bytes(16))
    expected["weights.h5"] = "hdf5"

    write("model.keras", fixed_zip([
        ("metadata.json", b'{"keras_version": "3.0.0"}'),
        ("config.json", b'{"class_name": "Sequential"}'),
        ("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(24)),
    ]))
    expected["model.keras"] = "keras"

    write("model.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    expected["model.gguf"] = "gguf"

    write("plain.pkl", pickle.dumps({"weight": [[0.0, 1.0], [2.0, 3.0]], "epoch": 3}, protocol=4))
    expected["plain.pkl"] = "pickle"
    write("plain_protocol2.pkl", pickle.dumps({"weight": [1.0, 2.0]}, protocol=2))
    expected["plain_protocol2.pkl"] = "pickle"

    write("saved_model/saved_model.pb", varint(1 << 3) + varint(1) + field(2, b""))
    expected["saved_model/saved_model.pb"] = "savedModel"
    expected["saved_model"] = "savedModel"

    with open(os.path.join(OUT, "EXPECTED.json"), "w") as f:
        f.write(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    for name in sorted(expected):
        path = os.path.join(OUT, name)
        print(f"{os.path.getsize(path) if os.path.isfile(path) else 0:6d}  {name}")


if __name__ == "__main__":
    main()
