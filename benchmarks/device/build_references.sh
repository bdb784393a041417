#!/usr/bin/env bash
# Continue a potential's offline reference-set build on the device machine (GPU, 16 cores):
# unpack the packages pack.py made for that potential (.device/site.tar.xz), copy the carried
# embedded store .device/store (a local build's store: its finished phases are reused), compute
# the phases named in .device/only.txt in that order for at most BUDGET_S seconds, and leave the
# store, the data file and the log in OUT. Back here, `ssbscreen store copy` adds the store's
# results to the local build's store, and a rerun of `references build` writes the set.
# Usage: bash benchmarks/device/build_references.sh OUT MODEL [BUDGET_S]
set -uo pipefail
out=${1:?usage: build_references.sh OUT MODEL [BUDGET_S]}
model=${2:?usage: build_references.sh OUT MODEL [BUDGET_S]}
budget_s=${3:-420}
site=/tmp/ssbscreen-site
mkdir -p "$site" && tar -xJf .device/site.tar.xz -C "$site" --strip-components=1 || exit 1
export PYTHONPATH="$site:$PWD/src" HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
rm -rf /tmp/store && cp -r .device/store /tmp/store
# SIGINT at the budget: jobflow stops between jobs' writes, and every finished phase is stored
timeout -s INT "$budget_s" python3 -m ssbscreen.cli references build --model "$model" \
    --store embedded:///tmp/store --out "$out/references.json.gz" --only $(cat .device/only.txt) \
    2>&1 | grep -v "^\s*$" | tee "$out/build.log" | grep -E "Starting job.*relax|Finished|error|wrote"
mkdir -p "$out/store" && cp -r /tmp/store/. "$out/store/"
