#!/usr/bin/env bash
# Builds the bare-metal Cortex-M7 image (usbpo::runtime + examples/bare_metal)
# around a policy file, prints its flash and RAM use, and runs it on an emulated
# Cortex-M7 board (qemu-system-arm, MPS2 AN500) where it checks itself.
#   bash tests/run_bare_metal.sh POLICY_FILE [CHECK_FILE]
# CHECK_FILE: observations and the host runtime's actions for them (the format
# the C ABI test fixture writes, build-tests/tests/c_api_expected.txt).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
policy="$(realpath "${1:?usage: run_bare_metal.sh POLICY_FILE [CHECK_FILE]}")"
check="${2:+$(realpath "$2")}"
USBPO_WITH_CROSS=1 bash "$root/tests/install_deps.sh"
build="${USBPO_BARE_METAL_BUILD_DIR:-$root/build-cortex-m7}"
cmake -S "$root" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$root/toolchains/arm-none-eabi-cortex-m7.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DUSBPO_BARE_METAL_POLICY="$policy" -DUSBPO_BARE_METAL_CHECK="$check"
cmake --build "$build" -j"$(nproc)"
elf="$build/examples/bare_metal/usbpo_bare_metal.elf"
arm-none-eabi-size -A "$elf" | grep -E "^(\.vectors|\.text|\.ARM|\.init_array|\.data|\.bss) "
read -r text data bss _ < <(arm-none-eabi-size "$elf" | tail -1)
echo "bare_metal image: flash $((text + data)) bytes, RAM $((data + bss)) bytes (RAM includes the policy buffer, USBPO_BARE_METAL_POLICY_MEMORY)"
# The image reports over semihosting and exits 0 only if all its checks held.
timeout 300 qemu-system-arm -M mps2-an500 -nographic -monitor none -serial none -semihosting -kernel "$elf"
