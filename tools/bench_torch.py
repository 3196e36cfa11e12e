#!/usr/bin/env python3
"""PyTorch counterpart of `rnn-benchmark` (Sources/rnn-benchmark/main.swift).

Times full forward passes of torch.nn.LSTM, GRU and RNN(tanh) on the CPU in
float32, eval mode, under torch.no_grad(), with one intra-op thread per core,
and prints one JSON object per line with the same keys as `rnn-benchmark --json`:
module, T, B, I, H, layers, bidirectional, median_ms, min_ms.

    /tmp/torchenv/bin/python tools/bench_torch.py [--iterations N]
"""

import argparse
import json
import os
import statistics
import time

import torch

# Keep in sync with `configs` in Sources/rnn-benchmark/main.swift.
CONFIGS = [
    dict(T=100, B=1, I=64, H=128, layers=1, bidirectional=False),
    dict(T=100, B=32, I=64, H=256, layers=2, bidirectional=False),
    dict(T=50, B=16, I=128, H=512, layers=1, bidirectional=True),
]
MODULES = ["LSTM", "GRU", "RNN"]
WARMUP = 3


def make_layer(name, c):
    common = dict(input_size=c["I"], hidden_size=c["H"], num_layers=c["layers"],
                  bidirectional=c["bidirectional"])
    if name == "RNN":
        return torch.nn.RNN(nonlinearity="tanh", **common)
    return getattr(torch.nn, name)(**common)


def measure(forward, iterations):
    """Median and minimum milliseconds of `iterations` calls after WARMUP untimed calls."""
    for _ in range(WARMUP):
        forward()
    times = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        forward()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(times), min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=15)
    args = parser.parse_args()
    if args.iterations < 1:
        parser.error("--iterations needs a positive integer")

    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    with torch.no_grad():
        for c in CONFIGS:
            x = torch.rand(c["T"], c["B"], c["I"], dtype=torch.float32) * 2 - 1
            for name in MODULES:
                layer = make_layer(name, c).float().eval()
                median, minimum = measure(lambda: layer(x), args.iterations)
                print(json.dumps(dict(module=name, **c,
                                      median_ms=round(median, 3), min_ms=round(minimum, 3))),
                      flush=True)


if __name__ == "__main__":
    main()
