#!/usr/bin/env bash
# usbpo sweep and train --config end to end with tiny Pendulum runs: the run
# directories, --local runs, finished runs skipped, longer runs resumed bit for
# bit, a partial run started again, failures recorded in failed.txt (exit
# status, killed), Ctrl-C passed on to the runs, a busy run left alone, a
# changed sweep refused, the Slurm script written, and --config with flags
# that override it.
# usage: sweep_test.sh USBPO_BINARY SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/untimed_log.sh"
usbpo="$1"
scratch="$2"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
fail() { echo "FAIL: $*"; exit 1; }
small="start-steps: 300, update-after: 300, hidden: 32, batch: 64, epoch-length: 250, eval-episodes: 1"
model="rollout-batch: 500, ensemble: 3, elites: 2, model-hidden: 32, model-layers: 2, model-max-epochs: 3"
write_sweep() {  # write_sweep STEPS [EXTRA LINE]
  printf '# two algorithms x two seeds\nenv: pendulum\nalgo: [sac, mbpo]\nseed: [0, 1]\nsteps: %s\noptions: {%s, %s}\n%s\n' \
    "$1" "$small" "$model" "${2:-}" > sweep.yaml
}
runs=(pendulum-sac-s0 pendulum-sac-s1 pendulum-mbpo-s0 pendulum-mbpo-s1)
policies() { for r in "${runs[@]}"; do md5sum "sw/$r/policy.usbpo"; done; }

# The plan: four directories with their config.yaml, nothing run yet.
write_sweep 600
"$usbpo" sweep sweep.yaml --out sw > plan.out
for r in "${runs[@]}"; do
  grep -q "^  $r  *start$" plan.out || { cat plan.out; fail "$r not planned"; }
  algo=${r#pendulum-}
  grep -q "^algo: ${algo%-s*}$" "sw/$r/config.yaml" || fail "$r: config.yaml has the wrong algo"
  grep -q "^seed: ${r##*-s}$" "sw/$r/config.yaml" || fail "$r: config.yaml has the wrong seed"
  grep -q "^steps: 600$" "sw/$r/config.yaml" || fail "$r: config.yaml has no steps"
  [ ! -e "sw/$r/log.csv" ] || fail "$r ran without --local"
done
cmp sweep.yaml sw/sweep.yaml || fail "no copy of the sweep file"
echo "ok: four run directories, each with its config.yaml"

# --local 2: all four run and finish.
"$usbpo" sweep sweep.yaml --out sw --local 2 > local.out || { cat local.out; fail "sweep --local"; }
grep -q "sweep: 4 runs in .*: 4 finished (0 before this sweep), 0 failed" local.out || { cat local.out; fail "summary"; }
for r in "${runs[@]}"; do
  [ "$(cat "sw/$r/done")" = "steps 600" ] || fail "$r: no done marker"
  grep -q "^600," "sw/$r/log.csv" || fail "$r: log does not reach 600 steps"
  grep -q "usbpo train: pendulum" "sw/$r/sweep-train.log" || fail "$r: no train output in sweep-train.log"
done
echo "ok: --local 2 ran the four runs to their end"

# Again: nothing runs.
before=$(policies; cat sw/*/sweep-train.log | md5sum)
"$usbpo" sweep sweep.yaml --out sw --local 2 > again.out
grep -q "4 finished (4 before this sweep)" again.out || { cat again.out; fail "finished runs not skipped"; }
[ "$before" = "$(policies; cat sw/*/sweep-train.log | md5sum)" ] || fail "a finished run was touched"
echo "ok: finished runs are skipped"

# More steps: each run resumes from its checkpoint and ends bit for bit like a
# straight run of its config.yaml (usbpo train --config).
write_sweep 900
"$usbpo" sweep sweep.yaml --out sw --local 2 > more.out || { cat more.out; fail "longer sweep"; }
for r in "${runs[@]}"; do
  grep -q "resumed at step 600" "sw/$r/sweep-train.log" || fail "$r did not resume"
  # --threads is not recorded in a run: the sweep passes it again on resume.
  started=$(grep -m1 "^usbpo train: .* thread" "sw/$r/sweep-train.log" | sed 's/.* \([0-9]*\) threads*,.*/\1/')
  resumed=$(grep "resumed at step 600" "sw/$r/sweep-train.log" | sed 's/.* \([0-9]*\) threads*,.*/\1/')
  [ -n "$started" ] && [ "$started" = "$resumed" ] \
    || fail "$r resumed with $resumed threads after starting with $started (the sweep's share of the cores)"
  [ "$(cat "sw/$r/done")" = "steps 900" ] || fail "$r: done marker not updated"
done
for r in pendulum-mbpo-s0; do
  "$usbpo" train --config "sw/$r/config.yaml" --out "twin-$r" > /dev/null 2>&1 || fail "twin of $r"
  cmp "sw/$r/policy.usbpo" "twin-$r/policy.usbpo" || fail "$r resumed by the sweep differs from its straight twin"
  diff <(untimed "sw/$r/log.csv") <(untimed "twin-$r/log.csv") || fail "$r: logs differ"
done
echo "ok: longer runs resume and equal straight runs of their config.yaml"

# train --config with flags that override the file.
"$usbpo" train --config sw/pendulum-sac-s0/config.yaml --steps 500 --seed 7 --out over > /dev/null 2>&1 || fail "--config with overrides"
"$usbpo" train --env pendulum --algo sac --seed 7 --steps 500 --start-steps 300 --update-after 300 --hidden 32 \
  --batch 64 --epoch-length 250 --eval-episodes 1 --out direct > /dev/null 2>&1
cmp over/policy.usbpo direct/policy.usbpo || fail "--config + overrides is not the same run as the flags alone"
"$usbpo" export --checkpoint over --out over.usbpo > export.out
grep -q "after 500 env steps" export.out || fail "--steps did not override"
printf 'env: pendulum\nseed: [0, 1]\n' > list.yaml
if "$usbpo" train --config list.yaml > list.out 2>&1; then fail "a list in --config was accepted"; fi
grep -q "list.yaml:2:1: 'seed' is a list" list.out || { cat list.out; fail "no clear message for a list"; }
printf 'env: pendulum\nseed: [0, 1\n' > broken.yaml
if "$usbpo" train --config broken.yaml > broken.out 2>&1; then fail "broken YAML accepted"; fi
grep -q "^usbpo train: broken.yaml:3:" broken.out || { cat broken.out; fail "no line:column for broken YAML"; }
echo "ok: train --config, overridden by flags; lists and broken files refused with their line"

# A run that never wrote a checkpoint starts again in a clean directory.
rm sw/pendulum-sac-s1/checkpoint.usbpo-ckpt sw/pendulum-sac-s1/done
cp sw/pendulum-sac-s1/policy.usbpo straight-sac-s1.usbpo
echo "garbage" >> sw/pendulum-sac-s1/log.csv
"$usbpo" sweep sweep.yaml --out sw --local 1 > partial.out || { cat partial.out; fail "partial run"; }
grep -q "4 finished (3 before this sweep)" partial.out || { cat partial.out; fail "summary after a partial run"; }
last_start=$(grep "^== usbpo sweep" sw/pendulum-sac-s1/sweep-train.log | tail -n 1)
[[ "$last_start" == *"--config"* ]] || fail "the partial run was not started again"
cmp sw/pendulum-sac-s1/policy.usbpo straight-sac-s1.usbpo || fail "the run started again differs"
echo "ok: a run without a checkpoint starts again from a clean directory"

# A sweep whose runs differ from those in its directory is refused.
sed 's/hidden: 32/hidden: 16/' sweep.yaml > other.yaml
if "$usbpo" sweep other.yaml --out sw --local 1 > other.out 2>&1; then fail "a changed sweep was accepted"; fi
grep -q "holds a run with other options (hidden: 32 there, 16 now)" other.out || { cat other.out; fail "changed sweep"; }
echo "ok: a sweep with other options for the same directories is refused"

# A run another process holds is left alone.
write_sweep 1000
exec 9> sw/pendulum-sac-s0/.sweep-lock  # this shell holds the run's lock
flock -n 9 || fail "cannot take the lock"
code=0; "$usbpo" sweep sweep.yaml --out sw --local 2 > busy.out 9>&- || code=$?
exec 9>&-
[ $code = 1 ] || { cat busy.out; fail "busy run: exit code $code, expected 1"; }
grep -q "not run: pendulum-sac-s0: another process holds" busy.out || { cat busy.out; fail "busy run not reported"; }
[ "$(cat sw/pendulum-sac-s0/done)" = "steps 900" ] || fail "the busy run was run"
[ "$(cat sw/pendulum-mbpo-s1/done)" = "steps 1000" ] || fail "the other runs did not run"
echo "ok: a run held by another process is left alone"

# Failures: failed.txt says why (exit status and the run's last words), the
# sweep goes on with the other runs and exits 1.
printf 'env: pendulum\nalgo: sac\nseed: [0, 1]\nsteps: 600\ninit-dataset: [none.usbpo-data]\noptions: {%s}\n' "$small" \
  > failing.yaml
code=0; "$usbpo" sweep failing.yaml --out fails --local 2 > fails.out || code=$?
[ $code = 1 ] || { cat fails.out; fail "failing sweep: exit code $code, expected 1"; }
for s in 0 1; do
  f="fails/pendulum-sac-s$s-init-datasetnone.usbpo-data/failed.txt"
  [ -f "$f" ] || { cat fails.out; fail "no $f"; }
  grep -q "exit status 2" "$f" || fail "$f has no exit status"
  grep -q "none.usbpo-data" "$f" || { cat "$f"; fail "$f does not say why"; }
done
grep -q "failed: pendulum-sac-s0-init-datasetnone.usbpo-data: exit status 2: usbpo train: --init-dataset" fails.out \
  || { cat fails.out; fail "summary does not say why a run failed"; }
echo "ok: failed runs say why in failed.txt and in the summary"

# Ctrl-C (SIGINT to the sweep): passed on to the runs, which checkpoint; the
# sweep exits 130, nothing is marked failed or done, no further run starts,
# and the next sweep resumes them. A run killed outright is a failure with its
# signal, and its slot goes to the next run.
printf 'env: pendulum\nalgo: sac\nseed: [0, 1, 2, 3]\nsteps: 1000000\noptions: {%s}\n' "$small" > long.yaml
"$usbpo" sweep long.yaml --out long --local 2 > long.out 2>&1 &
sweep=$!
wait_for() { for _ in $(seq 1 150); do [ -f "$1" ] && return 0; sleep 0.2; done; fail "no $1"; }
wait_for long/pendulum-sac-s0/checkpoint.usbpo-ckpt
wait_for long/pendulum-sac-s1/checkpoint.usbpo-ckpt
kill -KILL "$(pgrep -P $sweep -f "pendulum-sac-s1/config.yaml")"
wait_for long/pendulum-sac-s2/checkpoint.usbpo-ckpt
kill -INT $sweep
code=0; wait $sweep || code=$?
[ $code = 130 ] || { cat long.out; fail "interrupted sweep: exit code $code, expected 130"; }
grep -q "1 failed, 2 interrupted, 1 not run" long.out || { cat long.out; fail "interrupted summary"; }
grep -q "killed by signal 9" long/pendulum-sac-s1/failed.txt || fail "a killed run is not a failure with its signal"
for s in 0 2; do
  [ ! -e long/pendulum-sac-s$s/failed.txt ] && [ ! -e long/pendulum-sac-s$s/done ] || fail "interrupted s$s is marked"
  grep -q "interrupted after" long/pendulum-sac-s$s/sweep-train.log || fail "s$s did not see the interrupt"
done
[ ! -e long/pendulum-sac-s3/log.csv ] || fail "a run started after the interrupt"
step_of() { "$usbpo" export --checkpoint "$1" --out at.usbpo | sed -n 's/.*after \([0-9]*\) env steps.*/\1/p'; }
at0=$(step_of long/pendulum-sac-s0)
at2=$(step_of long/pendulum-sac-s2)
steps=$(( (at0 > at2 ? at0 : at2) + 250 ))
sed -i "s/steps: 1000000/steps: $steps/" long.yaml
"$usbpo" sweep long.yaml --out long --local 2 > resumed.out || { cat resumed.out; fail "resuming the interrupted sweep"; }
grep -q "resumed at step $at0" long/pendulum-sac-s0/sweep-train.log || fail "the interrupted run did not resume"
grep -q "resumed at step $at2" long/pendulum-sac-s2/sweep-train.log || fail "the interrupted run did not resume"
[ ! -e long/pendulum-sac-s1/failed.txt ] || fail "failed.txt stays after the run finished"
for s in 0 1 2 3; do [ "$(cat long/pendulum-sac-s$s/done)" = "steps $steps" ] || fail "s$s not finished"; done
echo "ok: SIGINT checkpoints the runs (at $at0 and $at2), a killed run fails with its signal, the next sweep resumes"

# --run DIR: what a Slurm task runs.
"$usbpo" sweep --run sw/pendulum-sac-s0 > run.out || { cat run.out; fail "--run"; }
grep -q "pendulum-sac-s0  finished *1000/1000 steps" run.out || { cat run.out; fail "--run did not finish the run"; }
"$usbpo" sweep --run sw/pendulum-sac-s0 > run-again.out
grep -q "finished before" run-again.out || fail "--run of a finished run"

# --slurm: the job array of the unfinished runs (none now, then one).
"$usbpo" sweep sweep.yaml --out sw --slurm > slurm-done.out
grep -q "all 4 runs are finished; nothing to submit" slurm-done.out || fail "--slurm when done"
write_sweep 1200
"$usbpo" sweep sweep.yaml --out sw --slurm --slurm-time 0:10:00 --slurm-partition debug > slurm.out
grep -q "a job array of 4 tasks" slurm.out || { cat slurm.out; fail "--slurm"; }
grep -q "^#SBATCH --array=0-3$" sw/sweep.sbatch || fail "array size"
grep -q "^#SBATCH --time=0:10:00$" sw/sweep.sbatch || fail "--slurm-time"
grep -q "^#SBATCH --partition=debug$" sw/sweep.sbatch || fail "--slurm-partition"
[ "$(wc -l < sw/runs.txt)" = 4 ] && grep -q "/sw/pendulum-mbpo-s1$" sw/runs.txt || fail "runs.txt"
bash -n sw/sweep.sbatch || fail "the job script is not valid bash"
echo "ok: --run and --slurm"
