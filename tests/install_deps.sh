#!/usr/bin/env bash
# Installs the Debian 12 packages usbpo builds and tests with (skips what is there).
set -euo pipefail
packages=(cmake g++ make libeigen3-dev libflatbuffers-dev flatbuffers-compiler libmujoco-dev
          libgtest-dev libgmock-dev libbenchmark-dev ccache libxxhash-dev libyaml-cpp-dev
          python3-numpy python3-scipy)  # the cross-check of `usbpo report`'s statistics
# ONNX export (ports/onnx: the ONNX protobuf classes and checker); its tests
# install ONNX Runtime from PyPI into a virtual environment.
packages+=(libonnx-dev libprotobuf-dev python3-venv)
# The PyTorch peer, with OpenBLAS behind its matrix products (Debian's python3-torch
# otherwise links the reference BLAS, 20x slower).
if [ "${USBPO_WITH_PEER:-0}" = 1 ]; then packages+=(python3-torch libopenblas0-pthread); fi
# Cross builds: Linux/ARM compilers, qemu-user to run their tests, GoogleTest
# sources to build it for the target, the bare-metal Cortex-M toolchain.
if [ "${USBPO_WITH_CROSS:-0}" = 1 ]; then
  packages+=(g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user googletest
             gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm)
fi
# The Slurm test (tests/slurm/run_slurm_test.sh): a one-node cluster.
if [ "${USBPO_WITH_SLURM:-0}" = 1 ]; then packages+=(slurm-wlm munge); fi
# The policy-loader fuzz target: clang with libFuzzer.
if [ "${USBPO_WITH_FUZZ:-0}" = 1 ]; then packages+=(clang libclang-rt-14-dev); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages present"
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "install_deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
