#include "usbpo/agent/mixed_batch.hpp"

namespace usbpo {

int real_count(int batch, Scalar real_ratio, const ReplayStore* model) {
  if (!model || model->size() == 0) return batch;
  const int n = static_cast<int>(static_cast<double>(batch) * real_ratio);
  return n < 0 ? 0 : (n > batch ? batch : n);
}

Status draw_mixed_slots(const ReplayStore& real, const ReplayStore* model, int batch, int n_real, Rng& rng,
                        int* slots) {
  if (n_real > 0) USBPO_RETURN_IF_ERROR(real.sample_uniform(rng, n_real, slots));
  if (batch - n_real > 0) USBPO_RETURN_IF_ERROR(model->sample_uniform(rng, batch - n_real, slots + n_real));
  return Status::ok();
}

Status fill_mixed_batch(const ReplayStore& real, const ReplayStore* model, Scalar real_ratio, Rng& rng, int* slots,
                        Sac& sac) {
  const int batch = sac.config().batch;
  const int n_real = real_count(batch, real_ratio, model);
  const int obs_dim = sac.config().obs_dim, act_dim = sac.config().act_dim;
  SacBatch& b = sac.batch();
  USBPO_RETURN_IF_ERROR(draw_mixed_slots(real, model, batch, n_real, rng, slots));
  if (n_real > 0) real.gather(slots, n_real, b.obs, b.act, b.reward, b.next_obs, b.not_done);
  const int n_model = batch - n_real;
  if (n_model > 0) {
    model->gather(slots + n_real, n_model, b.obs + static_cast<std::size_t>(n_real) * obs_dim,
                  b.act + static_cast<std::size_t>(n_real) * act_dim, b.reward + n_real,
                  b.next_obs + static_cast<std::size_t>(n_real) * obs_dim, b.not_done + n_real);
  }
  return Status::ok();
}

}  // namespace usbpo
