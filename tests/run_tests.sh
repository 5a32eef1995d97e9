#!/usr/bin/env bash
# Installs dependencies, builds usbpo with its tests and runs the whole suite.
# Options (environment): USBPO_BUILD_DIR (default build-tests), USBPO_SANITIZE
# (e.g. address,undefined), USBPO_REFERENCE_DIR (the Gym MJCF reference models;
# defaults to ../shared/reference/gym-mujoco-assets beside the checkout if present),
# USBPO_CTEST_ARGS (extra ctest arguments, e.g. -E to leave out tests),
# USBPO_CMAKE_ARGS (extra configure arguments, e.g. -DCMAKE_CUDA_ARCHITECTURES=80).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/tests/install_deps.sh"
build="${USBPO_BUILD_DIR:-$root/build-tests}"
reference="${USBPO_REFERENCE_DIR:-}"
if [ -z "$reference" ] && [ -d "$root/../shared/reference/gym-mujoco-assets" ]; then
  reference="$(cd "$root/../shared/reference/gym-mujoco-assets" && pwd)"
fi
build_type=Release
extra=()
if [ -n "${USBPO_SANITIZE:-}" ]; then
  # Sanitizer build: -O1 with assertions on, so Eigen's own no-malloc check is active too.
  build_type=RelWithDebInfo
  extra+=(-DUSBPO_SANITIZE="$USBPO_SANITIZE" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g")
fi
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi
# shellcheck disable=SC2086
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=$build_type -DUSBPO_BUILD_TESTS=ON \
  -DUSBPO_REFERENCE_DIR="$reference" "${launcher[@]}" "${extra[@]}" ${USBPO_CMAKE_ARGS:-}
cmake --build "$build" -j"$(nproc)"
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 1500 ${USBPO_CTEST_ARGS:-}
