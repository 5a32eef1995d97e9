#!/usr/bin/env bash
# usbpo train never loses a run: a directory holding a run is refused unless
# --resume or --overwrite; an empty --out is refused; missing parents are
# created; one process per run directory (a second train or --resume is
# refused at once, naming the holder), and a holder killed with SIGKILL leaves
# no stale lock; examples/train.sh run twice keeps the first run.
# usage: run_directory_test.sh USBPO_BINARY SCRATCH_DIR SOURCE_DIR
set -euo pipefail
usbpo="$1"
scratch="$2"
source_dir="$3"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
fail() { echo "FAIL: $*"; exit 1; }
tiny=(--env pendulum --start-steps 100 --update-after 100 --hidden 16 --batch 32 --epoch-length 150 --eval-episodes 1)
expect_code() {  # CODE OUTFILE ARGS...: run usbpo, require the exit code
  local want="$1" out="$2" code=0
  shift 2
  "$usbpo" "$@" > "$out" 2>&1 || code=$?
  [ "$code" = "$want" ] || { cat "$out"; fail "usbpo $* exited $code, expected $want"; }
}

# A second run into the same directory is refused and changes nothing.
expect_code 0 first.out train "${tiny[@]}" --steps 300 --out run
before=$(md5sum run/checkpoint.usbpo-ckpt run/policy.usbpo run/log.csv)
expect_code 2 again.out train "${tiny[@]}" --steps 300 --out run
grep -q "run already holds a run (checkpoint.usbpo-ckpt, policy.usbpo, log.csv)" again.out \
  || { cat again.out; fail "no clear refusal of a directory holding a run"; }
grep -q -- "--resume run" again.out && grep -q -- "--overwrite" again.out || fail "the refusal names no way out"
[ "$before" = "$(md5sum run/checkpoint.usbpo-ckpt run/policy.usbpo run/log.csv)" ] || fail "a refused run changed the earlier one"
# Each file alone makes a run.
for f in checkpoint.usbpo-ckpt policy.usbpo log.csv; do
  mkdir -p "only-$f" && cp "run/$f" "only-$f/"
  expect_code 2 only.out train "${tiny[@]}" --steps 300 --out "only-$f"
  grep -q "already holds a run ($f)" only.out || { cat only.out; fail "$f alone was not taken for a run"; }
done
echo "ok: a directory holding a run is refused and left as it was"

# --overwrite replaces the run (its files removed first); --resume continues it.
echo stale > run/learning_curve.svg.tmp
expect_code 0 over.out train "${tiny[@]}" --steps 150 --out run --overwrite
grep -q "overwrite: removed the earlier run's checkpoint.usbpo-ckpt, policy.usbpo, log.csv, learning_curve.svg, learning_curve.svg.tmp from run" over.out \
  || { cat over.out; fail "--overwrite did not say what it removed"; }
[ ! -e run/learning_curve.svg.tmp ] || fail "--overwrite left a stale temporary"
"$usbpo" export --checkpoint run --out over.usbpo | grep -q "after 150 env steps" || fail "--overwrite did not start anew"
expect_code 0 resume.out train --resume run --steps 300
grep -q "resumed at step 150" resume.out || fail "--resume did not continue the run"
expect_code 2 both.out train --resume run --overwrite
grep -q "give one of them" both.out || { cat both.out; fail "--resume with --overwrite not refused"; }
expect_code 2 below.out train --resume run --steps 100
grep -q "below the checkpoint's env step 300" below.out || { cat below.out; fail "--steps below the checkpoint not refused"; }
echo "ok: --overwrite replaces a run, --resume continues it"

# Empty paths are refused; missing parents are created; a file in the way is refused.
expect_code 2 empty.out train "${tiny[@]}" --steps 300 --out ""
grep -q "out must not be empty" empty.out || { cat empty.out; fail "empty --out"; }
expect_code 2 empty-resume.out train --resume ""
grep -q "resume needs the run directory" empty-resume.out || { cat empty-resume.out; fail "empty --resume"; }
expect_code 0 deep.out train "${tiny[@]}" --steps 150 --out new/parent/run
grep -q "created new/parent/run" deep.out && [ -s new/parent/run/policy.usbpo ] || { cat deep.out; fail "missing parents"; }
touch a-file
expect_code 2 file.out train "${tiny[@]}" --steps 150 --out a-file/run
grep -q "cannot create directory a-file/run: Not a directory" file.out || { cat file.out; fail "a file as parent"; }
expect_code 2 file2.out train "${tiny[@]}" --steps 150 --out a-file
grep -q "a-file exists and is not a directory" file2.out || { cat file2.out; fail "a file as --out"; }
expect_code 2 nodir.out train --resume no-such-dir
grep -q "no such run directory" nodir.out || { cat nodir.out; fail "--resume of a missing directory"; }
echo "ok: empty, missing and blocked paths"

# One process per run directory.
"$usbpo" train "${tiny[@]}" --steps 1000000 --out busy > busy.out 2>&1 &
holder=$!
for _ in $(seq 1 150); do [ -s busy/checkpoint.usbpo-ckpt ] && break; sleep 0.1; done
[ -s busy/checkpoint.usbpo-ckpt ] || { kill -9 $holder; cat busy.out; fail "the holder wrote no checkpoint"; }
expect_code 2 second.out train "${tiny[@]}" --steps 300 --out busy --overwrite
grep -q "busy is in use by another usbpo process (pid $holder on " second.out \
  || { cat second.out; kill -9 $holder; fail "a second train on a locked directory was not refused naming the holder"; }
expect_code 2 second-resume.out train --resume busy --steps 2000000
grep -q "in use by another usbpo process (pid $holder on .*--out busy)" second-resume.out \
  || { cat second-resume.out; kill -9 $holder; fail "a --resume of a locked directory was not refused naming the holder"; }
kill -0 $holder 2>/dev/null || fail "the holder died"
kill -9 $holder
wait $holder 2>/dev/null || true
at=$("$usbpo" export --checkpoint busy --out busy.usbpo | sed -n 's/.*after \([0-9]*\) env steps.*/\1/p')
expect_code 0 after-kill.out train --resume busy --steps $((at + 150))
grep -q "in use" after-kill.out && fail "SIGKILL left a stale lock"
grep -q "pid $$\|pid [0-9]* on .*--resume busy" busy/.usbpo-lock || fail "the lock file does not record its last holder"
echo "ok: a locked run directory is refused naming the holder (pid $holder); SIGKILL leaves no stale lock"

# The README's main command, run twice: the first run is moved aside, not lost.
export USBPO_BINARY="$usbpo" USBPO_RUNS_DIR="$scratch/runs" STEPS=300
bash "$source_dir/examples/train.sh" > script1.out 2>&1 || { cat script1.out; fail "train.sh failed"; }
name=$(ls runs)
first=$(md5sum < "runs/$name/policy.usbpo")
bash "$source_dir/examples/train.sh" > script2.out 2>&1 || { cat script2.out; fail "train.sh failed when run again"; }
grep -q "the earlier run in $scratch/runs/$name was moved to $scratch/runs/$name.1" script2.out \
  || { cat script2.out; fail "train.sh did not say where the earlier run went"; }
[ "$first" = "$(md5sum < "runs/$name.1/policy.usbpo")" ] || fail "the earlier run was not kept whole"
[ -s "runs/$name/policy.usbpo" ] || fail "the second run wrote no policy"
bash "$source_dir/examples/train.sh" > script3.out 2>&1 || { cat script3.out; fail "train.sh failed a third time"; }
[ -s "runs/$name.2/policy.usbpo" ] && [ -s "runs/$name.1/policy.usbpo" ] || fail "the third run did not move to .2"
# A run in progress there is not moved.
"$usbpo" train "${tiny[@]}" --steps 1000000 --out "runs/$name" --overwrite > busy2.out 2>&1 &
holder=$!
for _ in $(seq 1 150); do grep -qs "pid $holder " "runs/$name/.usbpo-lock" && break; sleep 0.1; done
code=0; bash "$source_dir/examples/train.sh" > script4.out 2>&1 || code=$?
kill -9 $holder; wait $holder 2>/dev/null || true
[ $code = 1 ] && grep -q "is in use by a running usbpo (pid $holder" script4.out \
  || { cat script4.out; fail "train.sh moved or joined a run in progress (exit $code)"; }
[ ! -e "runs/$name.3" ] || fail "train.sh moved a run in progress"
# The window right after a start: the lock is held but no file is written yet.
mkdir -p "starting/$name"
echo "pid 1 on test: starting" > "starting/$name/.usbpo-lock"
exec 8<> "starting/$name/.usbpo-lock"
flock -n 8 || fail "could not take the test lock"
code=0; USBPO_RUNS_DIR="$scratch/starting" bash "$source_dir/examples/train.sh" > script5.out 2>&1 8>&- || code=$?
exec 8>&-
[ $code = 1 ] && grep -q "is in use by a running usbpo (pid 1 on test: starting)" script5.out \
  || { cat script5.out; fail "train.sh started a run in a directory whose lock is held (exit $code)"; }
echo "ok: examples/train.sh run again keeps the earlier runs ($name.1, $name.2) and leaves a running one alone"
