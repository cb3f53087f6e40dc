#!/bin/bash
# Issue #13's GPU check in one device command: every figure of its Done-when.
#
#   batch 16 and 64 x fp32 and bf16, eager and CUDA-graphed, with the data share of a step and
#   MFU (FLOPs/image from torch.utils.flop_counter, the peak from an 8192^3 bf16 matmul timed in
#   the same process); a torch.profiler summary of an eager and a graphed step (kernel time vs
#   gaps, host syncs); images/s inside real `zi2zi train` runs (from their metrics.jsonl); then
#   torch.compile, eager and graphed (slowest to start, so last).
#
# It is bench/run_all.py --plan gpu-check with a time budget: each child has a limit and the
# suite file is rewritten after each one, so a cut-short run keeps what it measured.
#
# On the GPU machine (device tool `run`; nothing to carry: the data are synthetic):
#   command:   bash bench/gpu_check.sh       carry: [".whl"] (optional)       timeout_s: 540
# A second call can redo some parts in the time left, e.g. ONLY="train-graphs" BUDGET=150.
# Rehearsal on the CPU (tiny model, same code paths; the graph step runs its body eagerly):
#   SMALL=1 DEV=cpu PY=.venv/bin/python OUT=/tmp/gpu-check-rehearsal bash bench/gpu_check.sh
# Then copy $OUT/<date>-<gpu>-gpu-check.json into bench/results/ and run
# `python bench/report.py --update-readme`.
#
# Under $OUT (at most 8 files come back): the suite JSON, log.txt (everything printed, with
# the report table at the end) and gpu-util.csv (nvidia-smi every 2 s).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
export PYTHONUNBUFFERED=1
T0=$(date +%s); t() { echo "[t+$(( $(date +%s) - T0 ))s] $*"; }
SMALL=${SMALL:-0}; DEV=${DEV:-cuda}; PY=${PY:-python3}
BUDGET=${BUDGET:-$([[ $SMALL == 1 ]] && echo 1500 || echo 480)}   # seconds for run_all
ONLY=${ONLY:-}                                   # run_all --only NAMES (space-separated)

# The GPU machine lacks freetype-py (glyphrender's renderer); these benches never render, but a
# carried wheel is installed when present so `import glyphrender` works either way.
if ls "$ROOT"/.whl/*.whl >/dev/null 2>&1 && ! $PY -c "import freetype" 2>/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$ROOT"/.whl/*.whl
fi
export PYTHONPATH=/tmp/site:$ROOT/packages/glyphrender/src:$ROOT/packages/zi2zi_core/src
cd "$ROOT"

t "start ($DEV, small=$SMALL, budget ${BUDGET}s)"
GPU=cpu
if [[ $DEV == cuda ]]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr 'A-Z' 'a-z' \
        | sed 's/nvidia //; s/[^a-z0-9].*//')
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 2 \
    > "$OUT/gpu-util.csv" 2>/dev/null &
  SMI=$!
fi
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())"

RESULT="$OUT/$(date -u +%F)-$GPU-gpu-check${ONLY:+-rerun}.json"
SMALL_ARG=(); [[ $SMALL == 1 ]] && SMALL_ARG=(--small)
# shellcheck disable=SC2206
[[ -n $ONLY ]] && SMALL_ARG+=(--only $ONLY)
t "run_all --plan gpu-check -> $(basename "$RESULT")"
$PY bench/run_all.py --plan gpu-check --device "$DEV" "${SMALL_ARG[@]}" --budget-s "$BUDGET" \
  --out "$RESULT"
t "run_all exit $?"

[[ -f $RESULT ]] && $PY bench/report.py "$RESULT"
[[ $DEV == cuda ]] && kill "$SMI" 2>/dev/null
ls -la "$OUT"; t "done"
