// Replay-store kernels (issue 15): SAC minibatches gathered from the stores'
// device mirrors, each column through the shared body of nn/element_math.hpp.
#include "kernels.hpp"
#include "launch.cuh"

namespace usbpo::cuda::kernels {
namespace {

// Threads [0, batch) gather one column each; the next 2 act batch threads copy
// one noise value each. The update index and the real count are read from
// device memory (the header), so a replayed graph sees them change.
__global__ void gather_sac_batch_kernel(StoreArrays real, StoreArrays model, const std::int32_t* header,
                                        const int* slots, const float* noise, int obs_dim, int act_dim, int batch,
                                        SacBatchArrays dst) {
  const std::size_t n = static_cast<std::size_t>(batch);
  const std::size_t eps = n * static_cast<std::size_t>(act_dim);
  const std::size_t g = static_cast<std::size_t>(header[kHeaderIndex]);
  const std::size_t n_real = static_cast<std::size_t>(header[kHeaderRealCount]);
  USBPO_GRID_LOOP(k, n + 2 * eps) {
    if (k < n) {
      const StoreArrays& s = k < n_real ? real : model;
      element::gather_transition(s.obs, s.act, s.reward, s.next_obs, s.terminal,
                                 static_cast<std::size_t>(slots[g * n + k]), obs_dim, act_dim, k, dst.obs, dst.act,
                                 dst.reward, dst.next_obs, dst.not_done);
    } else {
      const std::size_t j = k - n;
      const float value = noise[g * 2 * eps + j];
      if (j < eps) {
        dst.eps_next[j] = value;
      } else {
        dst.eps_actor[j - eps] = value;
      }
    }
  }
}

__global__ void advance_update_index_kernel(std::int32_t* header) { header[kHeaderIndex] += 1; }

}  // namespace

void gather_sac_batch(cudaStream_t stream, const StoreArrays& real, const StoreArrays& model,
                      const std::int32_t* header, const int* slots, const float* noise, int obs_dim, int act_dim,
                      int batch, const SacBatchArrays& dst) {
  const std::size_t total = static_cast<std::size_t>(batch) * (1 + 2 * static_cast<std::size_t>(act_dim));
  gather_sac_batch_kernel<<<blocks_for(total), kThreads, 0, stream>>>(real, model, header, slots, noise, obs_dim,
                                                                       act_dim, batch, dst);
}

void advance_update_index(cudaStream_t stream, std::int32_t* header) {
  advance_update_index_kernel<<<1, 1, 0, stream>>>(header);
}

}  // namespace usbpo::cuda::kernels
