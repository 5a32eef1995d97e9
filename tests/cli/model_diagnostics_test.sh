#!/usr/bin/env bash
# USB-PO's model diagnostics per round from the CLI: log.csv holds the elites'
# holdout MSE after phase 1 (model_holdout_mse) and after phase 2
# (phase2_holdout_mse, on the same holdout split), empty where phase 2 did not
# run (the first round); model_diagnostics.svg plots both. A short Pendulum run.
# usage: model_diagnostics_test.sh USBPO_BINARY SCRATCH_DIR
set -euo pipefail
usbpo="$1"
scratch="$2"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
fail() { echo "FAIL: $*"; exit 1; }
"$usbpo" train --env pendulum --algo usbpo --seed 0 --steps 1000 --start-steps 250 --update-after 250 --batch 64 \
  --hidden 32 --updates-per-step 1 --epoch-length 250 --eval-episodes 1 --rollout-batch 500 \
  --ensemble 4 --elites 3 --model-hidden 32 --model-layers 2 --w2-batch 128 --w2-max-steps 10 \
  --out run > run.out 2>&1 || { cat run.out; fail "training did not run"; }
header=$(head -1 run/log.csv)
col() { echo "$header" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
p1=$(col model_holdout_mse)
p2=$(col phase2_holdout_mse)
[ -n "$p1" ] && [ -n "$p2" ] || fail "log.csv lacks model_holdout_mse or phase2_holdout_mse: $header"
# Model rounds at 250 (plain MLE), 500, 750 and 1000 (phase 2).
rows=$(awk -F, -v a="$p1" -v b="$p2" 'NR>1 && $a!="" {printf "%s:%s:%s ", $1, $a, ($b=="" ? "-" : $b)}' run/log.csv)
echo "model rounds (env steps:holdout MSE after phase 1:after phase 2): $rows"
rounds=$(awk -F, -v a="$p1" 'NR>1 && $a!="" {n++} END {print n+0}' run/log.csv)
[ "$rounds" -eq 4 ] || fail "$rounds model rounds logged, expected 4"
first=$(awk -F, -v a="$p1" -v b="$p2" 'NR>1 && $a!="" {print ($b=="" ? "empty" : $b); exit}' run/log.csv)
[ "$first" = empty ] || fail "the first round (plain MLE) logged a phase-2 holdout MSE ($first)"
after=$(awk -F, -v a="$p1" -v b="$p2" 'NR>1 && $a!="" && $b!="" && $b+0>0 {n++} END {print n+0}' run/log.csv)
[ "$after" -eq 3 ] || fail "phase-2 holdout MSE logged (positive) in $after rounds, expected 3"
grep -q "after phase 2" run/model_diagnostics.svg || fail "model_diagnostics.svg has no 'after phase 2' series"
echo "ok: holdout MSE after phase 1 and after phase 2 logged and plotted per round"
# The progress line shows both: "model A->B" with the last round's values (printed %.3g).
last=$(awk -F, -v a="$p1" -v b="$p2" 'NR>1 && $a!="" && $b!="" {x=$a; y=$b} END {printf "%.3g->%.3g", x, y}' run/log.csv)
shown=$(tr '\r' '\n' < run.out | grep -o "| model [^ ]*" | tail -1 | cut -d' ' -f3)
[ "$shown" = "$last" ] || fail "the progress line shows 'model $shown', the log's last round is $last"
echo "ok: the progress line shows the holdout MSE before and after phase 2 ($shown)"
