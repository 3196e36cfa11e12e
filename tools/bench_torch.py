#!/usr/bin/env python3
"""PyTorch counterpart of `rnn-benchmark` (Sources/rnn-benchmark).

Runs the configurations `rnn-benchmark --list` prints (one JSON object per line:
module RNN|LSTM|LSTMP|GRU, T, B, I, H, proj_size, layers, bidirectional,
batch_first, lengths, streaming) in torch on the CPU, float32, eval mode, under
torch.inference_mode(), with torch.set_num_threads(nproc), and prints the same
JSON lines with median_ms and min_ms added (after one line describing the setup).

Timing policy as rnn-benchmark's: 2 untimed calls, then up to --iterations timed
calls, stopping after at least 3 once 2 s are spent. A forward pass with lengths
includes pack_padded_sequence / pad_packed_sequence (what a caller needs to get
the padded output rnn-benchmark returns); streaming is T calls of one step each,
carrying the state.

    .build/release/rnn-benchmark --list > matrix.jsonl
    /tmp/torchenv/bin/python tools/bench_torch.py --matrix matrix.jsonl [--iterations N]
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch

WARMUP = 2
BUDGET_SECONDS = 2.0


def make_layer(c):
    common = dict(input_size=c["I"], hidden_size=c["H"], num_layers=c["layers"],
                  bidirectional=c["bidirectional"], batch_first=c["batch_first"])
    module = c["module"]
    if module == "RNN":
        layer = torch.nn.RNN(nonlinearity="tanh", **common)
    elif module in ("LSTM", "LSTMP"):
        layer = torch.nn.LSTM(proj_size=c["proj_size"], **common)
    elif module == "GRU":
        layer = torch.nn.GRU(**common)
    else:
        raise SystemExit(f"unknown module {module!r} in the matrix")
    return layer.float().eval()


def make_forward(c):
    torch.manual_seed(0)
    layer = make_layer(c)
    shape = (c["B"], c["T"], c["I"]) if c["batch_first"] else (c["T"], c["B"], c["I"])
    x = torch.rand(*shape, dtype=torch.float32) * 2 - 1
    if c["streaming"]:
        time_axis = 1 if c["batch_first"] else 0
        chunks = [t.contiguous() for t in torch.split(x, 1, dim=time_axis)]

        def stream():
            state = None
            last = None
            for chunk in chunks:
                last, state = layer(chunk, state)
            return last
        return stream
    if c["lengths"] is not None:
        lengths = torch.tensor(c["lengths"], dtype=torch.int64)

        def packed():
            sequence = torch.nn.utils.rnn.pack_padded_sequence(
                x, lengths, batch_first=c["batch_first"], enforce_sorted=False)
            output, _ = layer(sequence)
            return torch.nn.utils.rnn.pad_packed_sequence(
                output, batch_first=c["batch_first"], total_length=c["T"])[0]
        return packed
    return lambda: layer(x)[0]


def measure(forward, iterations):
    """Median and minimum milliseconds and the number of timed calls."""
    for _ in range(WARMUP):
        forward()
    times = []
    total = 0.0
    while len(times) < iterations and (len(times) < 3 or total < BUDGET_SECONDS):
        start = time.perf_counter_ns()
        forward()
        elapsed = (time.perf_counter_ns() - start) / 1e6
        times.append(elapsed)
        total += elapsed / 1e3
    return statistics.median(times), min(times), len(times)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", required=True, help="JSON lines from `rnn-benchmark --list` ('-' for stdin)")
    parser.add_argument("--iterations", type=int, default=15)
    args = parser.parse_args()
    if args.iterations < 1:
        parser.error("--iterations needs a positive integer")

    source = sys.stdin if args.matrix == "-" else open(args.matrix)
    configs = [json.loads(line) for line in source if line.strip()]

    # Like `nproc`: the processors this process may run on.
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(threads)
    print(json.dumps(dict(machine=f"cpu: {cpu_model()}, torch {torch.__version__}, threads {threads}",
                          torch=torch.__version__, threads=threads,
                          capability=torch.backends.cpu.get_cpu_capability())), flush=True)
    with torch.inference_mode():
        for c in configs:
            median, minimum, count = measure(make_forward(c), args.iterations)
            print(json.dumps(dict(**c, median_ms=round(median, 3), min_ms=round(minimum, 3))), flush=True)


if __name__ == "__main__":
    main()
