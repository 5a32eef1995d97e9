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

// One thread per value of the raw block: member b, column i, row r.
__global__ void gather_transitions_kernel(StoreArrays store, const int* slots, std::size_t slot_stride, int members,
                                          int n, int obs_dim, int act_dim, float* raw) {
  const std::size_t od = static_cast<std::size_t>(obs_dim), ad = static_cast<std::size_t>(act_dim);
  const std::size_t width = 2 * od + ad + 1, columns = static_cast<std::size_t>(n);
  USBPO_GRID_LOOP(k, static_cast<std::size_t>(members) * columns * width) {
    const std::size_t r = k % width, column = k / width;  // column = b n + i
    const std::size_t b = column / columns, i = column % columns;
    const std::size_t slot = static_cast<std::size_t>(slots[b * slot_stride + i]);
    raw[k] = element::raw_transition_value(store.obs, store.act, store.reward, store.next_obs, slot, obs_dim, act_dim,
                                           r);
  }
}

// One block per input dimension: FP64 partial sums per thread, then a tree in
// shared memory (a fixed order: the same bits every run), twice (mean, then
// squared deviations).
constexpr int kFitThreads = 256;
__global__ void normalizer_fit_kernel(StoreArrays store, const int* slots, int n, int obs_dim, int act_dim,
                                      float* mean, float* std, float* inv_std) {
  __shared__ double partial[kFitThreads];
  const int d = blockIdx.x;
  auto value = [&](int i) -> double {
    const std::size_t slot = static_cast<std::size_t>(slots[i]);
    return d < obs_dim ? store.obs[slot * obs_dim + d] : store.act[slot * act_dim + (d - obs_dim)];
  };
  auto block_sum = [&](double own) {
    partial[threadIdx.x] = own;
    __syncthreads();
    for (int half = kFitThreads / 2; half > 0; half /= 2) {
      if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    const double total = partial[0];
    __syncthreads();
    return total;
  };
  double own = 0;
  for (int i = threadIdx.x; i < n; i += kFitThreads) own += value(i);
  const double mu = block_sum(own) / n;
  own = 0;
  for (int i = threadIdx.x; i < n; i += kFitThreads) own += (value(i) - mu) * (value(i) - mu);
  const double variance = block_sum(own) / n;
  if (threadIdx.x == 0) element::normalizer_moments(mu, variance, &mean[d], &std[d], &inv_std[d]);
}

}  // namespace

void gather_transitions(cudaStream_t stream, const StoreArrays& store, const int* slots, std::size_t slot_stride,
                        int members, int n, int obs_dim, int act_dim, float* raw) {
  const std::size_t total = static_cast<std::size_t>(members) * static_cast<std::size_t>(n) *
                            (2 * static_cast<std::size_t>(obs_dim) + act_dim + 1);
  if (total == 0) return;
  gather_transitions_kernel<<<blocks_for(total), kThreads, 0, stream>>>(store, slots, slot_stride, members, n,
                                                                         obs_dim, act_dim, raw);
}

void normalizer_fit(cudaStream_t stream, const StoreArrays& store, const int* slots, int n, int obs_dim, int act_dim,
                    float* mean, float* std, float* inv_std) {
  if (n < 1) return;
  normalizer_fit_kernel<<<obs_dim + act_dim, kFitThreads, 0, stream>>>(store, slots, n, obs_dim, act_dim, mean, std,
                                                                        inv_std);
}

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
