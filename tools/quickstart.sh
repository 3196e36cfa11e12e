#!/usr/bin/env bash
# The README's first command: install what is missing, build ptconvert in
# release mode, and run it on bundled checkpoints made by real PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-system-deps.sh
swift build -c release --product ptconvert
bin="$(swift build -c release --show-bin-path)/ptconvert"
echo "== ptconvert inspect fixtures/golden/lstm_realistic/model.pt"
"$bin" inspect fixtures/golden/lstm_realistic/model.pt
echo
echo "== ptconvert convert fixtures/golden/lstm_realistic/model.pt -> /tmp/ptconvert-quickstart/model.safetensors"
mkdir -p /tmp/ptconvert-quickstart
"$bin" convert fixtures/golden/lstm_realistic/model.pt /tmp/ptconvert-quickstart/model.safetensors
"$bin" inspect /tmp/ptconvert-quickstart/model.safetensors | tail -1
echo
echo "== ptconvert verify fixtures/golden/*  (Swift layers vs. golden values from PyTorch)"
"$bin" verify fixtures/golden/*/
