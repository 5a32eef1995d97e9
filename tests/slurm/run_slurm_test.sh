#!/usr/bin/env bash
# Real Slurm: a one-node cluster on this machine (munged, slurmctld and slurmd
# on loopback, a minimal configuration written here, no cgroups) runs a usbpo
# sweep as a job array, Pendulum with sac and mbpo x 2 seeds. One task is
# requeued halfway through its run (scontrol requeue): its run must checkpoint
# on Slurm's SIGTERM, resume when the task starts again, and end bit for bit
# like the same run made straight outside Slurm. Every run must finish, and
# `usbpo report` must read them where this build has it. The daemons (and any
# job left) are stopped at the end, whatever happens.
# Needs root (it installs Debian's slurm-wlm and munge and starts daemons).
# usage: run_slurm_test.sh USBPO_BINARY
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../cli/untimed_log.sh"
if [ "$(id -u)" != 0 ]; then exec sudo bash "$0" "$@"; fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
usbpo="$(realpath "$1")"
start=$(date +%s)
elapsed() { echo "$(( $(date +%s) - start )) s"; }
USBPO_WITH_SLURM=1 bash "$root/tests/install_deps.sh"
echo "slurm test: packages ready after $(elapsed)"

work="$(mktemp -d /tmp/usbpo-slurm.XXXXXX)"
chmod 711 "$work"
mkdir -p "$work/munge" "$work/state" "$work/spool" "$work/log"
chmod 711 "$work/munge"
export SLURM_CONF="$work/slurm.conf"

show_logs() {
  for f in "$work"/log/*.log "$work"/sweep/slurm/*.out; do
    [ -f "$f" ] && { echo "---- $f (last 30 lines)"; tail -n 30 "$f"; }
  done
  return 0
}
fail() { echo "FAIL: $*"; show_logs; exit 1; }
stop_pid_file() {  # stop_pid_file FILE: the daemon whose pid it holds, and wait for it
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}
stop_all() {
  if [ -f "$work/slurmctld.pid" ]; then
    scancel --quiet "${job:-0}" 2>/dev/null || true
    for _ in $(seq 1 50); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  stop_pid_file "$work/slurmd.pid"
  stop_pid_file "$work/slurmctld.pid"
  stop_pid_file "$work/munge/munged.pid"
  echo "slurm test: daemons stopped after $(elapsed)"
  if [ "${passed:-0}" = 1 ]; then rm -rf "$work"; else echo "slurm test: its files are in $work"; fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# munge: a fresh key and a private socket.
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket.2" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/log/munged.log" --seed-file="$work/munge/munged.seed"

# Slurm: this machine as the one node. A requeued job may start again after
# cred_expire seconds (default 120), at the next pass of the scheduler's main
# loop (sched_interval, default 60 s) when no other job ends to trigger one.
cpus=$(nproc)
memory_mb=$(awk '/MemTotal/ {print int($2 / 2048)}' /proc/meminfo)
cat > "$SLURM_CONF" <<EOF
ClusterName=usbpo-ci
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket.2,cred_expire=10
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldPort=${USBPO_SLURMCTLD_PORT:-6817}
SlurmdPort=${USBPO_SLURMD_PORT:-6818}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=2
MpiDefault=none
ReturnToService=2
JobRequeue=1
KillWait=20
MinJobAge=300
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost
for _ in $(seq 1 100); do
  [ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ] && break
  sleep 0.2
done
[ "$(sinfo -h -n localhost -o %t)" = idle ] || fail "the node is not idle: $(sinfo 2>&1)"
echo "slurm test: cluster up ($cpus CPUs) after $(elapsed)"

# The sweep: small networks, a checkpoint every 250 steps.
steps=4000
cat > "$work/sweep.yaml" <<EOF
# Slurm CI: Pendulum, two algorithms x two seeds
env: pendulum
algo: [sac, mbpo]
seed: [0, 1]
steps: $steps
checkpoint-every: 250
options: {epoch-length: 250, eval-episodes: 2, start-steps: 500, update-after: 500, hidden: 64, updates-per-step: 4,
          rollout-batch: 1000, ensemble: 3, elites: 2, model-hidden: 32, model-layers: 2, model-max-epochs: 8}
slurm: {time: "00:10:00", cpus-per-task: 1, mem: 200M}
EOF
cd "$work"
"$usbpo" sweep sweep.yaml --out sweep --slurm --submit > submit.out || { cat submit.out; fail "usbpo sweep --slurm --submit"; }
cat submit.out
job=$(sed -n 's/^submitted job \([0-9]*\) .*/\1/p' submit.out)
[ -n "$job" ] || fail "no job id"
[ "$(wc -l < sweep/runs.txt)" = 4 ] || fail "runs.txt does not list the 4 runs"

# Requeue task 2 (pendulum-mbpo-s0) once its log is past half its steps.
task=2
run_dir=$(sed -n "$((task + 1))p" sweep/runs.txt)
logged_steps() { tail -n 1 "$run_dir/log.csv" 2>/dev/null | cut -d, -f1 | grep -E '^[0-9]+$' || echo 0; }
for _ in $(seq 1 1500); do
  [ "$(logged_steps)" -ge $((steps / 2)) ] && break
  sleep 0.2
done
at=$(logged_steps)
[ "$at" -ge $((steps / 2)) ] && [ "$at" -lt "$steps" ] && [ ! -e "$run_dir/done" ] \
  || fail "task $task was not caught halfway (log at $at of $steps steps)"
scontrol requeue "${job}_${task}"
echo "slurm test: requeued task ${job}_${task} at about $at of $steps steps after $(elapsed)"

# Wait for the whole array.
for _ in $(seq 1 1500); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 0.2
done
[ -z "$(squeue -h -j "$job")" ] || fail "the job array did not end: $(squeue -j "$job")"
echo "slurm test: job array done after $(elapsed)"

while read -r dir; do
  [ "$(cat "$dir/done" 2>/dev/null)" = "steps $steps" ] || fail "$dir did not finish ($(cat "$dir/failed.txt" 2>/dev/null))"
done < sweep/runs.txt
grep -q "restart 1" "sweep/slurm/task-$task.out" || fail "task $task did not start again"
grep -q "interrupted after" "$run_dir/sweep-train.log" || fail "the requeued run did not checkpoint on SIGTERM"
resumed=$(sed -n 's/.*(resumed at step \([0-9]*\)).*/\1/p' "$run_dir/sweep-train.log" | tail -n 1)
[ -n "$resumed" ] && [ "$resumed" -gt 0 ] || fail "the requeued run did not resume from its checkpoint"
echo "ok: 4 runs finished; task $task was requeued, checkpointed at step $resumed and resumed there"

# Its twin: the same config.yaml, straight, outside Slurm.
"$usbpo" train --config "$run_dir/config.yaml" --out twin > twin.out 2>&1 || { tail twin.out; fail "twin run"; }
cmp "$run_dir/policy.usbpo" twin/policy.usbpo || fail "the requeued run's policy differs from its twin's"
"$usbpo" export --checkpoint "$run_dir" --out requeued-checkpoint.usbpo > /dev/null
"$usbpo" export --checkpoint twin --out twin-checkpoint.usbpo > /dev/null
cmp requeued-checkpoint.usbpo twin-checkpoint.usbpo || fail "the final checkpoints' policies differ"
diff <(untimed "$run_dir/log.csv") <(untimed twin/log.csv) > /dev/null \
  || fail "the requeued run's log differs from its twin's (apart from timings)"
echo "ok: the requeued run equals its straight twin bit for bit (policy, final checkpoint's policy, log)"

if "$usbpo" report --help > /dev/null 2>&1; then
  "$usbpo" report sweep --out report > report.out 2>&1 || { cat report.out; fail "usbpo report"; }
  grep -q "pendulum | mbpo | 2 |" report.out && grep -q "pendulum | sac | 2 |" report.out \
    || { cat report.out; fail "usbpo report does not show both algorithms with 2 seeds each"; }
  while read -r dir; do
    grep -q ",$(basename "$dir")," report/runs.csv || grep -q "/$(basename "$dir")," report/runs.csv \
      || { cat report/runs.csv; fail "usbpo report's runs.csv does not list $(basename "$dir")"; }
  done < sweep/runs.txt
  echo "ok: usbpo report reads the sweep"
else
  echo "skipped: this usbpo has no report command, so the report check did not run"
fi
echo "slurm test: passed in $(elapsed)"
passed=1
