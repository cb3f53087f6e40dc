#!/bin/sh
# Issue 20 study, training half: Zen Maru Gothic Regular trained from the JP face of Noto Sans CJK
# (form-true pairs: the source draws the target's Japanese forms) and from its TC face (TC pairs),
# same charset (big5-han: the split is a seeded hash of the code point, so both datasets hold the
# same 4,985 train and 542 val characters), 64 px, the demo-size model (16 base channels for G and
# D, batch 16, dropout 0, no augmentation), STEPS (1,200) steps, seeds 1 and 2; then `zi2zi eval
# --checkpoint last` on each run's own val split. Runs one after another, one torch thread.
#
# Usage: sh studies/tc-font/train.sh [OUT]   (OUT defaults to runs/tc-font; needs fonts/ from
# `python3 scripts/fetch_fonts.py`, including NotoSansCJK-Regular.ttc). Then studies/tc-font/measure.py.
set -eu
cd "$(dirname "$0")/../.."
OUT=${1:-runs/tc-font}
STEPS=${STEPS:-1200}
PY=${PY:-.venv/bin/python}
CJK=fonts/NotoSansCJK-Regular.ttc
DST=fonts/ZenMaruGothic_400Regular.ttf
. studies/code-snapshot.sh  # runs use the committed code, not the working tree
export OMP_NUM_THREADS=1
GCLI="import sys; from glyphrender.cli import main; sys.exit(main())"
ZCLI="import sys; from zi2zi_core.cli import main; sys.exit(main())"

for region in jp:0 tc:3; do
    name=${region%:*} face=${region#*:}
    if [ ! -f "data/maru64-big5-$name/manifest.json" ]; then
        $PY -c "$GCLI" build --src $CJK --src-index "$face" --dst $DST --charset big5-han \
            --size 64 --workers 1 --out "data/maru64-big5-$name"
    fi
done

COMMON="--steps $STEPS --batch-size 16 --base-channels 16 --d-base-channels 16 --dropout 0 \
 --no-augment --val-every 500 --checkpoint-every 500 --sample-every 500 --log-every 50 --device cpu"
for seed in 1 2; do
    for name in jp tc; do
        run=$OUT/$name-s$seed
        [ -f "$run/eval/last-val/metrics.json" ] && continue
        {
            date -u +"start %FT%TZ"
            uptime
            if [ -d "$run/checkpoints" ]; then  # stopped earlier: continue it exactly
                $PY -c "$ZCLI" train --run "$run" --resume --steps "$STEPS"
            else
                $PY -c "$ZCLI" train $COMMON --seed "$seed" --shards "data/maru64-big5-$name" --run "$run"
            fi
            $PY -c "$ZCLI" eval --run "$run" --checkpoint last --device cpu --batch-size 64
            uptime
            date -u +"end %FT%TZ"
        } >> "$run.log" 2>&1
    done
done
