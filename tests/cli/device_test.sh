#!/usr/bin/env bash
# --device: `usbpo train --device cuda` and `usbpo bench --device cuda` without
# a usable GPU fail at start with exit status 2 and a clear reason ("no CUDA
# device: <driver's reason>", or that this usbpo was built without CUDA), and
# write nothing: no run directory, and a run resumed that way stays untouched.
# GPUs are hidden (CUDA_VISIBLE_DEVICES=""), so this holds on a GPU machine too.
# usage: device_test.sh USBPO_BINARY SCRATCH_DIR cuda|nocuda
set -euo pipefail
usbpo="$1"
scratch="$2"
built="$3"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
fail() { echo "FAIL: $*"; exit 1; }
export CUDA_VISIBLE_DEVICES=""
if [ "$built" = cuda ]; then
  reason="--device cuda: no CUDA device: "
else
  reason="--device cuda: this usbpo was built without CUDA (USBPO_WITH_CUDA=OFF)"
fi
tiny=(--env pendulum --start-steps 100 --update-after 100 --epoch-length 150 --eval-episodes 1)
n=0
refused() {  # WORDS COMMAND ARGS...: exit status 2, the reason in the output, no run directory
  local words="$1" code=0
  shift
  n=$((n + 1))
  "$usbpo" "$@" > "refused-$n.out" 2>&1 || code=$?
  [ $code = 2 ] || { cat "refused-$n.out"; fail "usbpo $*: exit $code, expected 2"; }
  grep -qF -- "$words" "refused-$n.out" || { cat "refused-$n.out"; fail "usbpo $*: expected '$words'"; }
  [ ! -e out ] || fail "usbpo $*: a refused run created its directory"
  echo "refused as expected: usbpo $*: $(head -1 "refused-$n.out")"
}
refused "$reason" train "${tiny[@]}" --steps 300 --device cuda --out out
refused "$reason" train "${tiny[@]}" --steps 300 --device=cuda --out out/deeper
refused "$reason" bench --quick --device cuda
refused "--device must be cpu or cuda, got 'gpu'" train "${tiny[@]}" --device gpu --out out
refused "--device must be cpu or cuda, got 'gpu'" bench --device gpu

# A run on the CPU (--device cpu given, as the default) resumes on the CPU;
# resuming it on a missing GPU is refused and changes none of its files.
"$usbpo" train "${tiny[@]}" --steps 300 --device cpu --out run > first.out 2>&1 || { cat first.out; fail "cpu run"; }
snapshot() { (cd run && find . -type f -exec md5sum {} + | sort); }
before=$(snapshot)
code=0
"$usbpo" train --resume run --steps 450 --device cuda > resume-cuda.out 2>&1 || code=$?
[ $code = 2 ] || { cat resume-cuda.out; fail "resume --device cuda: exit $code, expected 2"; }
grep -qF -- "$reason" resume-cuda.out || { cat resume-cuda.out; fail "resume --device cuda: expected '$reason'"; }
[ "$(snapshot)" = "$before" ] || fail "a refused resume changed the run directory"
"$usbpo" train --resume run --steps 450 --device cpu > resume-cpu.out 2>&1 || { cat resume-cpu.out; fail "resume --device cpu"; }
grep -q "holds env step 450" resume-cpu.out || { cat resume-cpu.out; fail "the cpu resume did not reach step 450"; }
echo "device test: all refusals as expected ($built build)"
