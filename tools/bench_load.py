#!/usr/bin/env python3
"""PyTorch side of tools/bench_load.sh: makes the 1 GiB checkpoint and times
loading it in torch the ways an app would.

    python tools/bench_load.py make DIR          # DIR/model.pt and DIR/model.safetensors (1 GiB each)
    python tools/bench_load.py torch-mmap FILE   # torch.load(mmap=True, weights_only=True), sum every tensor
    python tools/bench_load.py torch-load FILE   # torch.load(weights_only=True), sum every tensor
    python tools/bench_load.py st-load FILE      # safetensors.torch.load_file, sum every tensor
    python tools/bench_load.py crc DIR           # does torch.load check a stored record's CRC-32?

Each timing mode prints one JSON line like load-benchmark's: the seconds cover
loading and reading every element (after `import torch`, which is not timed).
"""

import json
import os
import sys
import time

import torch

# 16 float32 tensors of 64 MiB: 1 GiB, the shape of a large layer's weights.
TENSORS = 16
ROWS, COLS = 4096, 4096


def make(directory):
    from safetensors.torch import save_file

    os.makedirs(directory, exist_ok=True)
    generator = torch.Generator().manual_seed(0)
    state = {f"layers.{i}.weight": torch.randn(ROWS, COLS, generator=generator) for i in range(TENSORS)}
    torch.save(state, os.path.join(directory, "model.pt"))
    save_file(state, os.path.join(directory, "model.safetensors"), metadata={"format": "pt"})


def read_all(state):
    total = 0.0
    count = 0
    for tensor in state.values():
        total += float(tensor.sum())
        count += tensor.numel() * tensor.element_size()
    return total, count


def timed(tool, path, load):
    start = time.perf_counter()
    state = load(path)
    checksum, count = read_all(state)
    seconds = time.perf_counter() - start
    print(json.dumps({"tool": tool, "file": path, "seconds": seconds, "tensors": len(state), "bytes": count, "checksum": checksum}))


def crc_check(directory):
    """Saves a small checkpoint, flips one byte of its storage record (leaving the
    recorded CRC-32 as it was), and loads it with and without mmap: torch 2.15
    returns the damaged value both times, without an error. This is why
    TorchCheckpoint's ReadOptions(verifiesStoredChecksums: false) matches torch."""
    import struct
    import zipfile

    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "crc_flip.pt")
    torch.save({"w": torch.arange(1024, dtype=torch.float32)}, path)
    data = bytearray(open(path, "rb").read())
    info = next(i for i in zipfile.ZipFile(path).infolist() if i.filename.endswith("/data/0"))
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    data[start + 4 * 5 + 2] ^= 0x01  # element 5 (5.0): one bit of its mantissa
    open(path, "wb").write(data)
    for mmap in (True, False):
        try:
            value = torch.load(path, mmap=mmap, weights_only=True)["w"][5].item()
            print(json.dumps({"torch": torch.__version__, "mmap": mmap, "loaded": True, "element_5": value, "saved": 5.0}))
        except Exception as error:  # a CRC check would land here
            print(json.dumps({"torch": torch.__version__, "mmap": mmap, "loaded": False, "error": str(error)[:200]}))


def main():
    torch.set_num_threads(os.cpu_count() or 1)
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "make":
        make(path)
    elif mode == "torch-mmap":
        timed(mode, path, lambda p: torch.load(p, mmap=True, weights_only=True))
    elif mode == "crc":
        crc_check(path)
    elif mode == "torch-load":
        timed(mode, path, lambda p: torch.load(p, weights_only=True))
    elif mode == "st-load":
        from safetensors.torch import load_file
        timed(mode, path, load_file)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
