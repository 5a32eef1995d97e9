// The generic (baseline instruction set) variant of the CPU kernels.
#define USBPO_KERNEL_NAMESPACE kernels_generic
#include "nn/kernels/ops_kernels.inl"
