#!/usr/bin/env bash
# The main job: install dependencies, build the usbpo command, train USB-PO on
# the MuJoCo inverted_pendulum for 6000 env steps (30 s on 2 cores; it holds the
# maximum return of 1000 from about 3000 steps), and leave the policy file, the
# log and the plots in runs/inverted_pendulum. Without MuJoCo it trains SAC on
# the built-in Pendulum instead. Run again, it keeps the earlier run: that one
# is moved to runs/inverted_pendulum.1 (then .2, ...) and the new run takes its place.
# Options (environment): STEPS, USBPO_BUILD_DIR; USBPO_BINARY (an usbpo already
# built: no install, no build) and USBPO_RUNS_DIR (default runs/), for tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${USBPO_RUNS_DIR:-$root/runs}"
if [ -n "${USBPO_BINARY:-}" ]; then
  usbpo="$USBPO_BINARY"
else
  bash "$root/tests/install_deps.sh"
  build="${USBPO_BUILD_DIR:-$root/build}"
  launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DUSBPO_NATIVE=ON "${launcher[@]}" >/dev/null
  cmake --build "$build" -j"$(nproc)" --target usbpo_cli
  usbpo="$build/ports/cli/usbpo"
fi

# usbpo train refuses a directory that holds a run; move an earlier one aside to
# the first free OUT.N, holding its lock so that a run still going on there is
# never moved.
keep_earlier_run() {
  local out="$1" n=1
  # A run that has just started (or restarted with --overwrite) holds the lock
  # before it has written any file: refuse it by the lock, not by its files.
  if [ -e "$out/.usbpo-lock" ] && ! flock -n "$out/.usbpo-lock" true; then
    echo "train: $out is in use by a running usbpo ($(cat "$out/.usbpo-lock")); not starting another" >&2
    exit 1
  fi
  [ -e "$out/checkpoint.usbpo-ckpt" ] || [ -e "$out/policy.usbpo" ] || [ -e "$out/log.csv" ] || return 0
  while [ -e "$out.$n" ]; do n=$((n + 1)); done
  local code=0
  flock -n -E 75 "$out/.usbpo-lock" mv "$out" "$out.$n" || code=$?
  if [ $code = 75 ]; then
    echo "train: $out is in use by a running usbpo ($(cat "$out/.usbpo-lock")); not starting another" >&2
    exit 1
  elif [ $code != 0 ]; then
    echo "train: cannot move the earlier run in $out aside" >&2
    exit 1
  fi
  echo "train: the earlier run in $out was moved to $out.$n"
}
if "$usbpo" train --help 2>&1 | grep -q inverted_pendulum; then
  # The default model and SAC sizes, with 5000 rollouts per model round instead
  # of 100 000 and smaller networks, so that the run ends in minutes on 2 cores.
  keep_earlier_run "$runs/inverted_pendulum"
  "$usbpo" train --env inverted_pendulum --algo usbpo --seed 0 --steps "${STEPS:-6000}" --epoch-length 250 \
    --rollout-batch 5000 --hidden 64 --model-hidden 64 --model-layers 3 --w2-batch 256 \
    --out "$runs/inverted_pendulum"
else
  echo "train: this build has no MuJoCo port; training SAC on the built-in Pendulum"
  keep_earlier_run "$runs/pendulum"
  "$usbpo" train --env pendulum --algo sac --steps "${STEPS:-15000}" --seed 0 --out "$runs/pendulum"
fi
