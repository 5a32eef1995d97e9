#!/usr/bin/env bash
# The CUDA port's checks on a machine with a GPU, in one go, into one report:
# the GPU's name and driver, a Release build for this GPU's architecture, the
# `gpu` tests, a small case under compute-sanitizer memcheck, the GPU bench
# against the CPU, and a 10 000-step Hopper USB-PO run on --device cuda with
# its time breakdown. Every stage has a time limit and the whole script stays
# under 8 minutes; a stage that fails or runs out of time is reported and the
# next one still runs.
#   bash tests/run_gpu_checks.sh [REPORT]      (default: gpu_checks_report.txt here)
# Options (environment): USBPO_GPU_BUILD_DIR (default build-gpu),
# USBPO_GPU_CHECKS_SECONDS (overall limit, default 470).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
report="$(realpath -m "${1:-$root/gpu_checks_report.txt}")"
build="${USBPO_GPU_BUILD_DIR:-$root/build-gpu}"
deadline=$(( $(date +%s) + ${USBPO_GPU_CHECKS_SECONDS:-470} ))
failures=0
: > "$report"
say() { echo "$*" | tee -a "$report"; }

# stage NAME LIMIT_S COMMAND...: run with the smaller of its limit and the time
# left, its output (last 200 lines) into the report.
stage() {
  local name="$1" limit="$2"
  shift 2
  local left=$(( deadline - $(date +%s) ))
  [ "$limit" -le "$left" ] || limit=$left
  say ""
  say "== $name (limit ${limit} s)"
  say "\$ $*"
  if [ "$limit" -le 5 ]; then
    say "NOT RUN: the script's time is used up"
    failures=$((failures + 1))
    return
  fi
  local out code=0 t0
  out="$(mktemp)"
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" > "$out" 2>&1 || code=$?
  tail -n 200 "$out" >> "$report"
  tail -n 15 "$out"
  rm -f "$out"
  if [ $code = 0 ]; then
    say "-- $name: ok in $(( $(date +%s) - t0 )) s"
  else
    [ $code = 124 ] && say "-- $name: TIMED OUT after $limit s" || say "-- $name: FAILED (exit $code) after $(( $(date +%s) - t0 )) s"
    failures=$((failures + 1))
  fi
}

say "usbpo GPU checks, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if ! command -v nvidia-smi > /dev/null; then
  say "nvidia-smi not found: no NVIDIA driver here, nothing to check"
  exit 1
fi
say "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader | head -1)"
say "nvcc: $(nvcc --version 2>/dev/null | tail -1)"
say "CPU: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
# This GPU's architecture only (e.g. 9.0 -> 90): the build takes a third of the default list's time.
arch="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')"
[[ "$arch" =~ ^[0-9]+$ ]] || arch=native
launcher=()
if command -v ccache > /dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi
stage "configure" 60 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DUSBPO_BUILD_TESTS=ON \
  -DUSBPO_WITH_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$arch" -DUSBPO_BUILD_EXAMPLES=OFF "${launcher[@]}"
stage "build" 200 cmake --build "$build" -j"$(nproc)" --target usbpo_cli usbpo_cuda_gpu_tests usbpo_cuda_host_tests
stage "gpu tests (ctest -L gpu) and the host-side CUDA tests" 90 \
  ctest --test-dir "$build/tests/cuda" --output-on-failure --no-tests=error
sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
stage "compute-sanitizer memcheck: networks, SAC ops, ensemble ops, graph replay, store mirrors and gather, rollout ops (small cases)" 60 \
  "$sanitizer" --tool memcheck --error-exitcode 1 --leak-check full "$build/tests/cuda/usbpo_cuda_gpu_tests" \
  --gtest_filter='CudaOps.TwinCritics*:CudaOps.MemberRange*:CudaOps.OneMember*:CudaOps.Sac*:CudaOps.Adam*:CudaBackendMechanics.Graph*:CudaEnsembleOps.*:CudaStores.*:CudaRollouts.Gather*'
usbpo="$build/ports/cli/usbpo"
stage "bench: GPU against CPU (usbpo bench --device cuda --quick)" 60 "$usbpo" bench --device cuda --quick
stage "bench: the CPU figures at 1 thread (sac_update_hopper, ensemble_mle_step)" 25 \
  "$usbpo" bench --quick --threads 1 --only sac_update_hopper,ensemble_mle_step
run="$build/hopper-usbpo-cuda"
stage "hopper USB-PO, 10 000 env steps on --device cuda (time breakdown at the end)" 200 \
  "$usbpo" train --env hopper --algo usbpo --steps 10000 --seed 0 --device cuda --overwrite --out "$run"
say ""
say "== $failures stage(s) failed or did not finish; total $(( $(date +%s) - deadline + ${USBPO_GPU_CHECKS_SECONDS:-470} )) s"
say "report: $report"
[ $failures = 0 ]
