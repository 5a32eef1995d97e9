#!/usr/bin/env bash
# The CLI end to end: a run resumed from its checkpoint ends bit for bit where
# the straight run ends; export; a damaged checkpoint is refused and nothing is
# lost; Ctrl-C (SIGINT) leaves a checkpoint that resumes.
# usage: resume_test.sh USBPO_BINARY SCRATCH_DIR [ENV]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/untimed_log.sh"
usbpo="$1"
scratch="$2"
env="${3:-pendulum}"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
small=(--env "$env" --start-steps 300 --update-after 300 --hidden 32 --batch 64 --epoch-length 250 --eval-episodes 1)
fail() { echo "FAIL: $*"; exit 1; }

for algo in sac usbpo+pmac; do
  model=()
  # A small model keeps this a test of resuming, not of training speed (ASan, 2 cores).
  [ "$algo" != sac ] && model=(--rollout-batch 500 --updates-per-step 2 --ensemble 3 --elites 2 --model-hidden 32
                              --model-layers 2 --model-max-epochs 5 --w2-batch 128 --w2-max-steps 5)
  "$usbpo" train "${small[@]}" "${model[@]}" --algo "$algo" --steps 1200 --out straight-$algo > /dev/null 2>&1
  "$usbpo" train "${small[@]}" "${model[@]}" --algo "$algo" --steps 700 --out resumed-$algo > /dev/null 2>&1
  "$usbpo" train --resume resumed-$algo --steps 1200 > resume.out 2>&1 || { cat resume.out; fail "resume failed"; }
  grep -q "resumed at step 700" resume.out || fail "no resume message"
  cmp straight-$algo/policy.usbpo resumed-$algo/policy.usbpo || fail "$algo: resumed policy differs from the straight run"
  # Same log apart from the timing columns (steps_per_s, wall_s and the t_* seconds).
  diff <(untimed straight-$algo/log.csv) <(untimed resumed-$algo/log.csv) \
    || fail "$algo: resumed log differs"
  echo "ok: $algo on $env resumed at 700 ends bit for bit like the straight 1200-step run"
done

"$usbpo" export --checkpoint resumed-sac --out exported.usbpo | grep -q "after 1200 env steps" || fail "export"
"$usbpo" eval --policy exported.usbpo --env "$env" --episodes 1 > /dev/null || fail "exported policy does not load"
echo "ok: export"

# A damaged checkpoint: refused with a message, the run directory untouched.
cp resumed-sac/checkpoint.usbpo-ckpt good.ckpt
head -c 5000 good.ckpt > resumed-sac/checkpoint.usbpo-ckpt
before=$(md5sum resumed-sac/log.csv resumed-sac/policy.usbpo)
if "$usbpo" train --resume resumed-sac --steps 1500 > bad.out 2>&1; then fail "a truncated checkpoint was accepted"; fi
grep -q "truncated or corrupt" bad.out || { cat bad.out; fail "no clear message for a truncated checkpoint"; }
[ "$before" = "$(md5sum resumed-sac/log.csv resumed-sac/policy.usbpo)" ] || fail "a refused resume changed the run"
cp exported.usbpo resumed-sac/checkpoint.usbpo-ckpt
"$usbpo" train --resume resumed-sac > bad.out 2>&1 && fail "a policy file was accepted as a checkpoint"
grep -q "not a usbpo checkpoint" bad.out || { cat bad.out; fail "no clear message for a foreign file"; }
echo "ok: damaged and foreign checkpoints refused"

# Ctrl-C: a final checkpoint, exit code 130, and the run resumes from it.
"$usbpo" train "${small[@]}" --algo sac --steps 1000000 --out interrupted > int.out 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -f interrupted/checkpoint.usbpo-ckpt ] && break; sleep 0.2; done
sleep 0.5
kill -INT $pid
code=0; wait $pid || code=$?
[ $code = 130 ] || { cat int.out; fail "SIGINT exit code $code, expected 130"; }
grep -q "interrupted after" int.out || fail "no interruption message"
at=$("$usbpo" export --checkpoint interrupted --out int.usbpo | sed -n 's/.*after \([0-9]*\) env steps.*/\1/p')
[ -n "$at" ] && [ "$at" -gt 0 ] || fail "no checkpoint after SIGINT"
"$usbpo" train --resume interrupted --steps $((at + 100)) > /dev/null 2>&1 || fail "resume after SIGINT"
echo "ok: SIGINT at step $at wrote a checkpoint that resumes"
