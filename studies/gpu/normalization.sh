#!/bin/bash
# Part 3 of studies/gpu/run.sh (run it through that): the normalization study of
# studies/normalization-gpu on one GPU (its README says why these sizes), within PART_BUDGET.
# Phases, each bounded by a deadline derived from PART_BUDGET so the report is always written:
#   1 build Noto Sans TC -> Zen Maru Gothic at 128 px; 2 the grid (grid.toml), seed 0, STEPS
#   steps, JOBS processes side by side, stopped at 70% of the budget (55% with SMALL=1); 3 the
#   top configurations of each batch size again with seed 1, stopped 25 s before the end; 4 the
#   report (seed spread, the claims of claims.toml, the comparison with
#   studies/normalization-cpu-tiny);
#   5 pack into OUT: normalization-report.md and normalization.tgz.
# From run.sh's environment: ROOT, OUT, PY, DEV, SMALL, PART_BUDGET. Knobs: STEPS, JOBS, PICKS.
set -u
STUDY=$ROOT/studies/normalization-gpu
T0=$(date +%s); t() { echo "[normalization t+$(( $(date +%s) - T0 ))s] $*"; }
BUDGET=${PART_BUDGET:-480}
END0=$(( BUDGET * 7 / 10 )); END1=$(( BUDGET - 25 ))   # seconds from T0
# A tiny rehearsal budget would leave the seed-1 phase under its 20 s minimum: share it out so
# both phases run.
[[ $SMALL == 1 ]] && { END0=$(( BUDGET * 11 / 20 )); END1=$(( BUDGET - 15 )); }
left() { echo $(( T0 + $1 - $(date +%s) )); }  # seconds until T0 + $1
if [[ $SMALL == 1 ]]; then
  SIZE=32; STEPS=${STEPS:-30}; JOBS=${JOBS:-2}
  CS=(--charset U+4E00-U+4FFF); WIDTHS=$'base_channels = 8\nd_base_channels = 8\nstyle_dim = 16'
else
  # 27 runs x 1,000 steps: 432,000 images; ~2,000 images/s expected at 128 px (an H200 made
  # 590/s at 256 px with 3 processes; 128 px costs ~1/4) -> ~215 s.
  SIZE=128; STEPS=${STEPS:-1000}; JOBS=${JOBS:-12}
  CS=(); WIDTHS=""
fi
PICKS=${PICKS:-"4:2 16:2 64:1"}                # seed 1: the top N finished runs per batch size
echo "study: SMALL=$SMALL DEV=$DEV SIZE=$SIZE STEPS=$STEPS JOBS=$JOBS END0=$END0 END1=$END1"

W=${WORK:-/tmp/gpu-normalization}; rm -rf "$W"; mkdir -p "$W"; cd "$W" || exit 1
if [[ $DEV == cuda ]]; then
  (nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 5 > gpu-util.csv 2>/dev/null &)
fi

pack() {  # OUT gets the report and one archive (each run's last sample grid only)
  [[ -f sweep/report.md ]] && cp sweep/report.md "$OUT/normalization-report.md"
  local files=() d  # each run's metrics log, config, train log, last sample (run_files.py)
  for d in sweep sweep-seed1; do
    mapfile -t -O "${#files[@]}" files < <($PY "$ROOT/studies/gpu/run_files.py" \
      metrics,config,train-log,last-sample --sweep "$d")
  done
  tar czf "$OUT/normalization.tgz" gpu-util.csv ./*.log grid*.toml sweep/summary.json sweep/plots \
    sweep/sweep.json sweep/sweep-log.jsonl sweep-seed1/report.md sweep-seed1/summary.json \
    sweep-seed1/sweep.json sweep-seed1/sweep-log.jsonl "${files[@]}" 2>/dev/null
  t "packed: $(tar tzf "$OUT/normalization.tgz" 2>/dev/null | wc -l) files in normalization.tgz"
}
trap 'pack; exit 130' INT TERM

# The grids: grid.toml as committed (SMALL: tiny widths added to [base]); seed 1 the same.
if [[ -n $WIDTHS ]]; then
  awk -v w="$WIDTHS" '{print} /^\[base\]$/{print w}' "$STUDY/grid.toml" > grid.toml
else
  cp "$STUDY/grid.toml" grid.toml
fi
sed 's/^seed = 0$/seed = 1/' grid.toml > grid-seed1.toml
grep -q '^seed = 1$' grid-seed1.toml || { echo "grid-seed1.toml: no 'seed = 0' line to change"; exit 1; }

F=$ROOT/fonts
t "1 build at $SIZE px"
glyphrender build --src "$F/NotoSansTC_400Regular.ttf" --dst "$F/ZenMaruGothic_400Regular.ttf" \
  --out data/zm --size $SIZE "${CS[@]}" > build.log 2>&1 || { tail -5 build.log; exit 1; }
tail -2 build.log

# Checkpoints (~0.7 GB each at 128 px) of runs that have ended are deleted as the sweep goes:
# they are not packed and 27 runs of them would fill a small disk.
prune() {
  while sleep 10; do
    for d in sweep sweep-seed1; do
      [[ -f $d/sweep-log.jsonl ]] || continue
      grep -o '"event": "end", "run": "[^"]*"' $d/sweep-log.jsonl | sed 's/.*"run": "//; s/"$//' |
        xargs -r $PY "$ROOT/studies/gpu/run_files.py" checkpoints --sweep "$d" | xargs -r rm -f
    done
  done
}
prune & PRUNE=$!

sweep() {  # sweep OUT GRID END [args...]: stops at T0+END s (its own budget; timeout backs it)
  local out=$1 grid=$2 budget; budget=$(left "$3"); shift 3
  (( budget < 20 )) && { t "no time left for $out"; return 0; }
  timeout -s INT -k 10 $(( budget + 15 )) zi2zi sweep --shards data/zm --grid "$grid" \
    --steps "$STEPS" --out "$out" --device "$DEV" --jobs "$JOBS" --time-budget "$budget" "$@" \
    > "$out.log" 2>&1
  echo "zi2zi sweep exit $?"; grep -E "at a time|time budget|stopped|failed|report of" "$out.log"
}

t "2 sweep, seed 0: $(zi2zi sweep --grid grid.toml --out sweep --list | wc -l) runs, until t+${END0}s"
sweep sweep grid.toml "$END0"

t "3 seed 1 for the top runs ($PICKS per batch size), until t+${END1}s"
ONLY=$($PY - "$PICKS" <<'PYEOF'
import json, sys
picks = dict(map(int, p.split(":")) for p in sys.argv[1].split())
try:
    runs = json.load(open("sweep/summary.json"))["runs"]  # ranked by final val L1
except (OSError, ValueError, KeyError):
    runs = []
done = [r for r in runs if r["status"] == "finished" and r["final"]]
chosen = [r["name"] for b, n in picks.items() for r in [r for r in done if r["batch_size"] == b][:n]]
print(",".join(chosen))
PYEOF
)
echo "seed 1: ${ONLY:-none}"
[[ -n $ONLY ]] && sweep sweep-seed1 grid-seed1.toml "$END1" --only "$ONLY"

t "4 report"
REPEAT=(); [[ -f sweep-seed1/summary.json ]] && REPEAT=(--repeat sweep-seed1)
zi2zi sweep --out sweep --report-only "${REPEAT[@]}" --claims "$STUDY/claims.toml" \
  --compare "$ROOT/studies/normalization-cpu-tiny/report.md" > report.log 2>&1 || tail -3 report.log
kill $PRUNE 2>/dev/null

t "5 pack"
pack; t "done"
