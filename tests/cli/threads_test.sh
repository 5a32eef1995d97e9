#!/usr/bin/env bash
# `usbpo train --threads N` end to end: the same seed gives the same policy
# file bytes, the same log (apart from its timing columns) and the same
# exported checkpoint policy for 1, 2 and 3 threads; a run saved with 2 threads
# resumes with 1 bit for bit; bad thread counts are refused with a reason.
# usage: threads_test.sh USBPO_BINARY SCRATCH_DIR [ENV]
set -euo pipefail
usbpo="$1"
scratch="$2"
env="${3:-pendulum}"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
fail() { echo "FAIL: $*"; exit 1; }
# Batches of 128 and 7 members: every network pass is cut into column panels.
# (each algorithm gets only the options it uses: usbpo train refuses the others)
sac_options=(--env "$env" --start-steps 300 --update-after 300 --hidden 64 --batch 128 --epoch-length 250
             --eval-episodes 1 --updates-per-step 2)
model_options=(--rollout-batch 1000 --ensemble 7 --elites 5 --model-hidden 64 --model-layers 2 --model-batch 128
               --model-max-epochs 3)
phase_two_options=(--w2-batch 256 --w2-max-steps 3)
options_for() {
  case "$1" in
    sac) small=("${sac_options[@]}") ;;
    mbpo|pmac) small=("${sac_options[@]}" "${model_options[@]}") ;;
    *) small=("${sac_options[@]}" "${model_options[@]}" "${phase_two_options[@]}") ;;
  esac
}
source "$(dirname "${BASH_SOURCE[0]}")/untimed_log.sh"
same_log() { same_untimed_log "$1/log.csv" "$2/log.csv"; }

for algo in sac mbpo usbpo+pmac; do
  options_for "$algo"
  counts=(1 2 3)
  for n in "${counts[@]}"; do
    "$usbpo" train "${small[@]}" --algo "$algo" --steps 800 --threads "$n" --out "$algo-$n" > "$algo-$n.out" 2>&1 \
      || { cat "$algo-$n.out"; fail "$algo with $n threads"; }
    grep -q "$n thread" "$algo-$n.out" || fail "$algo: the thread count is not reported"
    "$usbpo" export --checkpoint "$algo-$n" --out "$algo-$n-export.usbpo" > /dev/null || fail "export $algo-$n"
  done
  for n in "${counts[@]:1}"; do
    cmp "$algo-1/policy.usbpo" "$algo-$n/policy.usbpo" || fail "$algo: policy with $n threads differs from 1 thread"
    same_log "$algo-1" "$algo-$n" || fail "$algo: log with $n threads differs from 1 thread"
    cmp "$algo-1-export.usbpo" "$algo-$n-export.usbpo" || fail "$algo: checkpoint with $n threads differs"
  done
  echo "ok: $algo on $env: the same policy, log and checkpoint policy with ${counts[*]} threads"
done

# Saved with 2 threads at 450 steps, resumed with 1: the straight run's bytes.
options_for usbpo+pmac
"$usbpo" train "${small[@]}" --algo usbpo+pmac --steps 450 --threads 2 --out resumed > /dev/null 2>&1 || fail "first half"
"$usbpo" train --resume resumed --steps 800 --threads 1 > resume.out 2>&1 || { cat resume.out; fail "resume with 1 thread"; }
grep -q "1 thread," resume.out || fail "the resumed run does not run on 1 thread"
cmp usbpo+pmac-1/policy.usbpo resumed/policy.usbpo || fail "resumed with 1 thread: policy differs"
same_log usbpo+pmac-1 resumed || fail "resumed with 1 thread: log differs"
echo "ok: saved with 2 threads, resumed with 1, bit for bit"

options_for sac
expect_refused() {  # WORDS COMMAND...: exit status 2 with WORDS in the output
  local words="$1" code=0
  shift
  "$@" > bad.out 2>&1 || code=$?
  [ $code = 2 ] || { cat bad.out; fail "$* : exit $code, expected 2"; }
  grep -q -- "$words" bad.out || { cat bad.out; fail "$* : expected '$words'"; }
}
expect_refused "threads must be between 1 and 256 (this machine offers [0-9]*), got 0" "$usbpo" train "${small[@]}" --steps 10 --threads 0 --out bad
expect_refused "threads must be between 1 and 256 (this machine offers [0-9]*), got -2" "$usbpo" train "${small[@]}" --steps 10 --threads -2 --out bad
expect_refused "threads must be between 1 and 256 (this machine offers [0-9]*), got 100000" "$usbpo" train "${small[@]}" --steps 10 --threads 100000 --out bad
expect_refused "threads expects an integer" "$usbpo" train "${small[@]}" --steps 10 --threads two --out bad
[ ! -e bad ] || fail "a refused run created its directory"
expect_refused "between 1 and" "$usbpo" bench --threads 1,0
echo "ok: --threads 0, negative, absurd and non-numeric refused with a reason"
