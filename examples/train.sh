#!/usr/bin/env bash
# The main job: install dependencies, build the usbpo command, train USB-PO on
# the MuJoCo inverted_pendulum for 6000 env steps (30 s on 2 cores; it holds the
# maximum return of 1000 from about 3000 steps), and leave the policy file, the
# log and the plots in runs/inverted_pendulum. Without MuJoCo it trains SAC on
# the built-in Pendulum instead.
# Options (environment): STEPS, USBPO_BUILD_DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/tests/install_deps.sh"
build="${USBPO_BUILD_DIR:-$root/build}"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DUSBPO_NATIVE=ON "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target usbpo_cli
usbpo="$build/ports/cli/usbpo"
if "$usbpo" train --help 2>&1 | grep -q inverted_pendulum; then
  # The default model and SAC sizes, with 5000 rollouts per model round instead
  # of 100 000 and smaller networks, so that the run ends in minutes on 2 cores.
  "$usbpo" train --env inverted_pendulum --algo usbpo --seed 0 --steps "${STEPS:-6000}" --epoch-length 250 \
    --rollout-batch 5000 --hidden 64 --model-hidden 64 --model-layers 3 --w2-batch 256 \
    --out "$root/runs/inverted_pendulum"
else
  echo "train: this build has no MuJoCo port; training SAC on the built-in Pendulum"
  "$usbpo" train --env pendulum --algo sac --steps "${STEPS:-15000}" --seed 0 --out "$root/runs/pendulum"
fi
