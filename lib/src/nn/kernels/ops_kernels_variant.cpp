// One instruction-set variant of the CPU kernels; the build defines
// USBPO_KERNEL_NAMESPACE, renames Eigen and sets the -m flags (lib/CMakeLists.txt).
#include "nn/kernels/ops_kernels.inl"
