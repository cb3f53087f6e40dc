#!/bin/bash
# Part 2 of studies/gpu/run.sh (run it through that): issue #13's GPU check, every figure of its
# Done-when, as far as PART_BUDGET goes:
#
#   batch 16 and 64 x fp32 and bf16, eager and CUDA-graphed, with the data share of a step and
#   MFU (FLOPs/image from torch.utils.flop_counter, the peak from an 8192^3 bf16 matmul timed in
#   the same process); a torch.profiler summary of an eager and a graphed step (kernel time vs
#   gaps, host syncs); images/s inside real `zi2zi train` runs (from their metrics.jsonl); then
#   torch.compile, eager and graphed (slowest to start, so last).
#
# It is bench/run_all.py --plan gpu-check with a time budget: each child has a limit and the
# suite file is rewritten after each one, so a cut-short run keeps what it measured. Into OUT:
# gpu-check-<gpu>-<date>.json (copy it into bench/results/, then
# `python bench/report.py --update-readme`); the report table goes to the log.
# From run.sh's environment: ROOT, OUT, PY, DEV, SMALL, PART_BUDGET; ONLY="NAMES" runs some
# parts of the plan only.
set -u
T0=$(date +%s); t() { echo "[speed t+$(( $(date +%s) - T0 ))s] $*"; }
END=$(( T0 + ${PART_BUDGET:-170} - 15 ))   # run_all must end by then: 15 s for the report table
ONLY=${ONLY:-}
cd "$ROOT" || exit 1

t "start ($DEV, small=$SMALL, ${PART_BUDGET:-170}s)"
GPU=$(cd bench && $PY -c "from _glyphs import machine_slug; print(machine_slug('$DEV'))")
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())"

RESULT="$OUT/gpu-check-$GPU-$(date -u +%F)${ONLY:+-rerun}.json"
[[ $SMALL == 1 ]] && RESULT="$OUT/gpu-check-$GPU-rehearsal.json"
ARGS=(); [[ $SMALL == 1 ]] && ARGS=(--small)
# shellcheck disable=SC2206
[[ -n $ONLY ]] && ARGS+=(--only $ONLY)
BUDGET=$(( END - $(date +%s) ))   # what the probes above left
t "run_all --plan gpu-check -> $(basename "$RESULT"), budget ${BUDGET}s"
$PY bench/run_all.py --plan gpu-check --device "$DEV" "${ARGS[@]}" --budget-s "$BUDGET" \
  --out "$RESULT"
t "run_all exit $?"
[[ -f $RESULT ]] && $PY bench/report.py "$RESULT"
t "done"
