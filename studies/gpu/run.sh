#!/bin/bash
# The GPU studies' one entry point: the open GPU questions in priority order within one time
# budget (studies/gpu/README.md). On a machine with a CUDA GPU, in the repository root:
#
#   bash studies/gpu/run.sh [BUDGET_S [OUT]]     # default 540 s, setup included
#
# Results land in OUT (default studies/gpu/results/<date>/, at most 8 files, no folders):
# summary.md (what ran, what was cut or skipped and why), summary.json, log.txt, and each
# part's files. Needs: Python with torch (CUDA), numpy, h5py, pillow, fonttools, click and
# freetype-py (or a freetype-py wheel in .whl/, installed from there without a network);
# fonts/NotoSansTC_400Regular.ttf and fonts/ZenMaruGothic_400Regular.ttf
# (python3 scripts/fetch_fonts.py); fonts/NotoSansCJK-Regular.ttc for the form-true source
# pairs (that configuration is skipped, saying so, without it).
# Rehearsal on a CPU, tiny sizes, same code paths: SMALL=1 DEV=cpu bash studies/gpu/run.sh 600
set -u
export GPU_T0=$(date +%s)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
BUDGET=${1:-540}
OUT=${2:-$ROOT/studies/gpu/results/$(date -u +%F)}
[[ $OUT == /* ]] || OUT=$ROOT/$OUT
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
PY=${PY:-python3}
[[ $PY == /* || $PY != */* ]] || PY=$ROOT/$PY   # a relative path still works in the parts' folders
SITE=$(mktemp -d)
if ls .whl/*.whl >/dev/null 2>&1 && ! $PY -c "import freetype" 2>/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" .whl/*.whl
fi
export PYTHONPATH=$SITE:$ROOT/packages/glyphrender/src:$ROOT/packages/zi2zi_core/src
SHIM=$(mktemp -d)   # the two CLIs without installing the packages
for c in glyphrender:glyphrender.cli zi2zi:zi2zi_core.cli; do
  printf '#!/bin/sh\nexec %s -c "import sys; from %s import main; sys.exit(main())" "$@"\n' \
    "$PY" "${c#*:}" > "$SHIM/${c%%:*}"
  chmod +x "$SHIM/${c%%:*}"
done
export PATH=$SHIM:$PATH PY PYTHONUNBUFFERED=1
$PY studies/gpu/run.py "$BUDGET" "$OUT"
