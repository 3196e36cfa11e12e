#!/usr/bin/env python3
"""Summarises rounds of `rnn-benchmark --json` and `tools/bench_torch.py` output
(used by tools/bench_compare.sh): per configuration the better (smaller) median of
the rounds on each side and torch ÷ TorchNN (above 1: TorchNN faster), then the
geometric mean, the worst configuration, the geometric mean for B ≤ 4, the streaming
ratios and the step kernel's GFLOP/s against the measured FMA peak, as Markdown."""

import argparse
import json
import math


def read(paths):
    """(header, {name: [median, ...]}, {name: config}) over all files (rounds)."""
    header, medians, configs = None, {}, {}
    for path in paths:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                row = json.loads(line)
                if "machine" in row:
                    header = row
                    continue
                medians.setdefault(row["name"], []).append(row["median_ms"])
                configs[row["name"]] = row
    return header, medians, configs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--title", default="")
    parser.add_argument("--ours", nargs="+", required=True)
    parser.add_argument("--torch", nargs="+", required=True)
    parser.add_argument("--kernel")
    args = parser.parse_args()

    ours_header, ours, configs = read(args.ours)
    torch_header, theirs, _ = read(args.torch)
    if args.title:
        print(f"### {args.title}\n")
    print(f"- {ours_header['machine'] if ours_header else 'TorchNN: unknown'}")
    print(f"- {torch_header['machine'] if torch_header else 'torch: unknown'}"
          + (f", CPU capability {torch_header.get('capability')}" if torch_header else ""))
    print(f"- rounds: {len(args.ours)} TorchNN, {len(args.torch)} torch (alternating); "
          "each figure is the better of the per-round medians\n")
    print("| configuration | torch ms | TorchNN ms | torch ÷ TorchNN |")
    print("|---|--:|--:|--:|")
    ratios = {}
    for name, config in configs.items():
        if name not in theirs:
            continue
        a, b = min(theirs[name]), min(ours[name])
        ratios[name] = a / b
        print(f"| {name} | {a:.3f} | {b:.3f} | {a / b:.2f} |")
    if not ratios:
        print("\nno configuration measured on both sides")
        return

    def geomean(values):
        values = list(values)
        return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")

    worst = min(ratios, key=ratios.get)
    small = [r for n, r in ratios.items() if configs[n]["B"] <= 4]
    stream = {n: r for n, r in ratios.items() if configs[n]["streaming"]}
    print(f"\n- geometric mean torch ÷ TorchNN: **{geomean(ratios.values()):.2f}** over {len(ratios)} configurations")
    print(f"- worst: **{ratios[worst]:.2f}** ({worst})")
    print(f"- configurations slower than torch: {sum(1 for r in ratios.values() if r < 1)}")
    print(f"- B ≤ 4: geometric mean {geomean(small):.2f}, worst {min(small) if small else float('nan'):.2f}")
    if stream:
        print("- streaming: " + ", ".join(f"{n}: {r:.2f}" for n, r in stream.items()))
    if args.kernel:
        rows = [json.loads(l) for l in open(args.kernel) if l.strip()]
        rows = [r for r in rows if "step_kernel" in r]
        if rows:
            print(f"\nStep kernel on one thread ({rows[0]['kernel']}), measured FMA peak of one core "
                  f"{rows[0]['peak_gflops']:.1f} GFLOP/s (nominal at the reported clock: "
                  f"{rows[0].get('nominal_peak_gflops', float('nan')):.1f}):\n")
            print("| cell | B | H | GFLOP/s | % of peak |")
            print("|---|--:|--:|--:|--:|")
            for r in rows:
                print(f"| {r['step_kernel']} | {r['B']} | {r['H']} | {r['gflops']:.1f} | {100 * r['gflops'] / r['peak_gflops']:.0f}% |")
    print()


if __name__ == "__main__":
    main()
