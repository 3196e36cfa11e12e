#!/usr/bin/env bash
# Runs TorchNN's rnn-benchmark and tools/bench_torch.py on the same matrix, alternately
# (TorchNN, torch, TorchNN, torch, ...) for several rounds, and prints torch ÷ TorchNN per
# configuration (the better median of the rounds on each side), the geometric mean and
# the worst, with the CPU model, the OpenBLAS core and the torch version.
#
#   tools/bench_compare.sh [--rounds N] [--set named|standard|full] [--filter TEXT]...
#                          [--env found|unset|both] [--iterations N] [--out DIR]
#
# --env found (default: both) runs with the environment as found; unset runs with
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed (OpenBLAS then picks its core from
# CPUID: on CPUs newer than the library a weak fallback); both does one, then the other.
# Raw JSON lines and the summaries are kept in --out (default: a new temporary folder).
# PYTHON (default /tmp/torchenv/bin/python, else python3) must have torch.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
set_name=standard
envs=both
iterations=15
out=""
filters=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --set) set_name="$2"; shift 2 ;;
        --filter) filters+=(--filter "$2"); shift 2 ;;
        --env) envs="$2"; shift 2 ;;
        --iterations) iterations="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--set named|standard|full] [--filter TEXT]... [--env found|unset|both] [--iterations N] [--out DIR]" >&2; exit 2 ;;
    esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "--rounds needs a positive integer" >&2; exit 2; }
case "$envs" in found) passes=(found) ;; unset) passes=(unset) ;; both) passes=(found unset) ;;
    *) echo "--env needs found, unset or both" >&2; exit 2 ;; esac
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x /tmp/torchenv/bin/python ]]; then PYTHON=/tmp/torchenv/bin/python; else PYTHON=python3; fi
fi
out="${out:-$(mktemp -d /tmp/bench_compare.XXXXXX)}"
mkdir -p "$out"
# The summaries read every round file in the folder: one left from an earlier run would be mixed in.
if [[ -n "$(ls -A "$out")" ]]; then echo "--out $out is not empty; give a new or empty folder" >&2; exit 2; fi

swift build -c release --product rnn-benchmark >&2
{
    echo "## bench_compare $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ') model $(grep -m1 '^model\s*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), $(nproc) processors"
    echo "- OpenBLAS package: $(dpkg-query -W -f '${Package} ${Version}' 'libopenblas0-pthread' 2>/dev/null || echo unknown)"
    echo "- environment as found: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-<unset>} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-<unset>} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS-<unset>} TORCHNN_KERNEL=${TORCHNN_KERNEL-<unset>}"
    echo "- $(swift --version 2>&1 | head -1)"
    echo "- set: $set_name ${filters[*]}, rounds: $rounds, iterations: up to $iterations (2 s budget per configuration)"
    echo
} | tee "$out/preamble.md"
bench=.build/release/rnn-benchmark
"$bench" --set "$set_name" "${filters[@]}" --list > "$out/matrix.jsonl"
echo "matrix: $(wc -l < "$out/matrix.jsonl") configurations; output in $out" >&2

for pass in "${passes[@]}"; do
    if [[ "$pass" == unset ]]; then
        run=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
    else
        run=(env)
    fi
    for round in $(seq 1 "$rounds"); do
        echo "[$pass] round $round/$rounds: TorchNN" >&2
        "${run[@]}" "$bench" --set "$set_name" "${filters[@]}" --json --no-kernel --iterations "$iterations" \
            > "$out/$pass.ours.$round.jsonl"
        echo "[$pass] round $round/$rounds: torch" >&2
        "${run[@]}" "$PYTHON" tools/bench_torch.py --matrix "$out/matrix.jsonl" --iterations "$iterations" \
            > "$out/$pass.torch.$round.jsonl"
    done
    echo "[$pass] step kernel" >&2
    "${run[@]}" "$bench" --kernel-only --json > "$out/$pass.kernel.jsonl"
    if [[ "$pass" == unset ]]; then
        title="environment with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset"
    else
        title="environment as found (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-<unset>}, OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-<unset>})"
    fi
    "$PYTHON" tools/bench_summary.py --title "$title" \
        --ours "$out/$pass.ours."*.jsonl --torch "$out/$pass.torch."*.jsonl --kernel "$out/$pass.kernel.jsonl" \
        | tee "$out/$pass.summary.md"
done
