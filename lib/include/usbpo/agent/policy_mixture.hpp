// PolicyMixture: PMAC's weights over policy epochs (Wang et al. 2023). Every
// policy epoch (250 env steps) the weights of all earlier epochs are scaled by
// alpha and the new epoch gets (1 - alpha) / alpha times their scaled sum, so
// the total stays constant and the newest policy always holds a 1 - alpha
// share. Model minibatches and rollout starts are drawn from the real store
// by these weights (ReplayStore::sample_by_epoch_weights).
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/base/arena.hpp"
#include "usbpo/base/state_visitor.hpp"
#include "usbpo/base/status.hpp"

namespace usbpo {

struct PolicyMixtureConfig {
  double alpha = 0.9;     // decay of earlier policies
  int max_epochs = 4096;  // epochs kept; beyond, the oldest (weight ~ alpha^max_epochs) is dropped
                          // and the rest renormalised to sum 1
};

class PolicyMixture {
 public:
  Status place(const PolicyMixtureConfig& config, Arena& arena);
  static std::size_t bytes_needed(const PolicyMixtureConfig& config);

  // Start policy epoch `epoch` (epochs must increase by one from the first).
  Status begin_epoch(std::int32_t epoch);
  // Weights of epochs first_epoch() ... first_epoch() + count() - 1, contiguous.
  const double* weights() const { return weights_ + head_; }
  std::int32_t first_epoch() const { return first_epoch_; }
  int count() const { return count_; }
  // Sum of all weights (1 once the first epoch has begun).
  double total() const;
  void clear() { count_ = 0, head_ = 0, first_epoch_ = 0; }
  void visit_state(StateVisitor& v) {
    v.value("mixture", "head", &head_);
    v.value("mixture", "count", &count_);
    v.value("mixture", "first_epoch", &first_epoch_);
    if (!v.check(head_ >= 0 && count_ >= 0 && head_ + count_ <= 2 * config_.max_epochs, "mixture",
                 "window inside its buffer")) {
      return;
    }
    v.value("mixture", "weights", weights_ + head_, static_cast<std::size_t>(count_));
  }

 private:
  PolicyMixtureConfig config_;
  double* weights_ = nullptr;  // (2 max_epochs): a sliding window, compacted when full
  int head_ = 0, count_ = 0;
  std::int32_t first_epoch_ = 0;
};

}  // namespace usbpo
