#!/usr/bin/env bash
# A failure is a failure: an unwritable --save-dataset is refused at step 0;
# a policy, plot or dataset that cannot be written makes the exit status non-zero and
# is not listed as written; after Ctrl-C the summary names the env step the
# checkpoint holds.
# usage: outputs_test.sh USBPO_BINARY SCRATCH_DIR
set -euo pipefail
usbpo="$1"
scratch="$2"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
fail() { echo "FAIL: $*"; exit 1; }
tiny=(--env pendulum --start-steps 100 --update-after 100 --hidden 16 --batch 32 --epoch-length 150 --eval-episodes 1)

# --save-dataset that cannot be written: refused before the first step (exit 2, no step logged).
touch a-file
mkdir a-directory
refused() {  # NAME WORDS PATH
  local name="$1" words="$2" path="$3" code=0
  "$usbpo" train "${tiny[@]}" --steps 300 --out "run-$name" --save-dataset "$path" > "$name.out" 2>&1 || code=$?
  [ $code = 2 ] || { cat "$name.out"; fail "--save-dataset $path: exit $code, expected 2"; }
  grep -q -- "$words" "$name.out" || { cat "$name.out"; fail "$name: no clear reason (expected '$words')"; }
  [ ! -e "run-$name/log.csv" ] && [ ! -e "run-$name/checkpoint.usbpo-ckpt" ] || fail "$name: the run started"
}
refused missing-dir "save-dataset: cannot write no-such-dir/d.usbpo-data: No such file or directory" no-such-dir/d.usbpo-data
refused file-as-dir "save-dataset: cannot use a-file/d.usbpo-data: Not a directory" a-file/d.usbpo-data
refused directory "save-dataset: a-directory is a directory" a-directory
refused device "save-dataset: /dev/null is a device" /dev/null
refused own-log "save-dataset run-own-log/log.csv is the run's own log.csv" run-own-log/log.csv
echo "ok: an unwritable --save-dataset is refused at step 0"

# The run's policy and learning curve cannot be written (a directory is where
# their temporaries go): the run ends with status 1 and neither is listed.
mkdir -p blocked/policy.usbpo.tmp blocked/learning_curve.svg.tmp
code=0
"$usbpo" train "${tiny[@]}" --steps 300 --out blocked --save-dataset blocked.usbpo-data > blocked.out 2>&1 || code=$?
[ $code = 1 ] || { cat blocked.out; fail "unwritten policy and plot: exit $code, expected 1"; }
grep -q "^NOT WRITTEN: policy blocked/policy.usbpo: " blocked.out || { cat blocked.out; fail "the policy failure is not named"; }
grep -q "^NOT WRITTEN: learning curve blocked/learning_curve.svg: " blocked.out || fail "the plot failure is not named"
grep -q "^policy: \|^learning curve: " blocked.out && fail "a file that was not written is listed"
grep -q "^log: blocked/log.csv" blocked.out && grep -q "^dataset: blocked.usbpo-data (300 real transitions)" blocked.out \
  && grep -q "^checkpoint: blocked/checkpoint.usbpo-ckpt holds env step 300" blocked.out \
  || { cat blocked.out; fail "the files that were written are not listed"; }
[ ! -e blocked/policy.usbpo ] && [ ! -e blocked/learning_curve.svg ] || fail "a file reported missing exists"
# Everything written: status 0 and every file listed.
"$usbpo" train "${tiny[@]}" --steps 300 --out fine --save-dataset fine.usbpo-data > fine.out 2>&1 \
  || { cat fine.out; fail "a run with every file written failed"; }
for f in "policy: fine/policy.usbpo" "log: fine/log.csv" "learning curve: fine/learning_curve.svg" "dataset: fine.usbpo-data"; do
  grep -q "^$f" fine.out || { cat fine.out; fail "'$f' not listed"; }
done
grep -q "NOT WRITTEN" fine.out && fail "a complete run reports a missing file"
# Written only at the end: the dataset and the model diagnostics plot (MBPO).
mkdir -p late/model_diagnostics.svg.tmp late.usbpo-data.tmp
code=0
"$usbpo" train "${tiny[@]}" --algo mbpo --rollout-batch 100 --steps 300 --out late --save-dataset late.usbpo-data \
  > late.out 2>&1 || code=$?
[ $code = 1 ] || { cat late.out; fail "unwritten dataset and model plot: exit $code, expected 1"; }
grep -q "^NOT WRITTEN: model diagnostics late/model_diagnostics.svg: " late.out \
  || { cat late.out; fail "the model plot failure is not named"; }
grep -q "^NOT WRITTEN: dataset late.usbpo-data: " late.out || { cat late.out; fail "the dataset failure is not named"; }
grep -q "^model diagnostics: \|^dataset: " late.out && fail "an unwritten model plot or dataset is listed"
grep -q "^policy: late/policy.usbpo" late.out || { cat late.out; fail "the policy that was written is not listed"; }
[ ! -e late/model_diagnostics.svg ] && [ ! -e late.usbpo-data ] || fail "a file reported missing exists"
echo "ok: an unwritten policy, plot or dataset fails the run and is not listed"

# Ctrl-C: exit 130, and the summary says which env step the checkpoint holds.
"$usbpo" train "${tiny[@]}" --steps 1000000 --out interrupted > int.out 2>&1 &
pid=$!
for _ in $(seq 1 150); do [ -f interrupted/checkpoint.usbpo-ckpt ] && break; sleep 0.1; done
sleep 0.3
kill -INT $pid
code=0; wait $pid || code=$?
[ $code = 130 ] || { cat int.out; fail "SIGINT exit code $code, expected 130"; }
held=$(sed -n 's|^checkpoint: interrupted/checkpoint.usbpo-ckpt holds env step \([0-9]*\) .*|\1|p' int.out)
[ -n "$held" ] || { cat int.out; fail "the summary does not say which env step the checkpoint holds"; }
grep -q "^interrupted after $held steps" int.out || { cat int.out; fail "the checkpoint is not at the interrupted step"; }
at=$("$usbpo" export --checkpoint interrupted --out int.usbpo | sed -n 's/.*after \([0-9]*\) env steps.*/\1/p')
[ "$at" = "$held" ] || fail "the summary says step $held, the checkpoint holds $at"
echo "ok: after SIGINT the summary names the checkpoint's env step ($held)"

# Ctrl-C when checkpoints can no longer be written: status 1, and the summary
# names the env step of the last good one (which export confirms).
"$usbpo" train "${tiny[@]}" --steps 1000000 --out stuck > stuck.out 2>&1 &
pid=$!
for _ in $(seq 1 150); do [ -f stuck/checkpoint.usbpo-ckpt ] && break; sleep 0.1; done
for _ in $(seq 1 100); do mkdir stuck/checkpoint.usbpo-ckpt.tmp 2>/dev/null && break; sleep 0.01; done
[ -d stuck/checkpoint.usbpo-ckpt.tmp ] || { kill -9 $pid; fail "could not block the checkpoint"; }
sleep 0.5
kill -INT $pid
code=0; wait $pid || code=$?
[ $code = 1 ] || { cat stuck.out; fail "an unwritten final checkpoint: exit $code, expected 1"; }
good=$("$usbpo" export --checkpoint stuck --out stuck.usbpo | sed -n 's/.*after \([0-9]*\) env steps.*/\1/p')
grep -q "^NOT WRITTEN: checkpoint at step [0-9]*: .*; the checkpoint stuck/checkpoint.usbpo-ckpt holds env step $good$" stuck.out \
  || { cat stuck.out; fail "the summary does not name the last good checkpoint's step ($good)"; }
grep -q "^checkpoint: " stuck.out && fail "an unwritten checkpoint is listed"
echo "ok: with checkpoints failing, the summary names the last good one (env step $good)"
