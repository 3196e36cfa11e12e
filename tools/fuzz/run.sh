#!/usr/bin/env bash
# Runs the checkpoint-reader fuzzer for SECONDS (default 60).
#   tools/fuzz/run.sh SECONDS
# Environment: PTFUZZ_BIN (default /tmp/ptfuzz/ptfuzz, built by build.sh),
# PTFUZZ_CORPUS (default /tmp/ptfuzz-corpus), PTFUZZ_ARTIFACTS (default
# /tmp/ptfuzz-artifacts), JOBS (default 2: -jobs=2 -workers=2; 1 = one process).
# The corpus is seeded from every file under fixtures/ (outside the repo, so
# the repository is never written). Crashes, timeouts and OOMs are saved to
# the artifacts directory; the log goes to stdout/stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_TO_RUN="${1:-60}"
BIN="${PTFUZZ_BIN:-/tmp/ptfuzz/ptfuzz}"
CORPUS="${PTFUZZ_CORPUS:-/tmp/ptfuzz-corpus}"
ARTIFACTS="${PTFUZZ_ARTIFACTS:-/tmp/ptfuzz-artifacts}"
JOBS="${JOBS:-2}"

[ -x "$BIN" ] || { echo "no fuzzer binary at $BIN: run tools/fuzz/build.sh first" >&2; exit 1; }
mkdir -p "$CORPUS" "$ARTIFACTS"
# Seeds: every fixture file, named by content hash so re-seeding is idempotent.
find "$ROOT/fixtures" -type f -print0 | while IFS= read -r -d '' f; do
  cp "$f" "$CORPUS/seed-$(sha1sum "$f" | cut -c1-16)"
done

OPTIONS=(
  -max_len=65536 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048
  -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1
  -dict="$ROOT/tools/fuzz/checkpoint.dict"
  -artifact_prefix="$ARTIFACTS/"
)
if [ "$JOBS" -gt 1 ]; then OPTIONS+=(-jobs="$JOBS" -workers="$JOBS"); fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=0:handle_abort=1}"
cd "$ARTIFACTS"   # -jobs writes fuzz-N.log files into the working directory
exec "$BIN" "${OPTIONS[@]}" "$CORPUS"
