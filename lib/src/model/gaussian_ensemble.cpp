#include "usbpo/model/gaussian_ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace usbpo {
namespace {


void shuffle(int* values, int n, Rng& rng) {
  for (int i = n - 1; i > 0; --i) {
    const int j = static_cast<int>(rng.uniform_int(static_cast<std::uint32_t>(i + 1)));
    std::swap(values[i], values[j]);
  }
}

}  // namespace

Status GaussianEnsemble::validate(const EnsembleConfig& c) const {
  if (c.obs_dim < 1 || c.act_dim < 1 || c.obs_dim > EnsembleMlp::kMaxWidth || c.act_dim > EnsembleMlp::kMaxWidth) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble obs_dim (%d) and act_dim (%d) must be in [1, %d]",
                         c.obs_dim, c.act_dim, EnsembleMlp::kMaxWidth);
  }
  if (c.elites < 1 || c.elites > c.members) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble elites (%d) must be in [1, members = %d]",
                         c.elites, c.members);
  }
  if (c.batch < 1 || c.predict_chunk < 1) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble batch (%d) and predict_chunk (%d) must be >= 1",
                         c.batch, c.predict_chunk);
  }
  if (c.max_samples < 5) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble max_samples must be >= 5, got %d", c.max_samples);
  }
  if (!(c.holdout_ratio > 0 && c.holdout_ratio < 1) || c.max_holdout < 1 || c.patience < 1) {
    return Status::error(StatusCode::kInvalidArgument,
                         "ensemble holdout_ratio must be in (0, 1), max_holdout and patience >= 1");
  }
  if (!(c.max_logvar_init > c.min_logvar_init)) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble max_logvar_init must exceed min_logvar_init");
  }
  return Status::ok();
}

Status GaussianEnsemble::place(const EnsembleConfig& c, Arena& arena) {
  config_ = c;
  MlpShape shape;
  shape.members = c.members;
  shape.input_dim = c.obs_dim + c.act_dim;
  shape.output_dim = 2 * (c.obs_dim + 1);
  shape.hidden_layers = c.hidden_layers;
  shape.hidden_width = c.hidden_width;
  shape.activation = c.activation;
  USBPO_RETURN_IF_ERROR(net_.configure(shape));
  const int in = input_dim();
  const int out = output_dim();
  const std::size_t start = arena.used();
  param_count_ = size_sum(net_.total_params(), 2 * static_cast<std::size_t>(out));
  params_ = arena.allocate<Scalar>(param_count_);
  grads_ = arena.allocate<Scalar>(param_count_);
  best_params_ = arena.allocate<Scalar>(net_.total_params());
  AdamConfig adam;
  adam.learning_rate = c.learning_rate;
  USBPO_RETURN_IF_ERROR(adam_.place(param_count_, adam, arena));
  USBPO_RETURN_IF_ERROR(normalizer_.place(in, arena));
  const std::size_t before_ws = arena.used();
  USBPO_RETURN_IF_ERROR(train_ws_.place(net_, c.batch, false, arena));
  USBPO_RETURN_IF_ERROR(predict_ws_.place(net_, c.predict_chunk, false, arena, true));
  const std::size_t members = static_cast<std::size_t>(c.members);
  batch_inputs_ = arena.allocate<Scalar>(size_product(in, c.batch, members));
  batch_targets_ = arena.allocate<Scalar>(size_product(out, c.batch, members));
  // Each member's loss terms start 64-byte aligned, as member 0's (same arithmetic).
  const std::size_t align = Arena::kAlignment / sizeof(Scalar);
  const std::size_t loss_terms = size_product(5, out, c.batch);
  loss_scratch_stride_ = size_product(size_sum(loss_terms, align - 1) / align, align);
  loss_scratch_ = arena.allocate<Scalar>(size_product(loss_scratch_stride_, members));
  chunk_inputs_ = arena.allocate<Scalar>(size_product(in, c.predict_chunk));
  chunk_logvar_ = arena.allocate<Scalar>(size_product(out, c.predict_chunk));
  chunk_noise_ = arena.allocate<Scalar>(size_product(out, c.predict_chunk));
  chunk_index_ = arena.allocate<int>(static_cast<std::size_t>(c.predict_chunk));
  chosen_ = arena.allocate<int>(static_cast<std::size_t>(c.predict_chunk));
  order_ = arena.allocate<int>(static_cast<std::size_t>(c.max_samples));
  bootstrap_ = arena.allocate<int>(size_product(c.max_samples, members));
  holdout_mse_ = arena.allocate<Scalar>(members);
  best_mse_ = arena.allocate<Scalar>(members);
  elites_ = arena.allocate<int>(static_cast<std::size_t>(c.elites));
  workspace_bytes_ = arena.used() - before_ws;
  if (arena.exhausted()) {
    return Status::error(StatusCode::kOutOfMemory,
                         "arena too small for the Gaussian ensemble: needs %zu bytes, has %zu from offset %zu",
                         bytes_needed(c), arena.capacity() - start, start);
  }
  return Status::ok();
}

std::size_t GaussianEnsemble::bytes_needed(const EnsembleConfig& config) {
  GaussianEnsemble probe;
  if (!probe.validate(config).is_ok()) return 0;
  Arena measure;
  if (!probe.place(config, measure).is_ok() || measure.overflowed()) return 0;
  return measure.used();
}

Status GaussianEnsemble::check_config(const EnsembleConfig& config) {
  GaussianEnsemble probe;
  USBPO_RETURN_IF_ERROR(probe.validate(config));
  Arena measure;
  USBPO_RETURN_IF_ERROR(probe.place(config, measure));
  if (measure.overflowed()) {
    return Status::error(StatusCode::kInvalidArgument,
                         "the ensemble (%d members, %d hidden layers of %d, batch %d, %d samples) needs more than "
                         "%zu bytes (size overflow)", config.members, config.hidden_layers, config.hidden_width,
                         config.batch, config.max_samples, static_cast<std::size_t>(SIZE_MAX));
  }
  return Status::ok();
}

Status GaussianEnsemble::init(const EnsembleConfig& config, Arena& arena, Rng& rng) {
  USBPO_RETURN_IF_ERROR(validate(config));
  if (arena.measuring()) {
    return Status::error(StatusCode::kInvalidArgument, "GaussianEnsemble::init needs an arena with memory");
  }
  USBPO_RETURN_IF_ERROR(place(config, arena));
  net_.init_params(params_, MlpInit::kTruncatedNormal, rng);
  std::fill(max_logvar(), max_logvar() + output_dim(), config.max_logvar_init);
  std::fill(min_logvar(), min_logvar() + output_dim(), config.min_logvar_init);
  std::fill(grads_, grads_ + param_count_, 0.0f);
  std::copy(params_, params_ + net_.total_params(), best_params_);
  for (int b = 0; b < config.members; ++b) holdout_mse_[b] = best_mse_[b] = 0;
  for (int e = 0; e < config.elites; ++e) elites_[e] = e;
  holdout_size_ = 0;
  return Status::ok();
}

void GaussianEnsemble::gather_batch(const TransitionView& data, const int* slots, int batch, Scalar* inputs,
                                    Scalar* targets) const {
  const int obs_dim = config_.obs_dim;
  const int act_dim = config_.act_dim;
  const int in = input_dim();
  const int out = output_dim();
  const Scalar* mean = normalizer_.mean();
  const Scalar* std = normalizer_.std();
  for (int i = 0; i < batch; ++i) {
    const std::size_t slot = static_cast<std::size_t>(slots[i]);
    const Scalar* o = data.obs + slot * obs_dim;
    const Scalar* a = data.act + slot * act_dim;
    Scalar* x = inputs + static_cast<std::size_t>(i) * in;
    for (int d = 0; d < obs_dim; ++d) x[d] = (o[d] - mean[d]) / std[d];
    for (int d = 0; d < act_dim; ++d) x[obs_dim + d] = (a[d] - mean[obs_dim + d]) / std[obs_dim + d];
    if (targets) {
      const Scalar* o2 = data.next_obs + slot * obs_dim;
      Scalar* y = targets + static_cast<std::size_t>(i) * out;
      y[0] = data.reward[slot];
      for (int d = 0; d < obs_dim; ++d) y[1 + d] = o2[d] - o[d];
    }
  }
}

void GaussianEnsemble::clamp_logvar(const Scalar* raw_output, int n, Scalar* logvar) const {
  const Scalar* max_lv = params_ + net_.total_params();
  ops::soft_clamp_logvar(raw_output, max_lv, max_lv + output_dim(), output_dim(), n, logvar);
}

Scalar GaussianEnsemble::batch_loss(const Scalar* inputs, const Scalar* targets, int batch, bool with_gradients) {
  const int in = input_dim();
  const int out = output_dim();
  const int members = config_.members;
  MlpOps::forward(runner_, net_, params_, inputs, static_cast<std::size_t>(in) * batch, batch, train_ws_, 0, members);
  const std::size_t mlp_params = net_.total_params();
  const Scalar* max_lv = params_ + mlp_params;
  const Scalar* min_lv = max_lv + out;
  Scalar* d_max = grads_ + mlp_params;
  Scalar* d_min = d_max + out;
  if (with_gradients) std::fill(d_max, d_max + 2 * out, 0.0f);
  const Scalar scale = 1.0f / (static_cast<Scalar>(batch) * out);
  const std::size_t block = static_cast<std::size_t>(out) * batch;
  // L_b = mean((mu - y)^2 e^-lv) + mean(lv) (MBPO's Gaussian NLL without constants),
  // members side by side; their shares of the shared bounds' gradients are
  // added afterwards, in member order.
  double member_loss[64];
  run_tasks(runner_, members, 20.0 * block * members, [&](int b) {
    member_loss[b] = ops::gaussian_nll(train_ws_.output(b), targets + static_cast<std::size_t>(b) * block, max_lv,
                                       min_lv, out, batch, scale, with_gradients ? train_ws_.output_grad(b) : nullptr,
                                       nullptr, nullptr, loss_scratch_ + loss_scratch_stride_ * b);
  });
  double loss = 0;
  for (int b = 0; b < members; ++b) {
    loss += member_loss[b];
    if (with_gradients) {
      ops::gaussian_nll_bound_grads(out, batch, loss_scratch_ + loss_scratch_stride_ * b, d_max, d_min);
    }
  }
  if (with_gradients) {
    MlpOps::backward(runner_, net_, params_, train_ws_, 0, members, grads_, false, false);
  }
  // Bound penalty: coef (sum max_lv - sum min_lv).
  const Scalar coef = config_.logvar_bound_coef;
  for (int d = 0; d < out; ++d) {
    loss += coef * (static_cast<double>(max_lv[d]) - min_lv[d]);
    if (with_gradients) {
      d_max[d] += coef;
      d_min[d] -= coef;
    }
  }
  // Weight decay per layer: decay_l / 2 * ||W_l||^2 (no decay on biases), by
  // member; the terms are summed in member and layer order.
  const int layers = net_.num_layers();
  double decay_loss[64 * EnsembleMlp::kMaxLayers];
  run_tasks(runner_, members, 2.0 * static_cast<double>(mlp_params), [&](int b) {
    const std::size_t block = net_.member_offset(b);
    for (int l = 0; l < layers; ++l) {
      const Scalar decay = config_.weight_decays[l];
      const std::size_t n_w = static_cast<std::size_t>(net_.layer_out(l)) * net_.layer_in(l);
      const std::size_t offset = block + net_.weight_offset(l);
      decay_loss[b * layers + l] =
          ops::l2_decay(params_ + offset, with_gradients ? grads_ + offset : nullptr, n_w, decay);
    }
  });
  for (int i = 0; i < members * layers; ++i) loss += decay_loss[i];
  return static_cast<Scalar>(loss);
}

void GaussianEnsemble::holdout_mse(const TransitionView& data, const int* slots, int count, Scalar* mse) {
  const int members = config_.members;
  const int out = output_dim();
  double sums[64] = {};
  for (int start = 0; start < count; start += config_.batch) {
    const int n = std::min(config_.batch, count - start);
    gather_batch(data, slots + start, n, batch_inputs_, batch_targets_);
    MlpOps::forward(runner_, net_, params_, batch_inputs_, 0, n, train_ws_, 0, members);
    run_tasks(runner_, members, 2.0 * n * out * members, [&](int b) {
      const Scalar* y_hat = train_ws_.output(b);
      for (int i = 0; i < n; ++i) {
        const Scalar* col = y_hat + static_cast<std::size_t>(i) * 2 * out;
        const Scalar* target = batch_targets_ + static_cast<std::size_t>(i) * out;
        for (int d = 0; d < out; ++d) {
          const double err = static_cast<double>(col[d]) - target[d];
          sums[b] += err * err;
        }
      }
    });
  }
  for (int b = 0; b < members; ++b) {
    mse[b] = count > 0 ? static_cast<Scalar>(sums[b] / (static_cast<double>(count) * out)) : 0.0f;
  }
}

void GaussianEnsemble::select_elites(const Scalar* mse) {
  int ranked[64];
  for (int b = 0; b < config_.members; ++b) ranked[b] = b;
  // Stable insertion sort: std::stable_sort may allocate a buffer.
  for (int i = 1; i < config_.members; ++i) {
    const int member = ranked[i];
    int j = i;
    for (; j > 0 && mse[member] < mse[ranked[j - 1]]; --j) ranked[j] = ranked[j - 1];
    ranked[j] = member;
  }
  for (int e = 0; e < config_.elites; ++e) elites_[e] = ranked[e];
}

Scalar GaussianEnsemble::rank_elites(const TransitionView& data, const int* slots, int count) {
  holdout_mse(data, slots, count, holdout_mse_);
  select_elites(holdout_mse_);
  double elite_mse = 0;
  for (int e = 0; e < config_.elites; ++e) elite_mse += holdout_mse_[elites_[e]];
  return static_cast<Scalar>(elite_mse / config_.elites);
}

Status GaussianEnsemble::train(const TransitionView& data, const int* slots, int count, Rng& rng,
                               EnsembleTrainReport* report) {
  if (count < 5) {
    return Status::error(StatusCode::kFailedPrecondition, "ensemble training needs at least 5 transitions, got %d",
                         count);
  }
  if (count > config_.max_samples) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble given %d transitions, configured for at most %d",
                         count, config_.max_samples);
  }
  const int members = config_.members;
  const int in = input_dim();
  const int obs_dim = config_.obs_dim;
  // Split: holdout = min(ratio n, max_holdout) of a random permutation.
  std::copy(slots, slots + count, order_);
  shuffle(order_, count, rng);
  const int holdout = std::max(1, std::min(static_cast<int>(count * config_.holdout_ratio), config_.max_holdout));
  holdout_size_ = holdout;
  const int* holdout_slots = order_;
  const int* train_slots = order_ + holdout;
  const int n_train = count - holdout;

  // Refit the input normaliser on the training split (two passes in double).
  double mean[512], std[512];
  if (in > 512) return Status::error(StatusCode::kInvalidArgument, "ensemble input dim %d exceeds 512", in);
  for (int d = 0; d < in; ++d) {
    auto value = [&](int i) {
      const std::size_t slot = static_cast<std::size_t>(train_slots[i]);
      return d < obs_dim ? data.obs[slot * obs_dim + d] : data.act[slot * config_.act_dim + (d - obs_dim)];
    };
    double sum = 0;
    for (int i = 0; i < n_train; ++i) sum += value(i);
    const double mu = sum / n_train;
    double sq = 0;
    for (int i = 0; i < n_train; ++i) sq += (value(i) - mu) * (value(i) - mu);
    mean[d] = mu;
    std[d] = std::sqrt(sq / n_train);
  }
  normalizer_.set_moments(mean, std);

  // Bootstrap resample per member, drawn once per round.
  for (int b = 0; b < members; ++b) {
    int* row = bootstrap_ + static_cast<std::size_t>(b) * n_train;
    for (int i = 0; i < n_train; ++i) row[i] = train_slots[rng.uniform_int(static_cast<std::uint32_t>(n_train))];
  }
  // The first epoch always improves on "no snapshot yet".
  for (int b = 0; b < members; ++b) best_mse_[b] = std::numeric_limits<Scalar>::infinity();
  std::copy(params_, params_ + net_.total_params(), best_params_);

  EnsembleTrainReport r;
  r.train_size = n_train;
  r.holdout_size = holdout;
  int epochs_since_update = 0;
  const int out = output_dim();
  for (int epoch = 0; config_.max_epochs == 0 || epoch < config_.max_epochs; ++epoch) {
    for (int b = 0; b < members; ++b) shuffle(bootstrap_ + static_cast<std::size_t>(b) * n_train, n_train, rng);
    for (int start = 0; start < n_train; start += config_.batch) {
      const int n = std::min(config_.batch, n_train - start);
      run_tasks(runner_, members, 4.0 * n * (in + out) * members, [&](int b) {
        gather_batch(data, bootstrap_ + static_cast<std::size_t>(b) * n_train + start, n,
                     batch_inputs_ + static_cast<std::size_t>(b) * in * n,
                     batch_targets_ + static_cast<std::size_t>(b) * out * n);
      });
      r.last_train_loss = batch_loss(batch_inputs_, batch_targets_, n, true);
      adam_.step(params_, grads_);
      ++r.gradient_steps;
    }
    ++r.epochs;
    holdout_mse(data, holdout_slots, holdout, holdout_mse_);
    bool updated = false;
    for (int b = 0; b < members; ++b) {
      const Scalar best = best_mse_[b];
      const bool first = std::isinf(best);
      if (first || (best - holdout_mse_[b]) / best > config_.improvement_threshold) {
        best_mse_[b] = holdout_mse_[b];
        const std::size_t offset = net_.member_offset(b);
        std::copy(params_ + offset, params_ + offset + net_.member_params(), best_params_ + offset);
        updated = true;
      }
    }
    // MBPO's _save_best: stop once more than `patience` epochs passed without an update.
    epochs_since_update = updated ? 0 : epochs_since_update + 1;
    if (epochs_since_update > config_.patience) break;
  }
  // Restore each member's best snapshot, then rank by holdout MSE.
  std::copy(best_params_, best_params_ + net_.total_params(), params_);
  r.mean_holdout_mse = rank_elites(data, holdout_slots, holdout);
  if (report) *report = r;
  if (!all_finite(params_, param_count_)) {
    return Status::error(StatusCode::kNonFinite, "ensemble parameters became non-finite during training");
  }
  return Status::ok();
}

Status GaussianEnsemble::sample(const Scalar* obs, const Scalar* act, int count, Rng& rng, Scalar* next_obs,
                                Scalar* reward) {
  if (count < 0 || (count > 0 && (!obs || !act || !next_obs || !reward))) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble sample: bad count %d or null buffer", count);
  }
  const int obs_dim = config_.obs_dim;
  const int act_dim = config_.act_dim;
  const int in = input_dim();
  const int out = output_dim();
  const int elites = config_.elites;
  for (int start = 0; start < count; start += config_.predict_chunk) {
    const int n = std::min(config_.predict_chunk, count - start);
    for (int i = 0; i < n; ++i) chosen_[i] = elites_[rng.uniform_int(static_cast<std::uint32_t>(elites))];
    // Run each elite once on the samples that chose it.
    for (int e = 0; e < elites; ++e) {
      const int member = elites_[e];
      int k = 0;
      for (int i = 0; i < n; ++i) {
        if (chosen_[i] == member) chunk_index_[k++] = start + i;
      }
      if (k == 0) continue;
      // The arithmetic by fixed ranges of the elite's samples; the draws here,
      // in sample order (reward, then each next-state dimension).
      const Chunks ranges{static_cast<std::size_t>(k), 256};
      const Scalar* mean = normalizer_.mean();
      const Scalar* std = normalizer_.std();
      run_tasks(runner_, ranges.count(), 4.0 * k * in, [&](int r) {
        for (std::size_t j = ranges.begin(r); j < ranges.end(r); ++j) {
          const std::size_t s = static_cast<std::size_t>(chunk_index_[j]);
          Scalar* x = chunk_inputs_ + j * in;
          const Scalar* o = obs + s * obs_dim;
          const Scalar* a = act + s * act_dim;
          for (int d = 0; d < obs_dim; ++d) x[d] = (o[d] - mean[d]) / std[d];
          for (int d = 0; d < act_dim; ++d) x[obs_dim + d] = (a[d] - mean[obs_dim + d]) / std[obs_dim + d];
        }
      });
      MlpOps::forward(runner_, net_, params_, chunk_inputs_, 0, k, predict_ws_, member, 1);
      const Scalar* y_hat = predict_ws_.output(member);
      for (int j = 0; j < k * out; ++j) chunk_noise_[j] = rng.normal();
      run_tasks(runner_, ranges.count(), 40.0 * k * out, [&](int r) {
        const std::size_t j0 = ranges.begin(r);
        const int count = static_cast<int>(ranges.end(r) - j0);
        clamp_logvar(y_hat + j0 * 2 * out, count, chunk_logvar_ + j0 * out);
        for (std::size_t j = j0; j < ranges.end(r); ++j) {
          const std::size_t s = static_cast<std::size_t>(chunk_index_[j]);
          const Scalar* mu = y_hat + j * 2 * out;
          const Scalar* lv = chunk_logvar_ + j * out;
          const Scalar* noise = chunk_noise_ + j * out;
          reward[s] = mu[0] + std::exp(0.5f * lv[0]) * noise[0];
          const Scalar* o = obs + s * obs_dim;
          Scalar* o2 = next_obs + s * obs_dim;
          for (int d = 0; d < obs_dim; ++d) o2[d] = o[d] + mu[1 + d] + std::exp(0.5f * lv[1 + d]) * noise[1 + d];
        }
      });
    }
  }
  return Status::ok();
}

Status GaussianEnsemble::predict_member(int member, const Scalar* obs, const Scalar* act, int count, Scalar* mean,
                                        Scalar* logvar) {
  if (member < 0 || member >= config_.members) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble member %d out of [0, %d)", member, config_.members);
  }
  const int obs_dim = config_.obs_dim;
  const int act_dim = config_.act_dim;
  const int in = input_dim();
  const int out = output_dim();
  for (int start = 0; start < count; start += config_.predict_chunk) {
    const int n = std::min(config_.predict_chunk, count - start);
    for (int j = 0; j < n; ++j) {
      const std::size_t s = static_cast<std::size_t>(start + j);
      Scalar* x = chunk_inputs_ + static_cast<std::size_t>(j) * in;
      std::copy(obs + s * obs_dim, obs + (s + 1) * obs_dim, x);
      std::copy(act + s * act_dim, act + (s + 1) * act_dim, x + obs_dim);
    }
    normalizer_.apply(chunk_inputs_, n, chunk_inputs_);
    MlpOps::forward(runner_, net_, params_, chunk_inputs_, 0, n, predict_ws_, member, 1);
    const Scalar* y_hat = predict_ws_.output(member);
    clamp_logvar(y_hat, n, logvar + static_cast<std::size_t>(start) * out);
    for (int j = 0; j < n; ++j) {
      const Scalar* col = y_hat + static_cast<std::size_t>(j) * 2 * out;
      std::copy(col, col + out, mean + static_cast<std::size_t>(start + j) * out);
    }
  }
  return Status::ok();
}

}  // namespace usbpo
