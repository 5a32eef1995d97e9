#!/usr/bin/env bash
# Builds the policy-loader fuzz target with clang (libFuzzer + ASan + UBSan)
# and fuzzes it for a bounded time, starting from the given policy files.
#   bash tests/run_fuzz.sh [SEED_POLICY ...]
# Options (environment): USBPO_FUZZ_SECONDS (default 60), USBPO_FUZZ_BUILD_DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
USBPO_WITH_FUZZ=1 bash "$root/tests/install_deps.sh"
build="${USBPO_FUZZ_BUILD_DIR:-$root/build-fuzz}"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUSBPO_BUILD_FUZZ=ON \
  -DUSBPO_BUILD_CLI=OFF -DUSBPO_BUILD_EXAMPLES=OFF -DUSBPO_WITH_MUJOCO=OFF \
  -DUSBPO_SANITIZE=address,undefined,fuzzer-no-link "${launcher[@]}"
cmake --build "$build" -j"$(nproc)" --target usbpo_policy_fuzz
corpus="$build/corpus"
mkdir -p "$corpus"
for seed in "$@"; do cp "$seed" "$corpus/"; done
# Findings (crash inputs) land in the build folder; any finding fails the run.
"$build/tests/fuzz/usbpo_policy_fuzz" -max_total_time="${USBPO_FUZZ_SECONDS:-60}" -max_len=65536 \
  -artifact_prefix="$build/" -print_final_stats=1 "$corpus"
