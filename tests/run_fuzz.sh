#!/usr/bin/env bash
# Builds the loader fuzz targets with clang (libFuzzer + ASan + UBSan) and fuzzes
# each for a bounded time: the policy, checkpoint and dataset loaders, each from
# a small valid file of its kind (written by usbpo_write_fuzz_seeds), plus any
# policy files given.
#   bash tests/run_fuzz.sh [SEED_POLICY ...]
# Options (environment): USBPO_FUZZ_SECONDS (per target, default 60),
# USBPO_FUZZ_TARGETS (default "policy checkpoint dataset"), USBPO_FUZZ_BUILD_DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
USBPO_WITH_FUZZ=1 bash "$root/tests/install_deps.sh"
build="${USBPO_FUZZ_BUILD_DIR:-$root/build-fuzz}"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUSBPO_BUILD_FUZZ=ON \
  -DUSBPO_BUILD_CLI=OFF -DUSBPO_BUILD_EXAMPLES=OFF -DUSBPO_WITH_MUJOCO=OFF \
  -DUSBPO_SANITIZE=address,undefined,fuzzer-no-link "${launcher[@]}"
cmake --build "$build" -j"$(nproc)" --target usbpo_fuzz
for target in policy checkpoint dataset; do mkdir -p "$build/corpus/$target"; done
"$build/tests/fuzz/usbpo_write_fuzz_seeds" "$build/corpus/policy" "$build/corpus/checkpoint" "$build/corpus/dataset"
# The targets append the checksum trailer themselves: seed them with the content before it.
for seed in "$@"; do head -c -16 "$seed" > "$build/corpus/policy/seed-$(basename "$seed")"; done
# Findings (crash inputs) land in the build folder; any finding fails the run.
declare -A max_len=([policy]=65536 [checkpoint]=262144 [dataset]=65536)
for target in ${USBPO_FUZZ_TARGETS:-policy checkpoint dataset}; do
  echo "== fuzz: the $target loader, ${USBPO_FUZZ_SECONDS:-60} s"
  "$build/tests/fuzz/usbpo_${target}_fuzz" -max_total_time="${USBPO_FUZZ_SECONDS:-60}" -max_len="${max_len[$target]}" \
    -artifact_prefix="$build/$target-" -print_final_stats=1 "$build/corpus/$target"
done
