#!/bin/sh
# The few-shot study's tables and picture, from the runs studies/few-shot/study.sh wrote.
# Usage: sh studies/few-shot/report.sh [STUDY [SUFFIX]]   (runs/fewshot-study; SUFFIX names the outputs,
# e.g. -1200 for runs/fewshot-study-1200 -> study-64px-1200.json, few-shot-64px-1200.png)
set -eu
cd "$(dirname "$0")/../.."
STUDY=${1:-runs/fewshot-study}
SUFFIX=${2:-}
export OMP_NUM_THREADS=1
PY=.venv/bin/python
# Tables: N x {scratch, fine-tuned} on the 666 val characters, and the source comparison.
$PY studies/few-shot/summarize.py --study "$STUDY" --json studies/few-shot/study-64px$SUFFIX.json \
    --forms-fonts fonts
# Picture: 16 fixed val characters (spread over the split by code point), source and target,
# then each cell's EMA generator (last checkpoint); studies/quality-64px/report.py draws it.
$PY studies/quality-64px/report.py --dataset data/maru64-jp --checkpoint last \
    --run "100 scratch=$STUDY/n100-scratch" --run "300 scratch=$STUDY/n300-scratch" \
    --run "1000 scratch=$STUDY/n1000-scratch" --run "all scratch=$STUDY/all-scratch" \
    --run "100 fine-tuned=$STUDY/n100-finetune" --run "300 fine-tuned=$STUDY/n300-finetune" \
    --run "1000 fine-tuned=$STUDY/n1000-finetune" --run "all fine-tuned=$STUDY/all-finetune" \
    --png docs/images/few-shot-64px$SUFFIX.png > /dev/null
echo "wrote studies/few-shot/study-64px$SUFFIX.json docs/images/few-shot-64px$SUFFIX.png"
