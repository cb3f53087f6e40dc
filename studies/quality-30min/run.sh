#!/bin/sh
# Issue 25: one run of the 64 px CPU quality study. A recipe trains for at most BUDGET_S
# seconds of wall time (1,800: 30 minutes) on form-true pairs, then `zi2zi eval --checkpoint
# last` scores it on the full val split. A recipe with a fixed step count ends on its own; the
# baseline (constant learning rate, 100,000 steps) is stopped by SIGTERM at the budget, which
# makes the trainer finish its step and write the checkpoint that eval reads.
#
# Usage: sh studies/quality-30min/run.sh RECIPE SEED [PAIR]
#   RECIPE  baseline | quality | quality-v1 | quality-half | quality-aug | quality-zoo
#           | quality-zoo-2k | refine1 | wide24 | edge2 | drop50 | bneck4 | l1x4 | l1x16 | attn
#           | short (the TC font chain's model and length: the baseline over 1,200 steps)
#           | quality-dist3 (the preset drawing a distance map cut at 3 px: --g-distance-px 3)
#           | quality-fm (the preset with pix2pixHD feature matching: --fm-weight 160)
#           | quality-hinge (the preset with the hinge GAN objective: --adversarial hinge)
#           | quality-fm1600 (feature matching at the L1's own weight: --fm-weight 1600)
#           | quality-ema9998 (the generator's weight average over ~5,000 steps, not ~1,000:
#             --ema-decay 0.9998)
#           (recipes below; the quality-zoo ones need pretrain.sh first)
#   SEED    1, 2, ...
#   PAIR    maru (Noto Sans CJK JP -> Zen Maru Gothic Regular, the pair the study tunes on)
#           | kaku (Noto Sans CJK JP -> Zen Kaku Gothic New, the check it never tuned on)
#           | kaku2maru (Zen Kaku Gothic New -> Zen Maru Gothic: a diagnostic, not a goal pair.
#             The source has the target's skeletons, so what is left is the stroke style)
#           | bold2maru (Zen Maru Gothic Bold -> Regular: the same skeletons again, but a source
#             that copies onto the target worse than Noto does, for its weight)
#           | blend2maru (Noto Sans CJK JP blended with BIZ UDPGothic, Kiwi Maru and Noto Serif
#             JP -> Zen Maru Gothic: glyphrender build --blend, each source glyph the mean of
#             four designs; the same val characters)
#           | blend2kaku (the same blend -> Zen Kaku Gothic New: the blend on the check pair)
#           | six2maru, six2kaku (Noto Sans CJK JP blended with the five designs blend_search.py
#             picked on train characters: BIZ UDPGothic, Kaisei Decol, Kiwi Maru, Klee One and
#             Zen Old Mincho -> Zen Maru Gothic, -> Zen Kaku Gothic New)
#           | serif2maru (Noto Sans CJK JP blended with Noto Serif JP alone: both designs have
#             Traditional Chinese faces, so a TC font could use the blend)
#           | partial2maru (six2maru with each train source blended from the source and a random
#             subset of the five, none to all: partial_blend.py; val is six2maru's)
#           | big5maru (maru over the big5-han charset, the TC font chain's dataset: other val
#             characters, for tc_side.py's form fidelity)
#           | big5same (big5maru over the big5-han characters whose JP and TC faces of Noto Sans
#             CJK share one glyph, `glyphrender forms`: no train target shows a Japanese form
#             that Taiwan's differs from; for tc_side.py)
#           | ref2maru (maru with each source also showing, at a third of full ink, Zen Maru's
#             glyph of the train character whose Noto glyph is nearest: ref_source.py)
# Runs land in ${OUT:-runs/quality-30min}/PAIR-RECIPE-sSEED with a .log beside each (load
# averages at start and end: the study wants both cores idle). Needs fonts/ from
# `python3 scripts/fetch_fonts.py`. Then: python3 studies/quality-30min/report.py.
set -eu
cd "$(dirname "$0")/../.."
RECIPE=$1 SEED=$2 PAIR=${3:-maru}
OUT=${OUT:-runs/quality-30min}
BUDGET_S=${BUDGET_S:-1800}
PY=${PY:-.venv/bin/python}
. studies/code-snapshot.sh  # runs use the committed code, not the working tree
GCLI="import sys; from glyphrender.cli import main; sys.exit(main())"
ZCLI="import sys; from zi2zi_core.cli import main; sys.exit(main())"

SRC=fonts/NotoSansCJK-Regular.ttc
# The blend pairs' three designs beside Noto (glyphrender build --blend: each glyph the mean).
FOUR="--blend fonts/BIZUDPGothic_400Regular.ttf --blend fonts/KiwiMaru_400Regular.ttf"
FOUR="$FOUR --blend fonts/NotoSerifJP_400Regular.ttf"
# The five blend_search.py picked (the best skeleton F1 on every 9th train character).
SIX="--blend fonts/BIZUDPGothic_400Regular.ttf --blend fonts/KaiseiDecol_400Regular.ttf"
SIX="$SIX --blend fonts/KiwiMaru_400Regular.ttf --blend fonts/KleeOne_400Regular.ttf"
SIX="$SIX --blend fonts/ZenOldMincho_400Regular.ttf"
case $PAIR in
    maru) DST=fonts/ZenMaruGothic_400Regular.ttf ;;
    kaku) DST=fonts/ZenKakuGothicNew_400Regular.ttf ;;
    kaku2maru) SRC=fonts/ZenKakuGothicNew_400Regular.ttf DST=fonts/ZenMaruGothic_400Regular.ttf ;;
    bold2maru) SRC=fonts/ZenMaruGothic_700Bold.ttf DST=fonts/ZenMaruGothic_400Regular.ttf ;;
    blend2maru) DST=fonts/ZenMaruGothic_400Regular.ttf BLEND=$FOUR ALONE=maru ;;
    blend2kaku) DST=fonts/ZenKakuGothicNew_400Regular.ttf BLEND=$FOUR ALONE=kaku ;;
    six2maru) DST=fonts/ZenMaruGothic_400Regular.ttf BLEND=$SIX ALONE=maru ;;
    six2kaku) DST=fonts/ZenKakuGothicNew_400Regular.ttf BLEND=$SIX ALONE=kaku ;;
    serif2maru) DST=fonts/ZenMaruGothic_400Regular.ttf BLEND="--blend fonts/NotoSerifJP_400Regular.ttf" ALONE=maru ;;
    partial2maru) DST=fonts/ZenMaruGothic_400Regular.ttf BLEND=$SIX ALONE=maru FULL=data/six2maru-jp64
        DERIVE=partial_blend.py ;;
    big5same) DST=fonts/ZenMaruGothic_400Regular.ttf CHARSET="--charset data/big5-same-form.txt" ;;
    ref2maru) DST=fonts/ZenMaruGothic_400Regular.ttf FULL=data/maru-jp64 DERIVE=ref_source.py ;;
    big5maru) DST=fonts/ZenMaruGothic_400Regular.ttf CHARSET="--charset big5-han" ;;
    *) echo "run.sh: unknown pair '$PAIR' (maru, kaku, kaku2maru, bold2maru, blend2maru, blend2kaku, six2maru, six2kaku, serif2maru, partial2maru, big5maru, big5same or ref2maru)" >&2
        exit 2 ;;
esac
DATA=data/$PAIR-jp64
BUILT=${FULL:-$DATA}  # partial2maru, ref2maru: the dataset whose sources DERIVE draws again
if [ "$PAIR" = big5same ] && [ ! -f data/big5-same-form.txt ]; then
    # The big5-han characters Noto Sans CJK's JP (face 0) and TC (face 3) faces draw with one
    # glyph, as U+XXXX lines (a charset file): written under a temporary name, then renamed.
    $PY -c "$GCLI" forms --a $SRC#0 --b $SRC#3 --charset big5-han --out data/big5-forms.json
    $PY -c "import json, sys; print(''.join(f'U+{c:04X}\\n' for c in json.load(sys.stdin)['same']), end='')" \
        < data/big5-forms.json > data/big5-same-form.txt.tmp
    mv data/big5-same-form.txt.tmp data/big5-same-form.txt
fi
if [ ! -f "$BUILT/manifest.json" ]; then
    $PY -c "$GCLI" build --src $SRC --src-index 0 ${BLEND:-} ${CHARSET:-} --dst $DST --size 64 \
        --out "$BUILT"
fi
if [ ! -f "$DATA/manifest.json" ]; then
    $PY "studies/quality-30min/$DERIVE" "$BUILT" "$DATA"
fi
# A blended pair is also scored from Noto alone (the same val characters and target, the
# unblended pair's dataset): the input it meets where the blend fonts lack a character.
if [ -n "${ALONE:-}" ] && [ ! -f "data/$ALONE-jp64/manifest.json" ]; then
    $PY -c "$GCLI" build --src $SRC --src-index 0 --dst $DST --size 64 --out "data/$ALONE-jp64"
fi

# The issue's baseline: the demo's small model, dropout 0, no augmentation, batch 16.
BASELINE="--base-channels 16 --d-base-channels 16 --dropout 0 --no-augment --batch-size 16 --steps 100000"
# The search: one change each on the baseline, constant learning rate, cut at the budget
# (BUDGET_S=480 for the 8-minute screen), compared with the baseline's curve at that minute.
case $RECIPE in
    baseline) FLAGS=$BASELINE ;;
    quality) FLAGS="--preset quality" ;;
    quality-v1) FLAGS="--preset quality --l1-weight 100" ;;  # the preset before it took l1x16's weight
    quality-half) FLAGS="--preset quality --steps 3200" ;;  # half the schedule: two seeds fit 30 min, averaged
    quality-aug) FLAGS="--preset quality --augment" ;;  # zi2zi's scale-up-and-crop: train IoU 0.90 vs val 0.74
    quality-zoo) FLAGS="--preset quality --init-from $OUT/zoo-pretrain" ;;  # from pretrain.sh's model
    quality-zoo-2k) FLAGS="--preset quality --steps 2000 --init-from $OUT/zoo-pretrain" ;;  # three fit 30 min
    refine1) FLAGS="$BASELINE --g-refine-convs 1" ;;
    wide24) FLAGS="$BASELINE --base-channels 24" ;;  # the last of a repeated flag wins
    edge2) FLAGS="$BASELINE --edge-weight 2 --edge-radius 2" ;;
    drop50) FLAGS="$BASELINE --dropout 0.5" ;;  # zi2zi's dropout in the 3 innermost decoder blocks
    bneck4) FLAGS="$BASELINE --g-bottleneck-px 4" ;;  # 4 levels, a 4x4 code: no global code to memorize
    l1x4) FLAGS="$BASELINE --l1-weight 400" ;;  # the adversarial loss at a quarter of its pull
    l1x16) FLAGS="$BASELINE --l1-weight 1600" ;;
    attn) FLAGS="$BASELINE --attention 16,8" ;;  # SAGAN self-attention after the 16 and 8 px levels
    short) FLAGS="$BASELINE --steps 1200" ;;  # scripts/tc_font.py's defaults
    quality-dist3) FLAGS="--preset quality --g-distance-px 3" ;;  # L1 on distance maps
    quality-fm) FLAGS="--preset quality --fm-weight 160" ;;  # a tenth of the L1's weight, as 10 is of 100
    quality-hinge) FLAGS="--preset quality --adversarial hinge" ;;  # SAGAN's and BigGAN's objective
    quality-fm1600) FLAGS="--preset quality --fm-weight 1600" ;;  # feature matching as heavy as the L1
    quality-ema9998) FLAGS="--preset quality --ema-decay 0.9998" ;;  # averages ~5,000 of the 6,400 steps
    *) echo "run.sh: unknown recipe '$RECIPE'" >&2; exit 2 ;;
esac
case $FLAGS in *zoo-pretrain*)
    [ -f "$OUT/zoo-pretrain/checkpoints/best.pt" ] || {
        echo "run.sh: $OUT/zoo-pretrain has no checkpoint: run studies/quality-30min/pretrain.sh first" >&2
        exit 1
    } ;;
esac

run=$OUT/$PAIR-$RECIPE-s$SEED
[ -f "$run/eval/last-val/metrics.json" ] && { echo "$run: done already"; exit 0; }
{
    date -u +"start %FT%TZ"
    uptime
    # Two spinning torch threads: the study has the machine to itself (the CPU default, one
    # thread, and passive waiting suit a shared machine; see zi2zi_core/cpu_threads.py).
    status=0
    OMP_WAIT_POLICY=ACTIVE timeout -s TERM "$BUDGET_S" $PY -c "$ZCLI" train $FLAGS --seed "$SEED" --threads 2 \
        --shards "$DATA" --run "$run" --device cpu --val-every 1000 --sample-every 2000 \
        --checkpoint-every 2000 --log-every 100 || status=$?
    echo "train exit status $status (124: stopped at the ${BUDGET_S} s budget)"
    uptime
    $PY -c "$ZCLI" eval --run "$run" --checkpoint last --device cpu --batch-size 64
    [ -z "${ALONE:-}" ] || $PY -c "$ZCLI" eval --run "$run" --checkpoint last --device cpu \
        --batch-size 64 --shards "data/$ALONE-jp64" --out "$run/eval/last-val-alone"
    date -u +"end %FT%TZ"
} >> "$run.log" 2>&1
