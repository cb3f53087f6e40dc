# The exact commands of this study (2-core CPU, 2026-11-21; wall time 24.7 min for the sweep),
# fonts from python3 scripts/fetch_fonts.py; the claims verdicts need --claims (added since).
glyphrender build --src fonts/NotoSansTC_400Regular.ttf \
    --dst fonts/ZenMaruGothic_400Regular.ttf --out /tmp/study2/data --size 32
for p in 1 2; do
  OMP_NUM_THREADS=1 zi2zi sweep --shards /tmp/study2/data --grid studies/normalization-cpu-tiny/grid.toml \
      --steps 2000 --out /tmp/study2/sweep --device cpu --part $p/2 > /tmp/study2/part$p.log 2>&1 &
done; wait
zi2zi sweep --out /tmp/study2/sweep --report-only --claims studies/normalization-gpu/claims.toml
# summary.json (389 KB) is not committed: rerun the commands above to get it.
