#include "usbpo/model/rollouts.hpp"

#include <algorithm>

namespace usbpo {

int rollout_length(const RolloutSchedule& s, int epoch) {
  if (epoch <= s.epoch_a) return s.k_min;
  double dx = static_cast<double>(epoch - s.epoch_a) / std::max(1, s.epoch_b - s.epoch_a);
  dx = std::min(dx, 1.0);
  return static_cast<int>(dx * (s.k_max - s.k_min) + s.k_min);
}

namespace {
std::size_t group_count(const RolloutShape& s) {
  const std::size_t chunks = (static_cast<std::size_t>(s.batch) + s.predict_chunk - 1) / s.predict_chunk;
  return size_product(chunks, static_cast<std::size_t>(s.elites));
}
std::size_t pack_rows(const RolloutShape& s) { return static_cast<std::size_t>(s.act_dim) + s.obs_dim + 1; }
}  // namespace

Rollouts::StepLayout Rollouts::step_layout(int n) const {
  // keep (n int), eps (act_dim x n), noise (obs_dim + 1 x n), index (n int): all 4-byte values.
  static_assert(sizeof(int) == sizeof(Scalar), "the upload block holds ints and floats alike");
  const std::size_t m = static_cast<std::size_t>(n), w = sizeof(Scalar);
  StepLayout l;
  l.keep = 0;
  l.eps = l.keep + m * w;
  l.noise = l.eps + size_product(m, shape_.act_dim, w);
  l.index = l.noise + size_product(m, static_cast<std::size_t>(shape_.obs_dim) + 1, w);
  l.bytes = l.index + m * w;
  return l;
}

Status Rollouts::place_twins(Arena& arena, bool device_is_host) {
  const std::size_t n = static_cast<std::size_t>(shape_.batch);
  const int obs_dim = shape_.obs_dim, act_dim = shape_.act_dim;
  d_obs_ = arena.allocate<Scalar>(size_product(n, obs_dim));
  d_act_ = arena.allocate<Scalar>(size_product(n, act_dim));
  d_next_ = arena.allocate<Scalar>(size_product(n, obs_dim));
  d_reward_ = arena.allocate<Scalar>(n);
  d_tail_ = arena.allocate<Scalar>(size_product(n, static_cast<std::size_t>(obs_dim) + 1));
  d_inputs_ = arena.allocate<Scalar>(size_product(n, static_cast<std::size_t>(obs_dim) + act_dim));
  if (device_is_host) {
    // The upload and download blocks are the host's own.
    d_staging_ = staging_;
    d_pack_ = pack_;
  } else {
    d_staging_ = static_cast<unsigned char*>(arena.allocate_bytes(step_layout(shape_.batch).bytes));
    d_pack_ = arena.allocate<Scalar>(size_product(n, pack_rows(shape_)));
  }
  return Status::ok();
}

Status Rollouts::place(const RolloutShape& shape, bool device_is_host, Arena& arena) {
  if (shape.batch < 1 || shape.obs_dim < 1 || shape.act_dim < 1 || shape.elites < 1 || shape.predict_chunk < 1) {
    return Status::error(StatusCode::kInvalidArgument,
                         "rollouts need batch, obs_dim, act_dim, elites and predict_chunk >= 1");
  }
  shape_ = shape;
  device_is_host_ = device_is_host;
  backend_ = nullptr;
  const std::size_t n = static_cast<std::size_t>(shape.batch);
  obs_ = arena.allocate<Scalar>(size_product(n, shape.obs_dim));
  act_ = arena.allocate<Scalar>(size_product(n, shape.act_dim));
  next_ = arena.allocate<Scalar>(size_product(n, shape.obs_dim));
  reward_ = arena.allocate<Scalar>(n);
  done_ = arena.allocate<std::uint8_t>(n);
  origin_ = arena.allocate<int>(n);
  groups_ = arena.allocate<int>(group_count(shape));
  staging_ = static_cast<unsigned char*>(arena.allocate_bytes(step_layout(shape.batch).bytes));
  pack_ = arena.allocate<Scalar>(size_product(n, pack_rows(shape)));
  if (device_is_host) USBPO_RETURN_IF_ERROR(place_twins(arena, true));
  if (arena.exhausted()) {
    return Status::error(StatusCode::kOutOfMemory, "arena too small for %d rollouts", shape.batch);
  }
  return Status::ok();
}

Status Rollouts::place_device(Backend& backend) {
  if (backend.device_is_host() != device_is_host_) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "rollouts placed for a %s backend, given the %s backend", device_is_host_ ? "host" : "device",
                         backend.name());
  }
  backend_ = &backend;
  if (device_is_host_) return Status::ok();
  Arena& device = backend.device_arena();
  USBPO_RETURN_IF_ERROR(place_twins(device, false));
  if (device.exhausted() || !d_staging_) {
    return Status::error(StatusCode::kOutOfMemory, "the %s backend's device memory has no room for %d rollouts",
                         backend.name(), shape_.batch);
  }
  return Status::ok();
}

Status Rollouts::place(const RolloutShape& shape, Backend& cpu_backend, Arena& arena) {
  USBPO_RETURN_IF_ERROR(place(shape, cpu_backend.device_is_host(), arena));
  if (!cpu_backend.device_is_host()) {
    return Status::error(StatusCode::kInvalidArgument, "Rollouts::place in one arena needs a host-memory backend");
  }
  return place_device(cpu_backend);
}

std::size_t Rollouts::bytes_needed(const RolloutShape& shape, bool device_is_host) {
  Rollouts probe;
  Arena measure;
  if (!probe.place(shape, device_is_host, measure).is_ok() || measure.overflowed()) return 0;
  return measure.used();
}

std::size_t Rollouts::device_bytes_needed(const RolloutShape& shape, bool device_is_host) {
  if (device_is_host) return 0;
  Rollouts probe;
  Arena host, device;
  if (!probe.place(shape, false, host).is_ok()) return 0;
  if (!probe.place_twins(device, false).is_ok() || device.overflowed()) return 0;
  return device.used();
}

Status Rollouts::run(int count, int length, Sac& sac, GaussianEnsemble& model, const Env& env, ReplayStore& store,
                     std::int32_t epoch, Rng& rng, RolloutStats* stats) {
  if (!backend_) return Status::error(StatusCode::kFailedPrecondition, "rollouts: place_device was not called");
  if (count < 0 || count > shape_.batch) {
    return Status::error(StatusCode::kInvalidArgument, "rollouts: %d starts for a batch of %d", count, shape_.batch);
  }
  if (model.config().elites != shape_.elites || model.config().predict_chunk != shape_.predict_chunk ||
      model.config().obs_dim != shape_.obs_dim || model.config().act_dim != shape_.act_dim) {
    return Status::error(StatusCode::kInvalidArgument, "rollouts placed for another ensemble shape");
  }
  Backend& b = *backend_;
  const int obs_dim = shape_.obs_dim, act_dim = shape_.act_dim;
  const std::size_t od = static_cast<std::size_t>(obs_dim), ad = static_cast<std::size_t>(act_dim);
  const std::size_t rows = pack_rows(shape_);
  RolloutStats s;
  double reward_sum = 0;
  int alive = count;
  if (alive > 0 && length > 0) {
    b.upload(d_obs_, obs_, size_product(static_cast<std::size_t>(alive), od, sizeof(Scalar)));  // the start states
  }
  for (int t = 0; t < length && alive > 0; ++t) {
    // The step's draws, in the host rollout's order (actions, then the model's), with the continuing samples.
    const StepLayout l = step_layout(alive);
    Sac::draw_act_noise(rng, act_dim, alive, reinterpret_cast<Scalar*>(staging_ + l.eps));
    model.draw_rollout(alive, rng, reinterpret_cast<int*>(staging_ + l.index), groups_,
                       reinterpret_cast<Scalar*>(staging_ + l.noise));
    const std::size_t from = t == 0 ? l.eps : l.keep;  // the first step's states are the start states
    b.upload(d_staging_ + from, staging_ + from, l.bytes - from);
    if (t > 0) b.gather_columns(d_next_, obs_dim, reinterpret_cast<const int*>(d_staging_ + l.keep), alive, d_obs_);
    sac.enqueue_act(d_obs_, alive, reinterpret_cast<const Scalar*>(d_staging_ + l.eps), d_act_);
    model.enqueue_rollout(d_obs_, d_act_, alive, reinterpret_cast<const int*>(d_staging_ + l.index), groups_,
                          reinterpret_cast<const Scalar*>(d_staging_ + l.noise), d_inputs_, d_next_, d_reward_);
    // [act; next_obs; reward] per sample, one download.
    b.stack_rows(d_next_, obs_dim, d_reward_, 1, alive, d_tail_);
    b.stack_rows(d_act_, act_dim, d_tail_, obs_dim + 1, alive, d_pack_);
    b.download(pack_, d_pack_, size_product(static_cast<std::size_t>(alive), rows, sizeof(Scalar)));
    // A diverging model can produce Inf/NaN; such samples end here and are not stored.
    int kept = 0;
    for (int i = 0; i < alive; ++i) {
      const Scalar* column = pack_ + static_cast<std::size_t>(i) * rows;
      const Scalar* o2 = column + ad;
      const Scalar r = column[ad + od];
      if (!all_finite(o2, od) || !all_finite(&r, 1)) continue;
      reward_sum += r;
      const std::size_t k = static_cast<std::size_t>(kept);
      if (kept != i) std::copy(obs_ + i * od, obs_ + (i + 1) * od, obs_ + k * od);
      std::copy(column, column + ad, act_ + k * ad);
      std::copy(o2, o2 + od, next_ + k * od);
      reward_[kept] = r;
      done_[kept] = env.is_terminal(o2) ? 1 : 0;
      origin_[kept] = i;
      ++kept;
    }
    USBPO_RETURN_IF_ERROR(store.store_batch(kept, obs_, act_, reward_, next_, done_, epoch));
    s.transitions += kept;
    // Continue the samples that did not terminate (MBPO removes terminated
    // ones): their next states are the next step's states, on the host here
    // and on the device by the keep list the next step uploads.
    int next_alive = 0;
    int* keep = reinterpret_cast<int*>(staging_);
    for (int j = 0; j < kept; ++j) {
      if (done_[j]) {
        ++s.terminated;
        continue;
      }
      const std::size_t k = static_cast<std::size_t>(j);
      std::copy(next_ + k * od, next_ + (k + 1) * od, obs_ + static_cast<std::size_t>(next_alive) * od);
      keep[next_alive] = origin_[j];
      ++next_alive;
    }
    s.terminated += alive - kept;
    alive = next_alive;
    s.length = t + 1;
  }
  s.mean_reward = s.transitions > 0 ? static_cast<Scalar>(reward_sum / s.transitions) : 0.0f;
  if (stats) {
    // Field by field: a copy of the whole struct would carry s's padding (stack
    // bytes) into the trainer's progress, which checkpoints save as bytes.
    stats->length = s.length;
    stats->transitions = s.transitions;
    stats->terminated = s.terminated;
    stats->mean_reward = s.mean_reward;
  }
  return Status::ok();
}

}  // namespace usbpo
