#!/bin/bash
# The normalization study on one GPU in ONE device call (README.md here says why these sizes).
#   Before (both git-ignored): .whl/ holds the freetype-py wheel (README.md), and
#       mkdir -p out/study-fonts && cp fonts/NotoSansTC_400Regular.ttf fonts/ZenMaruGothic_400Regular.ttf out/study-fonts/
#   GPU (device tool `run`): command `OUT=$OUT bash studies/normalization-gpu/run.sh`,
#       carry [".whl", "out/study-fonts"], timeout_s 540.
#   CPU rehearsal, same code path at 32 px with a tiny model:
#       SMALL=1 DEV=cpu PY=.venv/bin/python OUT=/tmp/gpu-rehearse bash studies/normalization-gpu/run.sh
# Phases, each bounded by a wall-clock deadline so the report is always written:
#   1 build Noto Sans TC -> Zen Maru Gothic at 128 px; 2 the grid (grid.toml), seed 0, STEPS
#   steps, JOBS processes side by side, stopped at T0+END0 s; 3 the top configurations of each
#   batch size again with seed 1, stopped at T0+END1 s; 4 the report (seed spread, claims, the
#   comparison with studies/normalization-cpu-tiny); 5 pack at most 8 files into $OUT.
set -u
ROOT=$PWD
OUT=${OUT:-/tmp/gpu-study-out}; mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1          # everything also lands in $OUT/log.txt
export PYTHONUNBUFFERED=1
T0=$(date +%s); t() { echo "[t+$(( $(date +%s) - T0 ))s] $*"; }
left() { echo $(( T0 + $1 - $(date +%s) )); }  # seconds until T0 + $1
SMALL=${SMALL:-0}; DEV=${DEV:-cuda}; PY=${PY:-python3}
[[ $PY == /* || $PY != */* ]] || PY=$ROOT/$PY  # a relative path still works after the cd below
if [[ $SMALL == 1 ]]; then
  SIZE=32; STEPS=${STEPS:-30}; JOBS=${JOBS:-2}; END0=${END0:-900}; END1=${END1:-1200}
  CS=(--charset U+4E00-U+4FFF); WIDTHS=$'base_channels = 8\nd_base_channels = 8\nstyle_dim = 16'
else
  # 27 runs x 1,000 steps: 432,000 images, 1,000 per step-set of the grid; ~2,000 images/s
  # expected at 128 px (H200: 590/s at 256 px with 3 processes; 128 px costs ~1/4) -> ~215 s.
  SIZE=128; STEPS=${STEPS:-1000}; JOBS=${JOBS:-12}; END0=${END0:-330}; END1=${END1:-450}
  CS=(); WIDTHS=""
fi
PICKS=${PICKS:-"4:2 16:2 64:1"}                # seed 1: the top N finished runs per batch size
echo "study: SMALL=$SMALL DEV=$DEV SIZE=$SIZE STEPS=$STEPS JOBS=$JOBS END0=$END0 END1=$END1"

# The GPU machine has torch, numpy, h5py, pillow, fonttools, click; not freetype-py; no network.
if ls .whl/*.whl >/dev/null 2>&1 && ! $PY -c "import freetype" 2>/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl
fi
export PYTHONPATH=/tmp/site:$ROOT/packages/glyphrender/src:$ROOT/packages/zi2zi_core/src
mkdir -p /tmp/shim                              # console scripts without installing the packages
for c in glyphrender:glyphrender.cli zi2zi:zi2zi_core.cli; do
  printf '#!/bin/sh\nexec %s -c "import sys; from %s import main; sys.exit(main())" "$@"\n' \
    "$PY" "${c#*:}" > /tmp/shim/${c%%:*}
  chmod +x /tmp/shim/${c%%:*}
done
export PATH=/tmp/shim:$PATH
W=${WORK:-/tmp/study-work}; rm -rf "$W"; mkdir -p "$W"; cd "$W" || exit 1
nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader 2>/dev/null
(nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 5 > gpu-util.csv 2>/dev/null &)

# The grids: grid.toml as committed (SMALL: tiny widths added to [base]); seed 1 the same.
if [[ -n $WIDTHS ]]; then
  awk -v w="$WIDTHS" '{print} /^\[base\]$/{print w}' "$ROOT/studies/normalization-gpu/grid.toml" > grid.toml
else
  cp "$ROOT/studies/normalization-gpu/grid.toml" grid.toml
fi
sed 's/^seed = 0$/seed = 1/' grid.toml > grid-seed1.toml
grep -q '^seed = 1$' grid-seed1.toml || { echo "grid-seed1.toml: no 'seed = 0' line to change"; exit 1; }

# The two fonts: fonts/ (71 MB, over the 64 MiB carry limit) or a folder of just these two.
F=${FONTS:-$ROOT/fonts}; [[ $F == /* ]] || F=$ROOT/$F
[[ -f $F/NotoSansTC_400Regular.ttf ]] || F=$ROOT/out/study-fonts
t "1 build at $SIZE px"
glyphrender build --src $F/NotoSansTC_400Regular.ttf --dst $F/ZenMaruGothic_400Regular.ttf \
  --out data/zm --size $SIZE "${CS[@]}" > build.log 2>&1 || { tail -5 build.log; exit 1; }
tail -2 build.log

# Checkpoints (~0.7 GB each at 128 px) of runs that have ended are deleted as the sweep goes:
# they cannot leave the machine and 27 runs of them would fill its disk.
prune() {
  while sleep 10; do
    for d in sweep sweep-seed1; do
      [[ -f $d/sweep-log.jsonl ]] || continue
      grep -o '"event": "end", "run": "[^"]*"' $d/sweep-log.jsonl | sed 's/.*"run": "//; s/"$//' |
        while read -r name; do rm -f "$d/runs/$name/checkpoints/"*.pt; done
    done
  done
}
prune & PRUNE=$!

sweep() {  # sweep OUT GRID END [args...]: stops at T0+END s (its own budget; timeout backs it)
  local out=$1 grid=$2 budget; budget=$(left "$3"); shift 3
  (( budget < 20 )) && { t "no time left for $out"; return 0; }
  timeout -s INT -k 30 $(( budget + 60 )) zi2zi sweep --shards data/zm --grid "$grid" \
    --steps "$STEPS" --out "$out" --device "$DEV" --jobs "$JOBS" --time-budget "$budget" "$@" \
    > "$out.log" 2>&1
  echo "zi2zi sweep exit $?"; grep -E "at a time|time budget|stopped|failed|report of" "$out.log"
}

t "2 sweep, seed 0: $(zi2zi sweep --grid grid.toml --out sweep --list | wc -l) runs"
sweep sweep grid.toml "$END0"

t "3 seed 1 for the top runs ($PICKS per batch size)"
ONLY=$($PY - "$PICKS" <<'EOF'
import json, sys
picks = dict(map(int, p.split(":")) for p in sys.argv[1].split())
runs = json.load(open("sweep/summary.json"))["runs"]  # ranked by final val L1
done = [r for r in runs if r["status"] == "finished" and r["final"]]
chosen = [r["name"] for b, n in picks.items() for r in [r for r in done if r["batch_size"] == b][:n]]
print(",".join(chosen))
EOF
)
echo "seed 1: ${ONLY:-none}"
[[ -n $ONLY ]] && sweep sweep-seed1 grid-seed1.toml "$END1" --only "$ONLY"

t "4 report"
REPEAT=(); [[ -f sweep-seed1/summary.json ]] && REPEAT=(--repeat sweep-seed1)
zi2zi sweep --out sweep --report-only "${REPEAT[@]}" \
  --claims "$ROOT/studies/normalization-gpu/claims.toml" \
  --compare "$ROOT/studies/normalization-cpu-tiny/report.md" > report.log 2>&1 || tail -3 report.log
kill $PRUNE 2>/dev/null

t "5 pack"   # only $OUT comes back: at most 8 files, 16 MiB each
cp sweep/report.md sweep/summary.json "$OUT/" 2>/dev/null
tar czf "$OUT/study.tgz" gpu-util.csv *.log grid*.toml sweep/plots sweep/sweep.json \
  sweep/sweep-log.jsonl sweep-seed1/report.md sweep-seed1/summary.json sweep-seed1/sweep.json \
  sweep-seed1/sweep-log.jsonl sweep*/runs/*/metrics.jsonl sweep*/runs/*/config.json \
  sweep*/runs/*/train.log 2>/dev/null
tar czf "$OUT/samples.tgz" sweep/runs/*/samples 2>/dev/null
ls -la "$OUT"; t "done"
