#!/usr/bin/env bash
# The GPU form of the benchmark suite, on the device machine (Python 3.12, CUDA PyTorch, no
# network): unpack the packages benchmarks/device/pack.py made (.device/site.tar.xz), then run
# the batched-relaxation, NEB and phonon benchmarks of benchmarks/run_all.py within a time
# budget; results.md, results.json and scaling.png go to OUT.
# Usage: bash benchmarks/device/run.sh OUT [BUDGET_S] [--quick]
set -euo pipefail
out=${1:?usage: run.sh OUT [BUDGET_S] [--quick]}
budget_s=${2:-420}
quick=${3:-}
site=/tmp/ssbscreen-site
if [ -f .device/site.tar.xz ]; then
    mkdir -p "$site" && tar -xJf .device/site.tar.xz -C "$site" --strip-components=1
    export PYTHONPATH="$site:${PYTHONPATH:-}"
fi
export PYTHONPATH="$PWD/src:$PWD:${PYTHONPATH:-}" HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c "import torch, chgnet.model.dynamics, sevenn.calculator, torch_sim, phonopy, ssbscreen; \
print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.version.cuda)" || true
python3 benchmarks/run_all.py --out "$out" --budget-s "$budget_s" $quick \
    --only neb_batching phonon_batching batched_relaxation
