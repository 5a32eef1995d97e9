// Model-rollout kernels (issue 15): states gathered by index and the model
// step's Gaussian draw, each value through the shared bodies of
// nn/element_math.hpp (the CPU backend calls the same ones).
#include "kernels.hpp"
#include "launch.cuh"

namespace usbpo::cuda::kernels {
namespace {

__global__ void gather_columns_kernel(const float* src, int rows, const int* index, int n, float* dst) {
  const std::size_t r = static_cast<std::size_t>(rows);
  USBPO_GRID_LOOP(k, static_cast<std::size_t>(n) * r) {
    const std::size_t i = k / r, d = k % r;
    dst[k] = src[static_cast<std::size_t>(index[i]) * r + d];
  }
}

// One thread per (sample j, output row d): the clamp of row d, then the draw of
// the reward (d = 0) or of next-state dimension d - 1.
__global__ void ensemble_draw_kernel(const float* output, const float* max_lv, const float* min_lv, const int* index,
                                     int k, const float* noise, const float* obs, int obs_dim, float* logvar,
                                     float* next_obs, float* reward) {
  const std::size_t out = static_cast<std::size_t>(obs_dim) + 1;
  USBPO_GRID_LOOP(t, static_cast<std::size_t>(k) * out) {
    const std::size_t j = t / out, d = t % out;
    const std::size_t s = static_cast<std::size_t>(index[j]);
    const float mu = output[j * 2 * out + d];
    const float lv = element::soft_clamp_logvar(output[j * 2 * out + out + d], max_lv[d], min_lv[d], nullptr, nullptr);
    logvar[j * out + d] = lv;
    const float z = noise[s * out + d];
    if (d == 0) {
      reward[s] = element::gaussian_reward_draw(mu, lv, z);
    } else {
      const std::size_t o = s * static_cast<std::size_t>(obs_dim) + (d - 1);
      next_obs[o] = element::gaussian_state_draw(obs[o], mu, lv, z);
    }
  }
}

}  // namespace

void gather_columns(cudaStream_t stream, const float* src, int rows, const int* index, int n, float* dst) {
  const std::size_t total = static_cast<std::size_t>(n) * static_cast<std::size_t>(rows);
  if (total == 0) return;
  gather_columns_kernel<<<blocks_for(total), kThreads, 0, stream>>>(src, rows, index, n, dst);
}

void ensemble_draw(cudaStream_t stream, const float* output, const float* max_lv, const float* min_lv,
                   const int* index, int k, const float* noise, const float* obs, int obs_dim, float* logvar,
                   float* next_obs, float* reward) {
  const std::size_t total = static_cast<std::size_t>(k) * (static_cast<std::size_t>(obs_dim) + 1);
  if (total == 0) return;
  ensemble_draw_kernel<<<blocks_for(total), kThreads, 0, stream>>>(output, max_lv, min_lv, index, k, noise, obs,
                                                                    obs_dim, logvar, next_obs, reward);
}

}  // namespace usbpo::cuda::kernels
