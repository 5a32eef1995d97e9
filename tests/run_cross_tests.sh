#!/usr/bin/env bash
# Cross-builds the core and its unit tests for an ARM Linux target and runs them
# under qemu-user (the toolchain file sets the emulator, so plain ctest works).
#   bash tests/run_cross_tests.sh aarch64-linux-gnu      (or arm-linux-gnueabihf)
# Options (environment): USBPO_CROSS_BUILD_DIR (default build-<triple>),
# USBPO_CTEST_ARGS (ctest arguments; the default leaves out the tests that are
# whole training runs or long fits, listed in `emulation_heavy` below).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
triple="${1:?usage: run_cross_tests.sh aarch64-linux-gnu|arm-linux-gnueabihf}"
toolchain="$root/toolchains/$triple.cmake"
[ -f "$toolchain" ] || { echo "run_cross_tests: no toolchain file $toolchain" >&2; exit 2; }
USBPO_WITH_CROSS=1 bash "$root/tests/install_deps.sh"
build="${USBPO_CROSS_BUILD_DIR:-$root/build-$triple}"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi
# The core, its tests and the C ABI test; the CLI and the MuJoCo port stay on the host.
cmake -S "$root" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
  -DUSBPO_BUILD_TESTS=ON -DUSBPO_BUILD_CLI=OFF -DUSBPO_WITH_MUJOCO=OFF "${launcher[@]}"
cmake --build "$build" -j"$(nproc)"
# Under qemu-user the core runs 300-400x slower than natively, so the tests that
# are whole training runs or long fits would take most of CI (the Pendulum SAC
# learning run alone: 490 s on one host, over 900 s on another; these tests
# together about 45 core-minutes per target). They run natively in the main
# pass; everything else (numerics, gradients, files, allocation proofs, policy
# round trip, the thread pool) runs here. CheckedBackend.* is the trainer suite
# again on the checked backend (the host-access rule does not depend on the
# target): natively it takes 20 s, under qemu over 10 minutes.
emulation_heavy='^(Learning\.|GaussianEnsemble\.FitsNoisy|Algorithms/ResumeIsBitExact\.|Algorithms/ModelBasedTrainer\.RunsEndToEnd|Checkpoint\.ResumesIntoLargerStores|ModelStore\.FollowsTheRolloutLength|Trainer\.CountsSteps|Trainer\.SameSeed|MlpTasks\.|Algorithms/ThreadsDeterminism\.|ThreadsNoAllocation\.|Algorithms/ThreadsNoAllocationTrainer\.|CheckedBackend\.|Algorithms/TrainerOnBackends\.GraphsReplay)'
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 1500 ${USBPO_CTEST_ARGS:--E $emulation_heavy}
