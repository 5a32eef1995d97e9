# Bare-metal toolchain: Arm Cortex-M7 with the double-precision FPU (fpv5-d16),
# hard-float ABI, Thumb-2 (Debian gcc-arm-none-eabi, libstdc++-arm-none-eabi-newlib).
# Platform facts only. With CMAKE_SYSTEM_NAME Generic the project builds just the
# inference runtime (usbpo::runtime) and the bare_metal example.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
# No operating system to link test programs against during compiler checks.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard")
set(CMAKE_CXX_FLAGS_INIT "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard")
# newlib-nano, and no system calls beyond the stubs (no OS underneath).
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs --specs=nosys.specs")

# Libraries and headers of the target come from the toolchain; tools (flatc) and
# header-only packages (Eigen, FlatBuffers) from the build machine.
set(CMAKE_FIND_ROOT_PATH /usr/lib/arm-none-eabi)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
