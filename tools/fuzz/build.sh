#!/usr/bin/env bash
# Builds the libFuzzer + AddressSanitizer binary for the checkpoint reader:
# every Swift file of Sources/TorchCheckpoint plus tools/fuzz/FuzzEntry.swift,
# compiled as one module. Usage: tools/fuzz/build.sh [OUTPUT_DIR]
# (default /tmp/ptfuzz; the binary is OUTPUT_DIR/ptfuzz).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-/tmp/ptfuzz}"
SWIFTC="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
mkdir -p "$OUT"
cd "$ROOT"

# Compile a snapshot of the sources, so files edited during the (slow)
# sanitizer build do not fail it; the snapshot is what the binary was built from.
SNAPSHOT="$OUT/src"
rm -rf "$SNAPSHOT"
mkdir -p "$SNAPSHOT"
cp -R Sources/TorchCheckpoint Sources/CZip "$SNAPSHOT/"
cp tools/fuzz/FuzzEntry.swift "$SNAPSHOT/"
mapfile -t SOURCES < <(find "$SNAPSHOT/TorchCheckpoint" -name '*.swift' | LC_ALL=C sort)
FLAGS=()
if [ -d "$SNAPSHOT/TorchCheckpoint/Safetensors" ]; then FLAGS+=(-D PTFUZZ_SAFETENSORS); fi

# libzip through the CZip module map (the sources say `internal import CZip`);
# pkg-config adds include/library paths when libzip is not in /usr.
for flag in $(pkg-config --cflags libzip 2>/dev/null || true); do FLAGS+=(-Xcc "$flag"); done
for flag in $(pkg-config --libs libzip 2>/dev/null || echo -lzip); do
  case "$flag" in
    -L*) FLAGS+=("$flag") ;;
    -l*) FLAGS+=("$flag") ;;
  esac
done

set -x
"$SWIFTC" -parse-as-library -module-name TorchCheckpoint \
  -sanitize=fuzzer,address -O -g -use-ld=lld \
  -I "$SNAPSHOT/CZip" "${FLAGS[@]}" \
  "${SOURCES[@]}" "$SNAPSHOT/FuzzEntry.swift" \
  -o "$OUT/ptfuzz"
