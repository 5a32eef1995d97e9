#include "usbpo/agent/policy_mixture.hpp"

#include <algorithm>

namespace usbpo {

Status PolicyMixture::place(const PolicyMixtureConfig& config, Arena& arena) {
  if (!(config.alpha > 0 && config.alpha < 1) || config.max_epochs < 1) {
    return Status::error(StatusCode::kInvalidArgument, "policy mixture needs alpha in (0, 1) and max_epochs >= 1");
  }
  config_ = config;
  weights_ = arena.allocate<double>(size_product(2, config.max_epochs));
  if (arena.exhausted()) return Status::error(StatusCode::kOutOfMemory, "arena too small for the policy mixture");
  clear();
  return Status::ok();
}

std::size_t PolicyMixture::bytes_needed(const PolicyMixtureConfig& config) {
  PolicyMixture probe;
  Arena measure;
  if (!probe.place(config, measure).is_ok() || measure.overflowed()) return 0;
  return measure.used();
}

double PolicyMixture::total() const {
  double sum = 0;
  for (int i = 0; i < count_; ++i) sum += weights_[head_ + i];
  return sum;
}

Status PolicyMixture::begin_epoch(std::int32_t epoch) {
  if (count_ == 0) {
    first_epoch_ = epoch;
    head_ = 0;
    weights_[0] = 1.0;
    count_ = 1;
    return Status::ok();
  }
  if (epoch != first_epoch_ + count_) {
    return Status::error(StatusCode::kInvalidArgument, "policy epoch %d does not follow epoch %d", epoch,
                         first_epoch_ + count_ - 1);
  }
  if (count_ == config_.max_epochs) {  // drop the oldest; its share is alpha^(max_epochs - 1)
    ++head_;
    ++first_epoch_;
    --count_;
  }
  // PMAC: w_old <- alpha w_old; w_new = (1 - alpha) / alpha * sum(w_old after scaling).
  double scaled_sum = 0;
  for (int i = 0; i < count_; ++i) {
    weights_[head_ + i] *= config_.alpha;
    scaled_sum += weights_[head_ + i];
  }
  const double newest = (1.0 - config_.alpha) / config_.alpha * scaled_sum;
  if (head_ + count_ == 2 * config_.max_epochs) {  // slide the window back to the start
    std::copy(weights_ + head_, weights_ + head_ + count_, weights_);
    head_ = 0;
  }
  weights_[head_ + count_] = newest;
  ++count_;
  // Keep the total at 1 (it is already, unless an epoch was dropped).
  const double sum = scaled_sum + newest;
  for (int i = 0; i < count_; ++i) weights_[head_ + i] /= sum;
  return Status::ok();
}

}  // namespace usbpo
