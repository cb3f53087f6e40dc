#!/bin/bash
# Part 1 of studies/gpu/run.sh (run it through that): issue #14's 256 px confirmation. Several
# configurations trained SIDE BY SIDE on one GPU, the same step budget (STEPS, so that
# --lr-schedule linear reaches zero) and seed for each, under one wall-clock cap derived from
# PART_BUDGET (a run still going then is stopped with a checkpoint; its log says at which step),
# each evaluated on the full val split, each generating a few hundred missing characters that
# assemble traces into a font (re-render IoU). With fonts/NotoSansCJK-Regular.ttc, one more
# run: the defaults on form-true source pairs, face 0 (Japanese) of that collection -> Zen Maru
# Gothic, so that source and target draw the same character forms. See docs/quality.md.
#
# From run.sh's environment: ROOT, OUT, PY, DEV, SMALL, PART_BUDGET (seconds for everything
# here, packing included). Settings: STEPS (per configuration), CONFIGS (which of the named
# configurations below, space-separated). Into OUT: quality-<px>px.png and quality.tgz (the
# report tables and JSON, logs, metrics.jsonl, configs, eval metrics, per-glyph CSVs).
set -u
T0=$(date +%s); t() { echo "[quality t+$(( $(date +%s) - T0 ))s] $*"; }
BUDGET=${PART_BUDGET:-360}; PACK=10
left() { echo $(( T0 + BUDGET - PACK - $(date +%s) )); }   # seconds until packing must start
atleast5() { echo $(( $1 > 5 ? $1 : 5 )); }
CONFIGS=${CONFIGS:-"base d0noaug bestedge"}
CJK=$ROOT/fonts/NotoSansCJK-Regular.ttc

# The named configurations (flags on top of the shared ones below). At 256 px the edge radius is
# the 64 px experiments' 2 px scaled by 4. Default: the defaults, dropout 0 + no augmentation
# (the two settings that each helped at 64 px), and the best 64 px run (docs/quality.md).
declare -A FLAGS=(
  [base]=""
  [best]="--dropout 0 --lr-schedule linear --no-augment"
  [d0noaug]="--dropout 0 --no-augment"
  [bestedge]="--dropout 0 --lr-schedule linear --no-augment --edge-weight 2 --edge-radius 8"
  [combo]="--dropout 0 --lr-schedule linear --no-augment --edge-weight 2 --edge-radius 8 --d-scales 2 --fm-weight 10"
  [edge]="--edge-weight 2 --edge-radius 8"
  [msd]="--d-scales 2 --fm-weight 10"
)

W=${WORK:-/tmp/gpu-quality}; rm -rf "$W"; mkdir -p "$W"; cd "$W" || exit 1
if [[ $DEV == cuda ]]; then
  (nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 5 > gpu-util.csv 2>/dev/null &)
fi
F=$ROOT/fonts
if [[ $SMALL == 1 ]]; then  # 64 px (the smallest size a 2-scale D fits), ~600 characters, tiny nets
  SIZE=64; CS=(--charset U+4E00-U+51FF); NET=(--base-channels 8 --d-base-channels 8 --batch-size 8)
  GEN_LIMIT=20; EXTRA=(--val-every 20 --checkpoint-every 20 --log-every 10); STEPS=${STEPS:-40}
  POST=60   # seconds kept for eval, generate, assemble and the report
else
  # Alone, one process at batch 64 bf16 compiled made 2,616 steps in 3.5 min on an H200; three
  # sharing the chip were expected to make ~3-4 steps/s each after compiling.
  SIZE=256; CS=(); NET=(--batch-size 64 --compile); GEN_LIMIT=300
  EXTRA=(--val-every 400 --checkpoint-every 400); STEPS=${STEPS:-800}
  POST=110
fi

pack() {  # what exists now goes to OUT, whatever stopped us
  local files=()  # each run's metrics log, config and eval reports (run_files.py names them)
  mapfile -t files < <($PY "$ROOT/studies/gpu/run_files.py" metrics,config,eval runs/*)
  tar czf "$OUT/quality.tgz" gpu-util.csv ./*.log report*.md results-*.json "${files[@]}" 2>/dev/null
  [[ -f quality.png ]] && cp quality.png "$OUT/quality-${SIZE}px.png"
  t "packed: $(tar tzf "$OUT/quality.tgz" 2>/dev/null | wc -l) files in quality.tgz"
}
trap 'pack; exit 130' INT TERM

t "build ${SIZE} px: Noto Sans TC -> Zen Maru Gothic, and the form-true pairs beside it"
glyphrender build --src "$F/NotoSansTC_400Regular.ttf" --dst "$F/ZenMaruGothic_400Regular.ttf" \
  --out data/zm --size $SIZE "${CS[@]}" --workers "$(nproc)" > build.log 2>&1 &
TC_BUILD=$!
if [[ -f $CJK ]]; then  # face 0 (Japanese) of the collection -> Zen Maru: same character forms
  glyphrender build --src "$CJK" --src-index 0 --dst "$F/ZenMaruGothic_400Regular.ttf" \
    --out data/jp --size $SIZE "${CS[@]}" --workers "$(nproc)" > build-jp.log 2>&1 &
  JP_BUILD=$!
fi
wait $TC_BUILD || { cat build.log; pack; exit 1; }
declare -A DATA; for name in $CONFIGS; do DATA[$name]=data/zm; done
if [[ ! -f $CJK ]]; then
  t "jpsource (form-true source pairs): skipped, $CJK is missing (python3 scripts/fetch_fonts.py)"
elif wait $JP_BUILD; then
  # jpquality: zi2zi's --preset quality (issue #25, studies/quality-30min) on the same pairs;
  # at 256 px with the default widths and the edge radius scaled by 4, as its header says.
  QUALITY="--preset quality"; [[ $SMALL == 1 ]] || QUALITY+=" --base-channels 64 --d-base-channels 64 --edge-radius 8"
  CONFIGS="$CONFIGS jpsource jpquality"; FLAGS[jpsource]=""; FLAGS[jpquality]=$QUALITY
  DATA[jpsource]=data/jp; DATA[jpquality]=data/jp
else
  t "jpsource: skipped, its build failed:"; tail -n 3 build-jp.log
fi
t "built"

TRAIN_S=$(( $(left) - POST ))
if (( TRAIN_S < 20 )); then
  t "train: skipped, ${TRAIN_S}s left for it after keeping ${POST}s for eval and the report"
  pack; exit 0
fi
t "train ${CONFIGS} side by side: $STEPS steps each, at most ${TRAIN_S}s"  # SIGINT: checkpoint, exit 0
pids=()
for name in $CONFIGS; do
  # shellcheck disable=SC2086  # FLAGS holds several words
  timeout -s INT -k 30 "$TRAIN_S" zi2zi train --shards "${DATA[$name]}" --run "runs/$name" \
    --device "$DEV" --steps "$STEPS" --seed 1 --best-metric val_iou --sample-every 1000000 \
    "${NET[@]}" "${EXTRA[@]}" ${FLAGS[$name]} > "train-$name.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for name in $CONFIGS; do echo "== $name"; tail -n 2 "train-$name.log"; done

STEP_S=$(atleast5 $(( ($(left) - 20) / 2 )))  # eval + generate, then assemble; 20 s for the report
t "eval (full val split, last checkpoint) + generate $GEN_LIMIT missing characters (${STEP_S}s)"
pids=()
for name in $CONFIGS; do
  ( timeout -s INT -k 5 "$STEP_S" zi2zi eval --run "runs/$name" --checkpoint last --device "$DEV" \
      > "eval-$name.log" 2>&1
    timeout -s INT -k 5 "$STEP_S" zi2zi generate --run "runs/$name" --checkpoint last \
      --limit $GEN_LIMIT --out "gen/$name" --device "$DEV" > "generate-$name.log" 2>&1 ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

ASM_S=$(atleast5 $(( $(left) - 20 )))
t "assemble (re-render IoU, ${ASM_S}s)"
pids=()
for name in $CONFIGS; do
  timeout -k 5 "$ASM_S" glyphrender assemble --base "$F/ZenMaruGothic_400Regular.ttf" \
    --glyphs "gen/$name" --out "font-$name.ttf" > "assemble-$name.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for name in $CONFIGS; do echo "== $name"; grep -hE "checkpoint|^(model|copy_source|blank) " "eval-$name.log"
  grep -h "re-rendered" "assemble-$name.log" || tail -n 3 "assemble-$name.log"; done

t "report"
FORMS=(); [[ -f $CJK ]] && FORMS=(--forms "$F/NotoSansTC_400Regular.ttf" "$CJK#0")
runs=(); jp_runs=()
for name in $CONFIGS; do
  if [[ $name == jp* ]]; then jp_runs+=(--run "$name=runs/$name"); else runs+=(--run "$name=runs/$name"); fi
done
timeout "$(atleast5 "$(left)")" $PY "$ROOT/studies/quality-64px/report.py" --dataset data/zm \
  "${runs[@]}" "${FORMS[@]}" --png quality.png --json "results-${SIZE}px.json" > report.md 2> report.err
if (( ${#jp_runs[@]} )); then  # their own dataset, so their own table
  $PY "$ROOT/studies/quality-64px/report.py" --dataset data/jp "${jp_runs[@]}" \
    --json "results-${SIZE}px-jpsource.json" > report-jpsource.md 2>> report.err
fi
cat report*.md report.err
pack; t "done"
