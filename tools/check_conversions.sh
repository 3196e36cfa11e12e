#!/usr/bin/env bash
# Re-checks with real torch and safetensors that everything `ptconvert convert`
# writes loads in Python bit-identically to its source:
#   every fixtures/checkpoints/*.pt and fixtures/conversion/*.pt converted to
#   .safetensors and to .pt, and the .pt -> .safetensors -> .pt round trip.
# Needs a Python with tools/requirements.txt installed:
#   PYTHON=/tmp/torchenv/bin/python bash tools/check_conversions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
swift build --product ptconvert >/dev/null
bin="$(swift build --show-bin-path)/ptconvert"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
sources="$out/SOURCES.json"
echo "{" > "$sources"
sep=""
add() { printf '%s"%s": "%s"\n' "$sep" "$1" "$2" >> "$sources"; sep=","; }
for f in fixtures/checkpoints/*.pt fixtures/conversion/*.pt; do
  n="$(basename "$f" .pt)"
  args=(--quiet)
  [ "$n" = tensor_alone ] && args+=(--rename '^$=tensor')
  case "$n" in full_model|scripted|torchscript_state) args+=(--full-model) ;; esac
  for ext in safetensors pt; do
    if "$bin" convert "$f" "$out/$n.$ext" "${args[@]}" 2>"$out/err"; then
      add "$n.$ext" "$PWD/$f"
    else
      echo "refused by ptconvert: $n.$ext: $(cat "$out/err")"
    fi
  done
  if [ -f "$out/$n.safetensors" ]; then
    "$bin" convert "$out/$n.safetensors" "$out/$n.roundtrip.pt" --quiet
    add "$n.roundtrip.pt" "$PWD/$f"
  fi
done
echo "}" >> "$sources"
"$python" -W ignore tools/make_conversion_fixtures.py --check "$out"
