#!/bin/sh
# The few-shot study's cells continued from 600 to STEPS (default 1200) steps: each run of
# studies/few-shot/study.sh is copied to OUT and resumed there (constant learning rate and exact
# resume, so this is the STEPS-step run), then evaluated like the 600-step cells. Same code
# snapshot, threads and nice level as study.sh.
# Usage: sh studies/few-shot/extend.sh [STUDY [OUT]]   (runs/fewshot-study -> runs/fewshot-study-1200)
set -eu
cd "$(dirname "$0")/../.."
STUDY=${1:-runs/fewshot-study}
OUT=${2:-runs/fewshot-study-1200}
STEPS=${STEPS:-1200}
NICE=${NICE:-5}
PY=.venv/bin/python
ZCLI="import sys; from zi2zi_core.cli import main; sys.exit(main())"
CODE=$(ls -d "$STUDY"/code-* | head -n 1)
export PYTHONPATH=$CODE/packages/zi2zi_core/src:$CODE/packages/glyphrender/src
export OMP_NUM_THREADS=1
mkdir -p "$OUT"
for name in n100-scratch n100-finetune n300-scratch n300-finetune n1000-scratch n1000-finetune \
    all-scratch all-finetune tc-all-scratch; do
    [ -d "$OUT/$name" ] || cp -r "$STUDY/$name" "$OUT/$name"
    rm -rf "$OUT/$name/eval"
    {
        date -u +"start %FT%TZ"
        nice -n "$NICE" $PY -c "$ZCLI" train --run "$OUT/$name" --resume --steps "$STEPS"
        nice -n "$NICE" $PY -c "$ZCLI" eval --run "$OUT/$name" --checkpoint last \
            --device cpu --batch-size 64
        date -u +"end %FT%TZ"
    } > "$OUT/$name.log" 2>&1 &
done
wait
