// The epilogues around the network GEMMs: bias + activation after a layer's
// product, and activation backward + the bias gradient before the next one.
#include "kernels.hpp"
#include "launch.cuh"
#include "usbpo/nn/element_activation.hpp"

namespace usbpo::cuda::kernels {
namespace {

// Rows per block and column groups of the bias-gradient kernel: thread (r, g)
// of a block sums columns g, g + kGroups, ... of row r in order, then row r's
// kGroups partial sums are added in group order.
constexpr int kRowTile = 32;
constexpr int kGroups = 8;

__global__ void bias_activation_kernel(float* z, float* a, std::size_t z_member_stride, const float* bias,
                                       std::size_t bias_member_stride, int rows, int batch, int members,
                                       Activation act, bool act_output) {
  const std::size_t per_member = static_cast<std::size_t>(rows) * batch;
  USBPO_GRID_LOOP(k, per_member * members) {
    const std::size_t member = k / per_member;
    const std::size_t within = k - member * per_member;
    const int row = static_cast<int>(within % rows);
    const std::size_t at = member * z_member_stride + within;
    const float value = z[at] + bias[member * bias_member_stride + row];
    z[at] = value;
    if (act_output) a[at] = element::activation(act, value);
  }
}

__global__ void activation_backward_bias_kernel(const float* z, std::size_t z_member_stride, float* d,
                                                std::size_t d_member_stride, int rows, int batch, Activation act,
                                                float* d_bias, std::size_t bias_member_stride, bool accumulate) {
  __shared__ float partial[kGroups][kRowTile];
  const int row = blockIdx.x * kRowTile + threadIdx.x;
  const std::size_t member = blockIdx.y;
  float sum = 0.0f;
  if (row < rows) {
    float* d_member = d + member * d_member_stride;
    const float* z_member = z ? z + member * z_member_stride : nullptr;
    for (int col = threadIdx.y; col < batch; col += kGroups) {
      const std::size_t at = static_cast<std::size_t>(col) * rows + row;
      const float value = z_member ? element::activation_backward(act, z_member[at], d_member[at]) : d_member[at];
      d_member[at] = value;
      sum += value;
    }
  }
  if (!d_bias) return;  // uniform across the block
  partial[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.y == 0 && row < rows) {
    float total = partial[0][threadIdx.x];
    for (int g = 1; g < kGroups; ++g) total += partial[g][threadIdx.x];
    float* out = d_bias + member * bias_member_stride + row;
    *out = accumulate ? *out + total : total;
  }
}

}  // namespace

void bias_activation(cudaStream_t stream, float* z, float* a, std::size_t z_member_stride, const float* bias,
                     std::size_t bias_member_stride, int rows, int batch, int members, Activation act,
                     bool act_output) {
  const std::size_t count = static_cast<std::size_t>(rows) * batch * members;
  if (count == 0) return;
  bias_activation_kernel<<<blocks_for(count), kThreads, 0, stream>>>(z, a, z_member_stride, bias, bias_member_stride,
                                                                     rows, batch, members, act, act_output);
}

void activation_backward_bias(cudaStream_t stream, const float* z, std::size_t z_member_stride, float* d,
                              std::size_t d_member_stride, int rows, int batch, int members, Activation act,
                              float* d_bias, std::size_t bias_member_stride, bool accumulate) {
  if (rows <= 0 || members <= 0) return;
  const dim3 grid((rows + kRowTile - 1) / kRowTile, members);
  const dim3 block(kRowTile, kGroups);
  activation_backward_bias_kernel<<<grid, block, 0, stream>>>(z, z_member_stride, d, d_member_stride, rows, batch,
                                                               act, d_bias, bias_member_stride, accumulate);
}

}  // namespace usbpo::cuda::kernels
