#!/usr/bin/env bash
# MBPO and USB-PO learn the core's Pendulum in fewer env steps than SAC alone
# (seed 0). Same SAC (2x64, lr 1e-3, batch 100), same 1000 random steps, same
# evaluation (5 episodes every 250 steps); SAC alone makes one update per env
# step as in the papers' SAC baseline, the model-based runs their default five
# on 95 % model data. "Learned" = first evaluation above -250.
# Measured over seeds 0-2: SAC 4000-4250 steps, MBPO 1500-3750, USB-PO 2000-3500
# (SAC with 3 updates per step: 2000-2250, so on Pendulum the gain is the
# extra updates the model makes safe, not the model alone).
# usage: pendulum_model_based_test.sh USBPO_BINARY SCRATCH_DIR
set -euo pipefail
usbpo="$1"
scratch="$2"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
steps=4500
first_learned() {  # env steps of the first evaluation above -250, or steps+1
  awk -F, -v none=$((steps + 1)) 'NR>1 && $4!="" && $4>-250 {print $1; found=1; exit} END {if (!found) print none}' "$1/log.csv"
}
for algo in sac mbpo usbpo; do
  "$usbpo" train --env pendulum --algo "$algo" --seed 0 --steps $steps --epoch-length 250 --eval-episodes 5 \
    --out "$algo" > "$algo.out" 2>&1 || { cat "$algo.out"; echo "FAIL: $algo did not run"; exit 1; }
  echo "$algo: first evaluation above -250 at $(first_learned "$algo") env steps (budget $steps)"
done
sac=$(first_learned sac)
for algo in mbpo usbpo; do
  [ "$(first_learned $algo)" -lt "$sac" ] || { echo "FAIL: $algo needed no fewer env steps than SAC ($sac)"; exit 1; }
done
echo "ok: mbpo and usbpo learned Pendulum before SAC"
