#!/usr/bin/env bash
# SAC, MBPO and USB-PO all learn the core's Pendulum at equal settings (seed 0):
# the same SAC (2x64, lr 1e-3, batch 100), the same 1000 random steps, the same
# G = 5 SAC updates per env step (the model-based default; the model-based runs
# on 95 % model data) and the same evaluation (5 episodes every 250 steps).
# "Learned" = first evaluation above -250.
# Measured (6000-step runs, seeds 0 / 1 / 2), env steps until learned:
#   G = 5: SAC 2000 / 1500 / 2000, MBPO 3000 / 1500 / 3750, USB-PO 2750 / 2000 / 3500
#   G = 1: SAC 4000 / 4250 / 4250, MBPO 5500 / 4250 / not by 6000, USB-PO 5000 / 4250 / 6000
# At equal G the model gives no gain on Pendulum: SAC learns first or together
# (MBPO and USB-PO 0-1750 env steps behind). The test requires all three to learn
# within the run and the model-based runs to stay within 2000 env steps of SAC.
# usage: pendulum_model_based_test.sh USBPO_BINARY SCRATCH_DIR
set -euo pipefail
usbpo="$1"
scratch="$2"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
steps=4500
updates=5
margin=2000
first_learned() {  # env steps of the first evaluation above -250, or steps+1
  awk -F, -v none=$((steps + 1)) 'NR>1 && $4!="" && $4>-250 {print $1; found=1; exit} END {if (!found) print none}' "$1/log.csv"
}
for algo in sac mbpo usbpo; do
  "$usbpo" train --env pendulum --algo "$algo" --seed 0 --steps $steps --updates-per-step $updates \
    --epoch-length 250 --eval-episodes 5 --out "$algo" > "$algo.out" 2>&1 \
    || { cat "$algo.out"; echo "FAIL: $algo did not run"; exit 1; }
  echo "$algo (G = $updates): first evaluation above -250 at $(first_learned "$algo") env steps (budget $steps)"
done
for algo in sac mbpo usbpo; do
  [ "$(first_learned $algo)" -le "$steps" ] || { echo "FAIL: $algo did not learn Pendulum in $steps env steps"; exit 1; }
done
sac=$(first_learned sac)
for algo in mbpo usbpo; do
  [ "$(first_learned $algo)" -le $((sac + margin)) ] \
    || { echo "FAIL: $algo needed more than $margin env steps beyond SAC's $sac at equal G"; exit 1; }
done
echo "ok: sac, mbpo and usbpo learned Pendulum at G = $updates (model-based within $margin env steps of SAC)"
