#!/usr/bin/env bash
# Refuse what cannot be honoured: every numeric option of every command is
# range-checked (no truncation to 32 bits, no NaN or infinity); unknown,
# repeated and (for the chosen algorithm) inapplicable options are refused; a
# configuration that needs more memory than the machine or --max-memory is
# refused before allocating, saying how much; nothing ends in an abort.
# usage: options_test.sh USBPO_BINARY SCRATCH_DIR
set -euo pipefail
usbpo="$1"
scratch="$2"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
fail() { echo "FAIL: $*"; exit 1; }
tiny=(--env pendulum --start-steps 100 --update-after 100 --epoch-length 150 --eval-episodes 1)
n=0
refused() {  # WORDS COMMAND ARGS...: exit status 2, the reason in the output, no run directory written
  local words="$1" code=0
  shift
  n=$((n + 1))
  "$usbpo" "$@" > "refused-$n.out" 2>&1 || code=$?
  [ $code = 2 ] || { cat "refused-$n.out"; fail "usbpo $*: exit $code, expected 2"; }
  grep -q -- "$words" "refused-$n.out" || { cat "refused-$n.out"; fail "usbpo $*: expected '$words'"; }
  [ ! -e out ] || fail "usbpo $*: a refused run created its directory"
}
# Learning rates and other numbers: NaN, infinities, out of range, too small for float.
refused "lr must be a finite number (> 0), got nan" train "${tiny[@]}" --lr nan --out out
refused "lr must be a finite number (> 0), got inf" train "${tiny[@]}" --lr inf --out out
refused "lr must be a finite number (> 0), got -inf" train "${tiny[@]}" --lr -inf --out out
refused "lr must be > 0, got -0.001" train "${tiny[@]}" --lr -0.001 --out out
refused "lr must be > 0, got 0" train "${tiny[@]}" --lr 0 --out out
refused "lr 1e-60 is too small to be told from 0 in float" train "${tiny[@]}" --lr 1e-60 --out out
refused "lr must be a finite number (> 0), got 1e39" train "${tiny[@]}" --lr 1e39 --out out
refused "w2-lr must be a finite number (> 0), got nan" train "${tiny[@]}" --algo usbpo --w2-lr nan --out out
refused "gamma must be in \[0, 1\], got 1.5" train "${tiny[@]}" --gamma 1.5 --out out
refused "tau must be in \[0, 1\], got -0.1" train "${tiny[@]}" --tau -0.1 --out out
refused "alpha must be > 0, got 0" train "${tiny[@]}" --alpha 0 --out out
refused "real-ratio must be in \[0, 1\], got 2" train "${tiny[@]}" --algo mbpo --real-ratio 2 --out out
refused "target-entropy must be a finite number" train "${tiny[@]}" --target-entropy nan --out out
refused "lr expects a number, got '1e-3x'" train "${tiny[@]}" --lr 1e-3x --out out
# Integers: 2^32 + 1 is not 1, 2^63 and beyond are not saturated, negatives are not wrapped.
refused "hidden must be in \[1, 2147483647\], got 4294967297" train "${tiny[@]}" --hidden 4294967297 --out out
refused "batch must be in \[1, 2147483647\], got 4294967297" train "${tiny[@]}" --batch 4294967297 --out out
refused "steps must be in \[1, 2147483647\], got 99999999999999999999" train "${tiny[@]}" --steps 99999999999999999999 --out out
refused "steps must be in \[1, 2147483647\], got 0" train "${tiny[@]}" --steps 0 --out out
refused "seed expects an integer in \[0, 18446744073709551615\], got '-1'" train "${tiny[@]}" --seed -1 --out out
refused "seed must be in \[0, 18446744073709551615\], got 18446744073709551616" train "${tiny[@]}" --seed 18446744073709551616 --out out
refused "ensemble must be in \[1, 64\], got 65" train "${tiny[@]}" --algo mbpo --ensemble 65 --out out
refused "layers must be in \[0, 8\], got 9" train "${tiny[@]}" --layers 9 --out out
refused "hidden expects an integer, got '1.5'" train "${tiny[@]}" --hidden 1.5 --out out
refused "checkpoint-every must be in \[0, 2147483647\], got -1" train "${tiny[@]}" --checkpoint-every -1 --out out
echo "ok: numbers are range-checked, never truncated, saturated or NaN"

# Unknown, repeated, valueless and inapplicable options.
refused "unknown option --learning-rate" train "${tiny[@]}" --learning-rate 0.1 --out out
refused "option --seed is given twice" train "${tiny[@]}" --seed 1 --seed 2 --out out
refused "option --seed is given twice" train "${tiny[@]}" --seed=1 --seed 2 --out out
refused "option --out needs a value" train "${tiny[@]}" --out
refused "option --lr needs a value" train "${tiny[@]}" --lr --out out
refused "w2-lr does not apply to --algo sac" train "${tiny[@]}" --w2-lr 1e-4 --out out
refused "rollout-batch does not apply to --algo sac" train "${tiny[@]}" --rollout-batch 100 --out out
refused "model-hidden does not apply to --algo sac" train "${tiny[@]}" --model-hidden 100 --out out
refused "w2-batch does not apply to --algo mbpo" train "${tiny[@]}" --algo mbpo --w2-batch 100 --out out
refused "w2-terms does not apply to --algo pmac" train "${tiny[@]}" --algo pmac --w2-terms shift --out out
refused "with --resume only --steps, --checkpoint-every and --max-memory may be given" train --resume somewhere --lr 0.1
refused "unknown option --episode" eval --policy p.usbpo --episode 3
refused "episodes must be in \[1, 2147483647\], got 4294967297" eval --policy p.usbpo --episodes 4294967297
refused "option --episodes is given twice" eval --policy p.usbpo --episodes 1 --episodes 2
refused "seed expects an integer" eval --policy p.usbpo --seed nan
refused "unknown option --output" export --checkpoint somewhere --output p.usbpo
refused "option --out is given twice" export --checkpoint somewhere --out a.usbpo --out b.usbpo
refused "unknown option --quik" bench --quik
refused "option --only is given twice" bench --only a --only b
# report: env steps are whole numbers; its counts are range-checked like train's.
refused "at expects whole env steps" report somewhere --at inf
refused "at expects whole env steps" report somewhere --at 2.5
refused "at expects whole env steps" report somewhere --at -100
refused "at expects whole env steps" report somewhere --at 99999999999999999999
refused "at expects whole env steps" report somewhere --at 20000,,40000
refused "last must be in \[1, 1000000\], got 0" report somewhere --last 0
refused "resamples must be in \[1, 1000000\], got 4294967297" report somewhere --resamples 4294967297
refused "option --at is given twice" report somewhere --at 1 --at 2
refused "unknown option --steps" report somewhere --steps 5
echo "ok: unknown, repeated and inapplicable options are refused in train, eval, export, bench and report"

# Memory: sizes beyond the machine or --max-memory are refused with the bytes needed, before allocating.
needs_at_least() {  # MIN: the last refusal states the trainer's bytes, at least MIN, and twice that in all
  local trainer total
  trainer=$(sed -n "s/.*(the trainer's memory, [^(]*(\([0-9]*\) bytes).*/\1/p" "refused-$n.out")
  total=$(sed -n 's/.*this configuration needs [^(]*(\([0-9]*\) bytes).*/\1/p' "refused-$n.out")
  [ -n "$trainer" ] && [ -n "$total" ] || { cat "refused-$n.out"; fail "the refusal does not say how many bytes"; }
  (( trainer >= $1 && total == 2 * trainer )) \
    || { cat "refused-$n.out"; fail "needs $trainer (total $total) bytes, expected at least $1"; }
}
# 2x100000^2 critic weights in 5 copies (weights, gradients, target, Adam's two moments): over 4e11 bytes.
refused "more than this machine's physical memory\|more than this process's memory cgroup limit" \
  train "${tiny[@]}" --steps 300 --hidden 100000 --out out
needs_at_least 400000000000
# A batch of 2e9 through 4096-wide layers: over 3e13 bytes of activations.
refused "more than this machine's\|more than this process's" train --env pendulum --batch 2000000000 \
  --update-after 2000000000 --hidden 4096 --out out
needs_at_least 30000000000000
# 2e9 stored transitions of 3 + 3 + 1 + 1 floats and 5 bytes: over 7e10 bytes.
refused "more than --max-memory allows, 8.00 GiB (8589934592 bytes)" \
  train "${tiny[@]}" --steps 2000000000 --replay-capacity 2000000000 --max-memory 8G --out out
needs_at_least 74000000000
refused "more than --max-memory allows, 1.00 MiB (1048576 bytes)" train "${tiny[@]}" --steps 300 --max-memory 1M --out out
refused "max-memory expects a size of at least 1 byte" train "${tiny[@]}" --max-memory 0 --out out
refused "max-memory expects a size" train "${tiny[@]}" --max-memory 8Q --out out
refused "max-memory expects a size" train "${tiny[@]}" --max-memory -8G --out out
refused "invalid configuration: MLP hidden width must be in \[1, 16777216\], got 2147483647" \
  train "${tiny[@]}" --hidden 2147483647 --out out
refused "invalid configuration: .*size overflow" train "${tiny[@]}" --algo mbpo --ensemble 64 --model-hidden 16777216 \
  --model-batch 2147483647 --out out
"$usbpo" train "${tiny[@]}" --steps 300 --hidden 16 --batch 32 --max-memory 64M --out fits > fits.out 2>&1 || { cat fits.out; fail "a run within --max-memory"; }
# --max-memory belongs to one invocation: a resume may give another (or none).
"$usbpo" train --resume fits --steps 450 --max-memory 1.5G > fits2.out 2>&1 || { cat fits2.out; fail "resume with --max-memory"; }
refused "more than --max-memory allows" train --resume fits --steps 600 --max-memory 100K
echo "ok: configurations beyond the memory limit are refused with the bytes they need"
