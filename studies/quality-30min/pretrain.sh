#!/bin/sh
# Issue 25: the multi-font model that the `quality-zoo` recipe of run.sh fine-tunes from.
# Builds data/zoo64 (scripts/build_zoo.py: Noto Sans JP -> the eleven zoo fonts of
# docs/few-shot.md; Zen Maru Gothic and Zen Kaku Gothic New are held out, and a character is val
# in every style, so the study's 666 val characters are never trained on in any style), then
# trains the preset's model (`--preset quality`: the same shapes, so the weights carry over)
# on all eleven styles for STEPS steps with the preset's cosine decay over them.
#
# Usage: sh studies/quality-30min/pretrain.sh [STEPS]     (default 8,000: 33 minutes on 2 idle
#        CPU cores, 128,000 pairs seen: 1.7 passes over the zoo's 75,069)
# The run lands in ${OUT:-runs/quality-30min}/zoo-pretrain with zoo-pretrain.log beside it
# (load averages at start and end). Noto Sans JP renders exactly the pixels of the study's
# source, face 0 of Noto Sans CJK (the two 64 px datasets are byte-identical), so the
# pretrained model knows the study's source.
set -eu
cd "$(dirname "$0")/../.."
STEPS=${1:-8000}
OUT=${OUT:-runs/quality-30min}
PY=${PY:-.venv/bin/python}
. studies/code-snapshot.sh  # runs use the committed code, not the working tree
ZCLI="import sys; from zi2zi_core.cli import main; sys.exit(main())"

DATA=data/zoo64
[ -f "$DATA/manifest.json" ] || $PY scripts/build_zoo.py --glyph-px 64 --out "$DATA"
run=$OUT/zoo-pretrain
last=$run/checkpoints/ckpt-$(printf %08d "$STEPS").pt
[ -f "$last" ] && { echo "$run: done already ($last)"; exit 0; }
{
    date -u +"start %FT%TZ"
    uptime
    # Validation on 512 of the zoo's 8,418 val pairs: a progress line, not a result.
    OMP_WAIT_POLICY=ACTIVE $PY -c "$ZCLI" train --preset quality --steps "$STEPS" --seed 0 \
        --threads 2 --shards "$DATA" --run "$run" --device cpu --val-every 2000 \
        --val-max-samples 512 --sample-every 2000 --checkpoint-every 2000 --log-every 100
    uptime
    date -u +"end %FT%TZ"
} >> "$run.log" 2>&1
