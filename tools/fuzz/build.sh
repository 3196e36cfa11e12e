#!/usr/bin/env bash
# Builds the libFuzzer + AddressSanitizer binary for the checkpoint reader:
# every Swift file of Sources/TorchTensor and Sources/TorchCheckpoint plus
# tools/fuzz/FuzzEntry.swift, compiled as one module (the snapshot drops the
# reader's `@_exported import TorchTensor`), and CChecksum's C file compiled by
# clang with the same sanitizers. Usage: tools/fuzz/build.sh [OUTPUT_DIR]
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
cp -R Sources/TorchTensor Sources/TorchCheckpoint Sources/CZip Sources/CChecksum "$SNAPSHOT/"
cp tools/fuzz/FuzzEntry.swift "$SNAPSHOT/"
# One module: the tensor core's sources join the reader's, so the reader's import of it goes.
grep -rl '^@_exported import TorchTensor$' "$SNAPSHOT/TorchCheckpoint" | xargs -r sed -i 's/^@_exported import TorchTensor$//'
mapfile -t SOURCES < <(find "$SNAPSHOT/TorchTensor" "$SNAPSHOT/TorchCheckpoint" -name '*.swift' | LC_ALL=C sort)
# SwiftPM generates CChecksum's module map; outside SwiftPM the snapshot gets one.
printf 'module CChecksum {\n    header "cchecksum.h"\n    export *\n}\n' > "$SNAPSHOT/CChecksum/include/module.modulemap"
CLANG="${CLANG:-$(dirname "$SWIFTC")/clang}"
mkdir -p "$OUT/obj"
"$CLANG" -c -O2 -g -fsanitize=fuzzer-no-link,address -I "$SNAPSHOT/CChecksum/include" \
  "$SNAPSHOT"/CChecksum/*.c -o "$OUT/obj/cchecksum.o"
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
  -sanitize=fuzzer,address -O -g -use-ld=lld -package-name TorchRecurrent \
  -I "$SNAPSHOT/CZip" -I "$SNAPSHOT/CChecksum/include" "${FLAGS[@]}" \
  "${SOURCES[@]}" "$SNAPSHOT/FuzzEntry.swift" "$OUT/obj/cchecksum.o" \
  -o "$OUT/ptfuzz"
