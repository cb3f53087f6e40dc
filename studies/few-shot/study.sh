#!/bin/sh
# Issue 17 few-shot study: N in {100, 300, 1000, all} x {from scratch, fine-tuned from
# runs/zoo64-pretrain}, Noto Sans JP -> Zen Maru Gothic at 64 px, plus the source-choice cell
# (Noto Sans TC -> Zen Maru Gothic, all train characters, from scratch). Every cell: the demo-size
# model (batch 16, 16 base channels for G and D), STEPS steps, seed 0, the full val split; then
# `zi2zi eval --checkpoint last`. All cells run side by side, one torch thread each, at the same
# nice level as the other training on the shared 2-core machine.
#
# N characters are picked by glyphrender.dataset.fewshot.pick_train_chars (rule spread, seed 0) from the
# 6,016 train characters; each N gets a dataset built from a charset of the picked characters plus
# all 666 val characters (the split is a hash of the code point, so val stays the same 666).
#
# Usage: sh studies/few-shot/study.sh [OUT]   (OUT defaults to runs/fewshot-study; needs data/maru64-jp,
# data/maru64-tc, runs/zoo64-pretrain and fonts/ from `python3 scripts/fetch_fonts.py --zoo`)
set -eu
cd "$(dirname "$0")/../.."
OUT=${1:-runs/fewshot-study}
STEPS=${STEPS:-600}
NICE=${NICE:-5}
PY=.venv/bin/python
ZCLI="import sys; from zi2zi_core.cli import main; sys.exit(main())"
. studies/code-snapshot.sh  # runs use the committed code, not the working tree
export OMP_NUM_THREADS=1
SRC=fonts/NotoSansJP_400Regular.ttf
DST=fonts/ZenMaruGothic_400Regular.ttf

for N in 100 300 1000; do
    if [ ! -f "data/maru64-jp-n$N/manifest.json" ]; then
        $PY - "$N" "$OUT/n$N-spread0.txt" <<'PYEOF'
import sys
from glyphrender.dataset.fewshot import pick_train_chars
from glyphrender.dataset.shards import Dataset
n, out = int(sys.argv[1]), sys.argv[2]
d = Dataset.open("data/maru64-jp")
val = d.read_split("val").codepoint.tolist()
pick = pick_train_chars(d.read_split("train").codepoint.tolist(), n, 0, "spread")
open(out, "w").write("".join(f"U+{c:04X}\n" for c in sorted({*pick, *val})))
PYEOF
        $PY -c "import sys; from glyphrender.cli import main; sys.exit(main())" build --src $SRC --dst $DST --size 64 \
            --charset "$OUT/n$N-spread0.txt" --out "data/maru64-jp-n$N"
    fi
done

COMMON="--steps $STEPS --batch-size 16 --base-channels 16 --d-base-channels 16 \
 --val-every 300 --val-max-samples 0 --checkpoint-every 300 --sample-every 300 --log-every 50 \
 --seed 0 --device cpu"
cell() {  # cell NAME SHARDS [extra train flags...]
    name=$1 shards=$2; shift 2
    {
        date -u +"start %FT%TZ"
        nice -n "$NICE" $PY -c "$ZCLI" train $COMMON --shards "$shards" --run "$OUT/$name" "$@"
        nice -n "$NICE" $PY -c "$ZCLI" eval --run "$OUT/$name" --checkpoint last \
            --device cpu --batch-size 64
        date -u +"end %FT%TZ"
    } > "$OUT/$name.log" 2>&1
}
for N in 100 300 1000; do
    cell "n$N-scratch" "data/maru64-jp-n$N" &
    cell "n$N-finetune" "data/maru64-jp-n$N" --init-from runs/zoo64-pretrain &
done
cell all-scratch data/maru64-jp &
cell all-finetune data/maru64-jp --init-from runs/zoo64-pretrain &
cell tc-all-scratch data/maru64-tc &
wait
uptime > "$OUT/uptime-end.txt"
