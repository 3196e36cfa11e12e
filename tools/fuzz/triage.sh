#!/usr/bin/env bash
# Groups fuzzer artifacts by failure: replays each one with the fuzzer binary
# and prints  <count>  <kind>  <sanitizer summary>  <first frames in our sources>.
#   tools/fuzz/triage.sh [ARTIFACT_DIR]   (default /tmp/ptfuzz-artifacts)
# Environment: PTFUZZ_BIN (default /tmp/ptfuzz/ptfuzz).
set -uo pipefail
DIR="${1:-/tmp/ptfuzz-artifacts}"
BIN="${PTFUZZ_BIN:-/tmp/ptfuzz/ptfuzz}"
for f in "$DIR"/crash-* "$DIR"/leak-* "$DIR"/timeout-* "$DIR"/oom-*; do
  [ -e "$f" ] || continue
  kind="$(basename "$f" | cut -d- -f1)"
  out="$(ASAN_OPTIONS=detect_leaks=1 timeout 30 "$BIN" -rss_limit_mb=2048 -malloc_limit_mb=2048 "$f" 2>&1)"
  status=$?
  summary="$(echo "$out" | grep -E "SUMMARY|ptfuzz invariant|Fatal error" | head -1 \
    | sed -E 's/[0-9]+ byte\(s\) leaked in [0-9]+ allocation\(s\)/N bytes leaked/; s/\(BuildId: [0-9a-f]+\)//; s/0x[0-9a-f]+//g' | cut -c1-110)"
  [ $status -eq 124 ] && summary="still running after 30 s"
  [ -z "$summary" ] && summary="no failure on replay (exit $status)"
  frames="$(echo "$out" | grep -oE "in \S+ \S*/src/TorchCheckpoint/\S+" | awk '{print $3}' \
    | sed -E 's|.*/src/||; s/:[0-9]+$//' | awk '!seen[$0]++' | head -3 | tr '\n' ' ')"
  echo "$kind | $summary | $frames"
done | sort | uniq -c | sort -rn
