#!/usr/bin/env bash
# The main job: install dependencies, build the usbpo command, train SAC on the
# built-in Pendulum, and leave the policy file, the log and the learning-curve
# plot in runs/pendulum.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/tests/install_deps.sh"
build="${USBPO_BUILD_DIR:-$root/build}"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DUSBPO_NATIVE=ON "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target usbpo_cli
"$build/ports/cli/usbpo" train --env pendulum --algo sac --steps "${STEPS:-15000}" --seed 0 --out "$root/runs/pendulum"
