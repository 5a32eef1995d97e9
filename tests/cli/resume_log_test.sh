#!/usr/bin/env bash
# The log is part of the run: on --resume, log.csv must be the one the
# checkpoint recorded (its length and XXH3 hash then). Rows written after the
# checkpoint are cut and the resumed log equals a straight run's; a truncated,
# damaged or foreign log is refused with the reason and nothing changes; a
# missing log is started anew, said.
# usage: resume_log_test.sh USBPO_BINARY SCRATCH_DIR
set -euo pipefail
usbpo="$1"
scratch="$2"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
fail() { echo "FAIL: $*"; exit 1; }
tiny=(--env pendulum --start-steps 100 --update-after 100 --hidden 16 --batch 32 --epoch-length 150 --eval-episodes 1)
source "$(dirname "${BASH_SOURCE[0]}")/untimed_log.sh"
same_log() { same_untimed_log "$1" "$2"; }
"$usbpo" train "${tiny[@]}" --steps 600 --out straight > straight.out 2>&1 || { cat straight.out; fail "straight run"; }
"$usbpo" train "${tiny[@]}" --steps 300 --out half > half.out 2>&1 || { cat half.out; fail "first half"; }
"$usbpo" train "${tiny[@]}" --steps 300 --seed 7 --out foreign > foreign.out 2>&1 || { cat foreign.out; fail "other run"; }
cp -r half pristine

# Rows after the checkpoint (as a crash between a checkpoint and the next leaves them) are cut.
echo "450,3,-1000,,,,,,,,,,,,,,,,,,,," >> half/log.csv
echo "451,3,-1000,,,,,,,,,,,,,,,,,,,," >> half/log.csv
"$usbpo" train --resume half --steps 600 > extra.out 2>&1 || { cat extra.out; fail "resume with extra rows"; }
grep -q "2 rows of half/log.csv written after the checkpoint (step 300) are dropped" extra.out \
  || { cat extra.out; fail "the dropped rows were not reported"; }
same_log straight/log.csv half/log.csv || fail "the resumed log differs from the straight run's"
cmp straight/policy.usbpo half/policy.usbpo || fail "the resumed run differs from the straight one"
echo "ok: rows after the checkpoint are cut; the log equals the straight run's"

refused() {  # NAME WORDS: resume must exit 2 with WORDS and leave the run as it was
  local name="$1" words="$2" code=0
  local before
  before=$(md5sum bad/log.csv bad/checkpoint.usbpo-ckpt bad/policy.usbpo)
  "$usbpo" train --resume bad --steps 600 > "$name.out" 2>&1 || code=$?
  [ $code = 2 ] || { cat "$name.out"; fail "$name: exit $code, expected 2"; }
  grep -q -- "$words" "$name.out" || { cat "$name.out"; fail "$name: no clear reason (expected '$words')"; }
  grep -q "move it away to continue with a new log" "$name.out" || fail "$name: no way out named"
  [ "$before" = "$(md5sum bad/log.csv bad/checkpoint.usbpo-ckpt bad/policy.usbpo)" ] || fail "$name changed the run"
}
rm -rf bad && cp -r pristine bad
head -c 200 pristine/log.csv > bad/log.csv
refused truncated "bad/log.csv holds 200 bytes but the checkpoint (step 300) was taken when it held"
rm -rf bad && cp -r pristine bad
printf 'X' | dd of=bad/log.csv bs=1 seek=250 conv=notrunc status=none  # same length, one byte changed
refused damaged "bytes of bad/log.csv are not those the checkpoint (step 300) recorded: the log was edited, damaged or belongs to another run"
rm -rf bad && cp -r pristine bad
cat foreign/log.csv foreign/log.csv > bad/log.csv  # another run's, longer than the recorded length
refused foreign "belongs to another run"
echo "ok: truncated, damaged and foreign logs are refused with a reason and nothing changes"

# A missing log: the run continues and a new log starts at the checkpoint.
rm -rf bad && cp -r pristine bad
rm bad/log.csv
"$usbpo" train --resume bad --steps 600 > missing.out 2>&1 || { cat missing.out; fail "resume without a log"; }
grep -q "bad/log.csv is missing: a new log starts at step 300" missing.out || { cat missing.out; fail "not said"; }
[ "$(head -1 bad/log.csv)" = "$(head -1 straight/log.csv)" ] || fail "the new log has no header"
first=$(sed -n 2p bad/log.csv | cut -d, -f1)
[ "$first" -gt 300 ] || fail "the new log starts at step $first, not after 300"
same_log <(awk -F, 'NR==1 || $1>300' straight/log.csv) bad/log.csv || fail "the new log differs from the straight run's rows"
cmp straight/policy.usbpo bad/policy.usbpo || fail "a run resumed without its log differs"
echo "ok: a missing log is started anew at step 300 and the run still ends bit for bit"
