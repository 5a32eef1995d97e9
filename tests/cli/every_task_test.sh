#!/usr/bin/env bash
# Every algorithm runs end to end on every MuJoCo task from the CLI (a short,
# shrunken run each: models train, phase 2 and rollouts run, files are written).
# The networks are small so that CI (2 cores, sanitizers) stays fast; the
# default sizes take the same code paths with more arithmetic.
# usage: every_task_test.sh USBPO_BINARY SCRATCH_DIR [TASK...]
set -euo pipefail
usbpo="$1"
scratch="$2"
shift 2
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
tasks=("$@")
[ ${#tasks[@]} -gt 0 ] || tasks=(inverted_pendulum hopper half_cheetah walker2d ant humanoid pusher)
algos=(sac mbpo usbpo pmac usbpo+pmac)
for task in "${tasks[@]}"; do
  for algo in "${algos[@]}"; do
    out="$task-$algo"
    start=$(date +%s.%N)
    # Options an algorithm does not use are refused, so each gets only its own.
    model=() phase2=()
    [ "$algo" != sac ] && model=(--rollout-batch 400 --model-train-freq 100 --ensemble 4 --elites 3 --model-hidden 64
                                --model-layers 2 --model-max-epochs 10)
    case "$algo" in usbpo*) phase2=(--w2-batch 256 --w2-max-steps 20) ;; esac
    if ! "$usbpo" train --env "$task" --algo "$algo" --steps 450 --start-steps 150 --update-after 150 --batch 64 \
         --hidden 64 --updates-per-step 4 --epoch-length 150 --eval-episodes 1 "${model[@]}" "${phase2[@]}" \
         --out "$out" > "$out.log" 2>&1; then
      cat "$out.log"; echo "FAIL: $algo on $task"; exit 1
    fi
    for f in policy.usbpo log.csv learning_curve.svg checkpoint.usbpo-ckpt; do
      [ -s "$out/$f" ] || { echo "FAIL: $algo on $task wrote no $f"; exit 1; }
    done
    if [ "$algo" != sac ]; then
      rounds=$(awk -F, 'NR>1 && $12!="" {n++} END {print n+0}' "$out/log.csv")
      [ "$rounds" -ge 3 ] || { echo "FAIL: $algo on $task logged $rounds model rounds"; exit 1; }
      case "$algo" in usbpo*)
        p2=$(awk -F, 'NR>1 && $16!="" {n++} END {print n+0}' "$out/log.csv")
        [ "$p2" -ge 2 ] || { echo "FAIL: $algo on $task ran phase 2 $p2 times"; exit 1; } ;;
      esac
    fi
    printf "ok: %-10s on %-17s %5.1f s\n" "$algo" "$task" "$(echo "$(date +%s.%N) - $start" | bc)"
  done
done
