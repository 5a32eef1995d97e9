#!/usr/bin/env bash
# `usbpo bench --threads 1,2` prints each figure at both thread counts side by
# side with the speed-up, and the speed-up is the ratio of the two printed
# times (a smoke run: the times themselves are not judged here, the machine
# may be busy).
# usage: bench_threads_test.sh USBPO_BINARY SCRATCH_DIR
set -euo pipefail
usbpo="$1"
scratch="$2"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
fail() { echo "FAIL: $*"; exit 1; }
"$usbpo" bench --quick --threads 1,2 --only sac_update_hopper,ensemble_mle_step > bench.out 2>&1 \
  || { cat bench.out; fail "bench --threads 1,2 failed"; }
grep -q "^| benchmark | usbpo, 1 thread | usbpo, 2 threads | speed-up 2 vs 1 |" bench.out \
  || { cat bench.out; fail "no side-by-side header"; }
for name in sac_update_hopper ensemble_mle_step; do
  row=$(grep "^| $name |" bench.out) || { cat bench.out; fail "no $name row"; }
  # "| name | 6667 us | 3517 us | 1.90x | ..." (times may be printed as 1.2e+04)
  check=$(echo "$row" | awk -F'|' '{
    t1 = $3; t2 = $4; s = $5; sub(/ us/, "", t1); sub(/ us/, "", t2); sub(/x/, "", s);
    if (t1 + 0 <= 0 || t2 + 0 <= 0 || s + 0 <= 0) { print "bad"; exit }
    r = (t1 + 0) / (t2 + 0); d = r / (s + 0);
    print (d > 0.98 && d < 1.02) ? "ok" : "ratio " r " vs printed " s }')
  [ "$check" = ok ] || fail "$name: $check ($row)"
done
grep -q "SAC update, 2 threads: .* GFLOP/s" bench.out || { cat bench.out; fail "no 2-thread GFLOP/s line"; }
echo "ok: bench --threads 1,2 prints both columns and their speed-up"
