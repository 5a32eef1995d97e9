// Launch shapes shared by the kernel files.
#pragma once

#include <cstddef>

namespace usbpo::cuda::kernels {

constexpr int kThreads = 256;  // threads per block of the elementwise kernels
// Blocks for n elements, each thread looping with a grid stride beyond 2^16 blocks.
inline unsigned blocks_for(std::size_t n) {
  const std::size_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65536 ? blocks : 65536);
}

// The element indices of this thread: i, i + grid size, ... below n.
#define USBPO_GRID_LOOP(i, n)                                                              \
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x)

}  // namespace usbpo::cuda::kernels
