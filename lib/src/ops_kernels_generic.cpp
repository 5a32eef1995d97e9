// The generic (baseline instruction set) variant of the CPU kernels.
#define USBPO_KERNEL_NAMESPACE kernels_generic
#include "kernels/ops_kernels.inl"
