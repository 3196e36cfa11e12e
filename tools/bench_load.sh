#!/usr/bin/env bash
# Loading and converting a 1 GiB checkpoint: Swift vs torch, ptconvert vs cp.
#
#   PYTHON=/tmp/torchenv/bin/python bash tools/bench_load.sh [ROUNDS]
#
# Makes DIR/model.pt and DIR/model.safetensors with torch (DIR defaults to
# /tmp/ptconvert-bench; never committed), builds load-benchmark and ptconvert
# in release mode, then runs ROUNDS (default 5) alternating rounds of:
#   swift .pt / swift .safetensors   open and read every element (load-benchmark, both cores)
#   swift .pt --trust-crc            the same without the CRC-32 pass (torch.load checks none)
#   torch.load(mmap=True) .pt        torch.load(mmap=True, weights_only=True), sum every tensor
#   safetensors load_file            safetensors.torch.load_file, sum every tensor
#   ptconvert st->st / pt->st        ptconvert convert ... --quiet (whole process)
#   cp st                            cp of the safetensors file (whole process)
# With PTCONVERT_BEFORE=/path/to/ptconvert, that binary converts too (a
# before/after comparison across commits).
# Each runs in its own process under /usr/bin/time, which gives its peak
# resident set. Load times are measured inside the process (after start-up and
# `import torch`); convert and cp times are the whole process. Every file is
# read once before timing, so all runs read from the page cache. Prints a
# table of medians (and the fastest run) with the CPU model.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/tmp/torchenv/bin/python}
ROUNDS=${1:-5}
DIR=${BENCH_DIR:-/tmp/ptconvert-bench}
mkdir -p "$DIR"

swift build -c release --scratch-path .build-bench --product load-benchmark >&2
swift build -c release --scratch-path .build-bench --product ptconvert >&2
BIN=.build-bench/release

if [[ ! -f "$DIR/model.pt" || ! -f "$DIR/model.safetensors" ]]; then
    echo "making $DIR/model.pt and model.safetensors with torch ..." >&2
    "$PYTHON" tools/bench_load.py make "$DIR"
fi
cat "$DIR/model.pt" "$DIR/model.safetensors" > /dev/null   # into the page cache

RESULTS="$DIR/results.tsv"
: > "$RESULTS"

# run NAME SECONDS-SOURCE COMMAND...: SECONDS-SOURCE is "json" (the command prints
# {"seconds": ...}) or "wall" (the whole process). Appends NAME, seconds, peak KB.
run() {
    local name=$1 source=$2
    shift 2
    local out
    out=$(/usr/bin/time -f '__RSS__ %e %M' "$@" 2>&1 >"$DIR/stdout")
    local wall rss seconds
    wall=$(grep '__RSS__' <<<"$out" | awk '{print $2}')
    rss=$(grep '__RSS__' <<<"$out" | awk '{print $3}')
    if [[ $source == json ]]; then
        seconds=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$DIR/stdout")
    else
        seconds=$wall
    fi
    printf '%s\t%s\t%s\n' "$name" "$seconds" "$rss" >> "$RESULTS"
}

for round in $(seq "$ROUNDS"); do
    echo "round $round of $ROUNDS" >&2
    run "swift read .pt"                      json "$BIN/load-benchmark" "$DIR/model.pt"
    run "swift read .pt, CRC trusted as torch" json "$BIN/load-benchmark" "$DIR/model.pt" --trust-crc
    run "torch.load(mmap=True) .pt"           json "$PYTHON" tools/bench_load.py torch-mmap "$DIR/model.pt"
    run "swift read .safetensors"             json "$BIN/load-benchmark" "$DIR/model.safetensors"
    run "safetensors load_file .safetensors"  json "$PYTHON" tools/bench_load.py st-load "$DIR/model.safetensors"
    # Writers start with no dirty pages left by the previous one (`sync`, untimed): otherwise
    # whichever runs next pays for the previous gigabyte's writeback (seen: 0.4 s or 2.4 s
    # for the same conversion).
    sync
    run "ptconvert .safetensors -> .safetensors" wall "$BIN/ptconvert" convert "$DIR/model.safetensors" "$DIR/out.safetensors" --quiet
    rm -f "$DIR/out.safetensors"
    sync
    run "cp .safetensors"                     wall cp "$DIR/model.safetensors" "$DIR/copy.safetensors"
    rm -f "$DIR/copy.safetensors"
    sync
    run "ptconvert .pt -> .safetensors"       wall "$BIN/ptconvert" convert "$DIR/model.pt" "$DIR/out.safetensors" --quiet
    rm -f "$DIR/out.safetensors"
    if [[ -n ${PTCONVERT_BEFORE:-} ]]; then   # another build to compare with, e.g. an older commit's
        sync
        run "ptconvert (before) .safetensors -> .safetensors" wall "$PTCONVERT_BEFORE" convert "$DIR/model.safetensors" "$DIR/out.safetensors" --quiet
        rm -f "$DIR/out.safetensors"
    fi
done

echo
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores; $(grep -m1 -E '^cpu family' /proc/cpuinfo | awk '{print "family " $4}'), $(grep -m1 -E '^model\s' /proc/cpuinfo | awk '{print "model " $3}'))"
echo "torch $("$PYTHON" -c 'import torch; print(torch.__version__)'), $(date -u '+%Y-%m-%d %H:%M UTC'), $ROUNDS rounds, file $(du -h "$DIR/model.safetensors" | cut -f1)"
"$PYTHON" - "$RESULTS" <<'PY'
import collections, statistics, sys
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, seconds, rss = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((float(seconds), int(rss)))
print()
print("| measurement | median s | fastest s | peak RSS MB (max) |")
print("|---|--:|--:|--:|")
for name, runs in rows.items():
    seconds = [s for s, _ in runs]
    print(f"| {name} | {statistics.median(seconds):.3f} | {min(seconds):.3f} | {max(r for _, r in runs) / 1024:.0f} |")
med = {name: statistics.median(s for s, _ in runs) for name, runs in rows.items()}
print()
torch_mmap = med['torch.load(mmap=True) .pt']
print(f"loading .pt, CRC-32 checked (default): swift ÷ torch.load(mmap=True) = {med['swift read .pt'] / torch_mmap:.2f} (≤ 1 meets the target)")
print(f"loading .pt, CRC trusted as torch does: swift ÷ torch.load(mmap=True) = {med['swift read .pt, CRC trusted as torch'] / torch_mmap:.2f}")
print(f"loading .safetensors: swift ÷ safetensors load_file = {med['swift read .safetensors'] / med['safetensors load_file .safetensors']:.2f}")
print(f"converting: cp ÷ ptconvert = {med['cp .safetensors'] / med['ptconvert .safetensors -> .safetensors']:.2f} (≥ 0.5 meets the target)")
PY
