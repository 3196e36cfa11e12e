#!/usr/bin/env bash
# The README's first command: install what is missing, build ptconvert and the
# charlm example in release mode, then run them end to end on the bundled
# character-level language model (trained with real PyTorch by
# tools/train_charlm.py): inspect it, convert it to safetensors, verify it and
# the other golden fixtures against torch's results, and generate text in Swift
# from the converted file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-system-deps.sh
echo "== building ptconvert and charlm (release)"
swift build -c release --product ptconvert
swift build -c release --product charlm
bin="$(swift build -c release --show-bin-path)"
out=/tmp/ptconvert-quickstart
mkdir -p "$out"

echo
echo "== 1. ptconvert inspect fixtures/charlm/model.pt   (Embedding -> 2-layer LSTM -> Linear, float16)"
"$bin/ptconvert" inspect fixtures/charlm/model.pt

echo
echo "== 2. ptconvert convert fixtures/charlm/model.pt $out/charlm.safetensors"
"$bin/ptconvert" convert --quiet fixtures/charlm/model.pt "$out/charlm.safetensors"
echo "wrote $out/charlm.safetensors: $("$bin/ptconvert" inspect "$out/charlm.safetensors" | grep -E '^[0-9]+ tensors, ')"

echo
echo "== 3. ptconvert verify fixtures/charlm/   (the Swift layers vs. torch on the trained model)"
"$bin/ptconvert" verify fixtures/charlm/
echo "== ptconvert verify fixtures/golden/*/   (every other bundled fixture; PASS lines omitted)"
status=0
"$bin/ptconvert" verify fixtures/golden/*/ > "$out/verify.txt" || status=$?
grep -v '^PASS' "$out/verify.txt" || true
if [ "$status" -ne 0 ]; then exit "$status"; fi

echo
echo "== 4. charlm $out/charlm.safetensors --vocab fixtures/charlm/vocab.json --prompt 'The '"
echo "   (greedy, one character at a time through Embedding, the LSTM's stream and Linear;"
echo "    the same 300 characters torch generates: Tests/CharLMTests)"
echo
"$bin/charlm" "$out/charlm.safetensors" --vocab fixtures/charlm/vocab.json --prompt "The "
