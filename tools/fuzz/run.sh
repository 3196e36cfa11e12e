#!/usr/bin/env bash
# Runs the checkpoint-reader fuzzer for SECONDS (default 60).
#   tools/fuzz/run.sh SECONDS
# Environment: PTFUZZ_BIN (default /tmp/ptfuzz/ptfuzz, built by build.sh),
# PTFUZZ_CORPUS (default /tmp/ptfuzz-corpus), PTFUZZ_ARTIFACTS (default
# /tmp/ptfuzz-artifacts), JOBS (default 2).
# JOBS > 1 runs libFuzzer's fork mode (-fork=JOBS) with -ignore_crashes,
# -ignore_timeouts and -ignore_ooms: every distinct crash is saved and fuzzing
# goes on for the whole time, instead of stopping at the first known bug.
# MODE=jobs uses -jobs=JOBS -workers=JOBS instead (each job stops at its first
# crash); JOBS=1 runs one plain process that stops at the first crash.
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
MODE="${MODE:-fork}"
if [ "$JOBS" -gt 1 ]; then
  if [ "$MODE" = jobs ]; then
    OPTIONS+=(-jobs="$JOBS" -workers="$JOBS")
  else
    OPTIONS+=(-fork="$JOBS" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  fi
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0:handle_abort=1}"
cd "$ARTIFACTS"   # -jobs writes fuzz-N.log files into the working directory
echo "ptfuzz: $(date -u +%Y-%m-%dT%H:%M:%SZ) $BIN ${OPTIONS[*]} $CORPUS" >&2
exec "$BIN" "${OPTIONS[@]}" "$CORPUS"
