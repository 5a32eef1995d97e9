#include "usbpo/agent/replay_store.hpp"

#include <algorithm>
#include <cmath>

namespace usbpo {

Status ReplayStore::place(const ReplayConfig& c, Arena& arena) {
  if (c.obs_dim < 1 || c.act_dim < 1 || c.capacity < 1 || c.max_epochs < 1) {
    return Status::error(StatusCode::kInvalidArgument,
                         "replay store needs obs_dim, act_dim, capacity and max_epochs >= 1 (got %d, %d, %d, %d)",
                         c.obs_dim, c.act_dim, c.capacity, c.max_epochs);
  }
  config_ = c;
  capacity_ = c.capacity;
  const std::size_t n = static_cast<std::size_t>(c.capacity);
  obs_ = arena.allocate<Scalar>(size_product(n, c.obs_dim));
  act_ = arena.allocate<Scalar>(size_product(n, c.act_dim));
  reward_ = arena.allocate<Scalar>(n);
  next_obs_ = arena.allocate<Scalar>(size_product(n, c.obs_dim));
  terminal_ = arena.allocate<std::uint8_t>(n);
  epoch_ = arena.allocate<std::int32_t>(n);
  epochs_ = arena.allocate<EpochRange>(static_cast<std::size_t>(c.max_epochs));
  cumulative_ = arena.allocate<double>(static_cast<std::size_t>(c.max_epochs));
  if (arena.exhausted()) {
    return Status::error(StatusCode::kOutOfMemory,
                         "arena too small for a replay store of %d transitions (needs %zu bytes)", c.capacity,
                         bytes_needed(c));
  }
  clear();
  return Status::ok();
}

std::size_t ReplayStore::bytes_needed(const ReplayConfig& config) {
  ReplayStore probe;
  Arena measure;
  if (!probe.place(config, measure).is_ok() || measure.overflowed()) return 0;
  return measure.used();
}

void ReplayStore::clear() {
  ++layout_version_;
  size_ = 0;
  total_ = 0;
  base_ = 0;
  epoch_head_ = 0;
  epoch_count_ = 0;
}

Status ReplayStore::check_epoch(std::int32_t epoch) const {
  if (epoch_count_ > 0) {
    const EpochRange& last = epochs_[(epoch_head_ + epoch_count_ - 1) % config_.max_epochs];
    if (epoch < last.epoch) {
      return Status::error(StatusCode::kInvalidArgument, "replay store: epoch tag %d after %lld (tags must not decrease)",
                           epoch, static_cast<long long>(last.epoch));
    }
  }
  return Status::ok();
}

void ReplayStore::note_insert(std::int32_t epoch, int count) {
  const int max = config_.max_epochs;
  EpochRange* last = epoch_count_ > 0 ? &epochs_[(epoch_head_ + epoch_count_ - 1) % max] : nullptr;
  if (last && last->epoch == epoch) {
    last->end += count;
  } else {
    if (epoch_count_ == max) {  // forget the oldest range
      epoch_head_ = (epoch_head_ + 1) % max;
      --epoch_count_;
    }
    epochs_[(epoch_head_ + epoch_count_) % max] = EpochRange{epoch, total_, total_ + count};
    ++epoch_count_;
  }
  total_ += count;
  size_ = static_cast<int>(std::min<std::int64_t>(capacity_, size_ + static_cast<std::int64_t>(count)));
  drop_overwritten_epochs();
}

void ReplayStore::drop_overwritten_epochs() {
  while (epoch_count_ > 0 && epochs_[epoch_head_].end <= oldest_live()) {
    epoch_head_ = (epoch_head_ + 1) % config_.max_epochs;
    --epoch_count_;
  }
}

void ReplayStore::rotate_left(int shift) {
  if (shift == 0) return;
  ++layout_version_;
  const std::size_t s = static_cast<std::size_t>(shift), cap = static_cast<std::size_t>(capacity_);
  for_each_array([&](auto* data, int width) {
    const std::size_t w = static_cast<std::size_t>(width);
    std::rotate(data, data + s * w, data + cap * w);
  });
}

void ReplayStore::to_file_layout() {
  if (capacity_ < 1) return;  // never placed
  if (size_ == capacity_) {  // slot g % capacity_ holds g: rotate right by base_ % capacity_
    rotate_left(static_cast<int>((capacity_ - base_ % capacity_) % capacity_));
    base_ = 0;
  } else {  // oldest live first, at slot 0
    rotate_left(slot_of(oldest_live()));
    base_ = oldest_live();
  }
}

Status ReplayStore::set_capacity(int capacity) {
  if (capacity < 1 || capacity > config_.capacity) {
    return Status::error(StatusCode::kInvalidArgument,
                         "replay store: capacity %d outside [1, %d] (the slots placed at init)", capacity,
                         config_.capacity);
  }
  if (capacity == capacity_) return Status::ok();
  ++layout_version_;
  // Oldest first from slot 0, then keep the newest `capacity` of them.
  rotate_left(slot_of(oldest_live()));
  const int keep = std::min(size_, capacity);
  const std::size_t drop = static_cast<std::size_t>(size_ - keep), n = static_cast<std::size_t>(size_);
  if (drop > 0) {
    for_each_array([&](auto* data, int width) {
      const std::size_t w = static_cast<std::size_t>(width);
      std::copy(data + drop * w, data + n * w, data);
    });
  }
  size_ = keep;
  capacity_ = capacity;
  base_ = oldest_live();
  drop_overwritten_epochs();
  return Status::ok();
}

Status ReplayStore::store(const Scalar* obs, const Scalar* act, Scalar reward, const Scalar* next_obs, bool terminal,
                          std::int32_t epoch) {
  if (!obs || !act || !next_obs) return Status::error(StatusCode::kInvalidArgument, "replay store: null transition");
  const std::size_t od = static_cast<std::size_t>(config_.obs_dim), ad = static_cast<std::size_t>(config_.act_dim);
  if (!all_finite(obs, od)) return Status::error(StatusCode::kNonFinite, "replay store: obs contains NaN or Inf");
  if (!all_finite(act, ad)) return Status::error(StatusCode::kNonFinite, "replay store: action contains NaN or Inf");
  if (!std::isfinite(reward)) return Status::error(StatusCode::kNonFinite, "replay store: reward is NaN or Inf");
  if (!all_finite(next_obs, od)) {
    return Status::error(StatusCode::kNonFinite, "replay store: next_obs contains NaN or Inf");
  }
  USBPO_RETURN_IF_ERROR(check_epoch(epoch));
  const int slot = slot_of(total_);
  std::copy(obs, obs + od, obs_ + slot * od);
  std::copy(act, act + ad, act_ + slot * ad);
  reward_[slot] = reward;
  std::copy(next_obs, next_obs + od, next_obs_ + slot * od);
  terminal_[slot] = terminal ? 1 : 0;
  epoch_[slot] = epoch;
  note_insert(epoch, 1);
  return Status::ok();
}

Status ReplayStore::store_batch(int count, const Scalar* obs, const Scalar* act, const Scalar* reward,
                                const Scalar* next_obs, const std::uint8_t* terminal, std::int32_t epoch) {
  if (count < 0) return Status::error(StatusCode::kInvalidArgument, "replay store: negative batch count %d", count);
  if (count == 0) return Status::ok();
  if (!obs || !act || !reward || !next_obs || !terminal) {
    return Status::error(StatusCode::kInvalidArgument, "replay store: null batch buffer");
  }
  const std::size_t od = static_cast<std::size_t>(config_.obs_dim), ad = static_cast<std::size_t>(config_.act_dim);
  const std::size_t n = static_cast<std::size_t>(count);
  if (!all_finite(obs, n * od) || !all_finite(act, n * ad) || !all_finite(reward, n) ||
      !all_finite(next_obs, n * od)) {
    return Status::error(StatusCode::kNonFinite, "replay store: batch of %d contains NaN or Inf", count);
  }
  USBPO_RETURN_IF_ERROR(check_epoch(epoch));
  // Only the last `capacity` transitions of an oversized batch survive.
  const int skip = count > capacity_ ? count - capacity_ : 0;
  if (skip > 0) note_insert(epoch, skip);
  for (int i = skip; i < count; ++i) {
    const int slot = slot_of(total_ + (i - skip));
    std::copy(obs + i * od, obs + (i + 1) * od, obs_ + slot * od);
    std::copy(act + i * ad, act + (i + 1) * ad, act_ + slot * ad);
    reward_[slot] = reward[i];
    std::copy(next_obs + i * od, next_obs + (i + 1) * od, next_obs_ + slot * od);
    terminal_[slot] = terminal[i] ? 1 : 0;
    epoch_[slot] = epoch;
  }
  note_insert(epoch, count - skip);
  return Status::ok();
}

Status ReplayStore::sample_uniform(Rng& rng, int count, int* slots) const {
  if (size_ == 0) return Status::error(StatusCode::kFailedPrecondition, "replay store: sampling from an empty store");
  const std::int64_t first = oldest_live();
  for (int i = 0; i < count; ++i) {
    slots[i] = slot_of(first + rng.uniform_int(static_cast<std::uint32_t>(size_)));
  }
  return Status::ok();
}

void ReplayStore::live_slots(int* slots) const {
  const std::int64_t first = oldest_live();
  for (int i = 0; i < size_; ++i) slots[i] = slot_of(first + i);
}

int ReplayStore::epoch_size(std::int32_t e) const {
  const std::int64_t first = oldest_live();
  for (int k = 0; k < epoch_count_; ++k) {
    const EpochRange& r = epochs_[(epoch_head_ + k) % config_.max_epochs];
    if (r.epoch == e) return static_cast<int>(r.end - std::max(r.begin, first));
  }
  return 0;
}

Status ReplayStore::sample_by_epoch_weights(Rng& rng, const double* weights, std::int32_t first_epoch,
                                            int epoch_count, int count, int* slots) const {
  if (size_ == 0) return Status::error(StatusCode::kFailedPrecondition, "replay store: sampling from an empty store");
  const std::int64_t first = oldest_live();
  double total = 0;
  for (int k = 0; k < epoch_count_; ++k) {
    const EpochRange& r = epochs_[(epoch_head_ + k) % config_.max_epochs];
    const std::int64_t index = static_cast<std::int64_t>(r.epoch) - first_epoch;
    double w = index >= 0 && index < epoch_count ? weights[index] : 0.0;
    if (!(w >= 0) || !std::isfinite(w)) {
      return Status::error(StatusCode::kInvalidArgument, "replay store: epoch weight %g is negative or not finite", w);
    }
    total += w;
    cumulative_[k] = total;
  }
  if (!(total > 0)) {
    return Status::error(StatusCode::kInvalidArgument, "replay store: no live epoch has a positive weight");
  }
  for (int i = 0; i < count; ++i) {
    const double u = rng.uniform_double() * total;
    const int k = static_cast<int>(std::upper_bound(cumulative_, cumulative_ + epoch_count_, u) - cumulative_);
    const EpochRange& r = epochs_[(epoch_head_ + std::min(k, epoch_count_ - 1)) % config_.max_epochs];
    const std::int64_t begin = std::max(r.begin, first);
    slots[i] = slot_of(begin + rng.uniform_int(static_cast<std::uint32_t>(r.end - begin)));
  }
  return Status::ok();
}

void ReplayStore::gather(const int* slots, int count, Scalar* obs, Scalar* act, Scalar* reward, Scalar* next_obs,
                         Scalar* not_done) const {
  const std::size_t od = static_cast<std::size_t>(config_.obs_dim), ad = static_cast<std::size_t>(config_.act_dim);
  for (int i = 0; i < count; ++i) {
    const std::size_t s = static_cast<std::size_t>(slots[i]);
    if (obs) std::copy(obs_ + s * od, obs_ + (s + 1) * od, obs + i * od);
    if (act) std::copy(act_ + s * ad, act_ + (s + 1) * ad, act + i * ad);
    if (reward) reward[i] = reward_[s];
    if (next_obs) std::copy(next_obs_ + s * od, next_obs_ + (s + 1) * od, next_obs + i * od);
    if (not_done) not_done[i] = terminal_[s] ? 0.0f : 1.0f;
  }
}

void ReplayStore::visit_state(StateVisitor& v, const char* prefix) {
  // File layout: a full store as slot g % capacity holding transition g, any
  // other oldest first from slot 0. A writer moves its data there first (the
  // slot order is invisible to sampling, so this changes nothing it does); a
  // reader (empty until now) is trivially in it. A reader replaces the data,
  // a writer may have moved it: either way a device mirror copies it again.
  ++layout_version_;
  to_file_layout();
  std::int32_t saved_capacity = capacity_;
  v.value(prefix, "capacity", &saved_capacity);
  v.value(prefix, "size", &size_);
  v.value(prefix, "total", &total_);
  v.value(prefix, "epoch_head", &epoch_head_);
  v.value(prefix, "epoch_count", &epoch_count_);
  const int max = config_.max_epochs;
  if (!v.check(saved_capacity >= 1 && size_ >= 0 && total_ >= 0 &&
                   size_ <= std::min<std::int64_t>(total_, saved_capacity) && (size_ > 0 || total_ == 0),
               prefix, "0 < size <= min(total, capacity)") ||
      !v.check(size_ <= config_.capacity, prefix, "saved transitions fit this store's slots") ||
      !v.check(epoch_head_ >= 0 && epoch_head_ < max && epoch_count_ >= 0 && epoch_count_ <= max, prefix,
               "epoch ring counters in range")) {
    return;
  }
  v.value(prefix, "epoch_ranges", epochs_, static_cast<std::size_t>(max));
  // The live ranges must be ordered, inside [oldest live, total) and cover it.
  std::int64_t expected_begin = -1;
  for (int i = 0; i < epoch_count_ && v.ok(); ++i) {
    const EpochRange& r = epochs_[(epoch_head_ + i) % max];
    const bool ordered = r.begin < r.end && r.end <= total_ && (expected_begin < 0 || r.begin == expected_begin);
    if (!v.check(ordered && (i > 0 || r.begin <= oldest_live()) && r.end > oldest_live(), prefix,
                 "epoch ranges ordered and covering the live transitions")) {
      return;
    }
    expected_begin = r.end;
  }
  if (!v.check(size_ == 0 || (epoch_count_ > 0 && expected_begin == total_), prefix, "epoch ranges end at total")) {
    return;
  }
  const std::size_t n = static_cast<std::size_t>(size_);
  v.value(prefix, "obs", obs_, n * config_.obs_dim);
  v.value(prefix, "act", act_, n * config_.act_dim);
  v.value(prefix, "reward", reward_, n);
  v.value(prefix, "next_obs", next_obs_, n * config_.obs_dim);
  v.value(prefix, "terminal", terminal_, n);
  v.value(prefix, "epoch", epoch_, n);
  if (!v.ok()) return;
  // Read back in the file layout under the saved capacity; a saved capacity
  // larger than this store's slots only fits when not full (checked above).
  if (size_ == saved_capacity) {
    capacity_ = saved_capacity;
    base_ = 0;
  } else {
    capacity_ = std::min(saved_capacity, config_.capacity);
    base_ = oldest_live();
  }
}

}  // namespace usbpo
