#!/usr/bin/env bash
# ThreadSanitizer over the threads tests: the pool itself, the cut network
# passes, SAC updates, an ensemble round and rollout sampling, and 500
# USB-PO + PMAC trainer steps (model rounds, phase 2, rollouts) on 2 threads
# must show no data race.
#   bash tests/run_tsan.sh
# Options (environment): USBPO_TSAN_BUILD_DIR (default build-tsan),
# USBPO_TSAN_FILTER (a GoogleTest filter; the default is the list below).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${USBPO_TSAN_BUILD_DIR:-$root/build-tsan}"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi
# Only the core, the pool and their tests: no CLI, examples or MuJoCo port.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DUSBPO_BUILD_TESTS=ON -DUSBPO_SANITIZE=thread \
  -DUSBPO_BUILD_CLI=OFF -DUSBPO_BUILD_EXAMPLES=OFF -DUSBPO_WITH_MUJOCO=OFF -DUSBPO_WITH_CUDA=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target usbpo_threads_tests
filter="${USBPO_TSAN_FILTER:-ThreadPool.*:ColumnPanels.*:Chunks.*:MlpTasks.*:ThreadsNoAllocation.*:*ThreadsNoAllocationTrainer*usbpo_pmac}"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
  "$build/tests/usbpo_threads_tests" --gtest_filter="$filter"
