# Sourced by the study scripts (from the repository root): run the packages from a snapshot of the
# committed code in $OUT/code-<rev>, so edits in the working tree cannot reach a study's runs.
# Needs OUT; sets PYTHONPATH to the snapshot's two packages.
REV=$(git rev-parse --short HEAD)
CODE=$OUT/code-$REV
mkdir -p "$OUT"
if [ ! -d "$CODE" ]; then
    mkdir -p "$CODE.tmp" && git archive HEAD packages | tar -x -C "$CODE.tmp" && mv "$CODE.tmp" "$CODE"
fi
export PYTHONPATH=$CODE/packages/zi2zi_core/src:$CODE/packages/glyphrender/src
