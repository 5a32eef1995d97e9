// ReplayStore: fixed-capacity FIFO ring of transitions, struct of arrays in
// arena memory, each slot tagged with the policy epoch that produced it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/base/arena.hpp"
#include "usbpo/base/rng.hpp"
#include "usbpo/base/state_visitor.hpp"
#include "usbpo/base/status.hpp"
#include "usbpo/base/types.hpp"

namespace usbpo {

struct ReplayConfig {
  int obs_dim = 0;
  int act_dim = 0;
  int capacity = 0;
  int max_epochs = 4096;  // distinct epoch tags tracked for weighted sampling
};

class ReplayStore {
 public:
  Status place(const ReplayConfig& config, Arena& arena);
  // Bytes place takes; 0 for an invalid configuration or one whose size overflows size_t.
  static std::size_t bytes_needed(const ReplayConfig& config);

  // One transition; non-finite values are rejected and the store is unchanged.
  // Epoch tags must not decrease.
  Status store(const Scalar* obs, const Scalar* act, Scalar reward, const Scalar* next_obs, bool terminal,
               std::int32_t epoch);
  // count transitions at once (model rollouts): obs (obs_dim x count), act
  // (act_dim x count), reward (count), next_obs (obs_dim x count), terminal (count).
  Status store_batch(int count, const Scalar* obs, const Scalar* act, const Scalar* reward, const Scalar* next_obs,
                     const std::uint8_t* terminal, std::int32_t epoch);

  int size() const { return size_; }
  // Transitions kept now (FIFO); at most allocated_capacity(), the slots placed.
  int capacity() const { return capacity_; }
  int allocated_capacity() const { return config_.capacity; }
  // Change how many transitions are kept, contents kept (the newest ones when
  // shrinking), as MBPO re-sizes its model pool when the rollout length changes.
  // Moves data in place: no allocation, O(allocated slots) time.
  Status set_capacity(int capacity);
  std::int64_t total_stored() const { return total_; }
  const ReplayConfig& config() const { return config_; }
  void clear();

  // count slots drawn uniformly (with replacement) from the live transitions.
  Status sample_uniform(Rng& rng, int count, int* slots) const;
  // PMAC: an epoch by weights[e - first_epoch] (renormalised over epochs still
  // live), then a uniform slot inside it; epochs outside the range weigh 0.
  Status sample_by_epoch_weights(Rng& rng, const double* weights, std::int32_t first_epoch, int epoch_count,
                                 int count, int* slots) const;
  // Copy transitions into column-major batches; null pointers skip a field.
  // not_done (count) = 1 - terminal.
  void gather(const int* slots, int count, Scalar* obs, Scalar* act, Scalar* reward, Scalar* next_obs,
              Scalar* not_done) const;

  // Column views: slot i is column i of each array.
  const Scalar* obs(int slot) const { return obs_ + static_cast<std::size_t>(slot) * config_.obs_dim; }
  const Scalar* act(int slot) const { return act_ + static_cast<std::size_t>(slot) * config_.act_dim; }
  Scalar reward(int slot) const { return reward_[slot]; }
  const Scalar* next_obs(int slot) const { return next_obs_ + static_cast<std::size_t>(slot) * config_.obs_dim; }
  bool terminal(int slot) const { return terminal_[slot] != 0; }
  std::int32_t epoch(int slot) const { return epoch_[slot]; }
  // Base pointers of the arrays (obs_dim x capacity), ... for bulk readers.
  const Scalar* obs_data() const { return obs_; }
  const Scalar* act_data() const { return act_; }
  const Scalar* reward_data() const { return reward_; }
  const Scalar* next_obs_data() const { return next_obs_; }
  const std::uint8_t* terminal_data() const { return terminal_; }
  // The slot holding live transition `global` (total_stored() - size() <= global < total_stored()).
  int slot_of_transition(std::int64_t global) const { return slot_of(global); }
  // Changes whenever transitions may have moved between slots or been
  // replaced other than by storing (set_capacity, clear, a checkpoint visit);
  // a device mirror then copies all live slots again (DeviceStoreMirror).
  std::uint64_t layout_version() const { return layout_version_; }
  // Live transitions tagged with epoch e.
  int epoch_size(std::int32_t e) const;
  // Write the slots of all live transitions, oldest first, into slots (size()).
  void live_slots(int* slots) const;
  // Counters, epoch ranges and the occupied slots (prefix "real_store", ...);
  // a reader checks every counter and range before trusting it.
  void visit_state(StateVisitor& v, const char* prefix);

 private:
  // Epoch e covers global insertion indices [begin, end).
  struct EpochRange {  // no padding: checkpoints copy it as bytes
    std::int64_t epoch;
    std::int64_t begin, end;
  };
  Status check_epoch(std::int32_t epoch) const;
  // Rotate every array so that slot s holds what slot (s + shift) % capacity_ held.
  void rotate_left(int shift);
  // Call f(data, width) for every per-transition array (width: values per transition).
  template <class F>
  void for_each_array(F f) {
    f(obs_, config_.obs_dim);
    f(act_, config_.act_dim);
    f(reward_, 1);
    f(next_obs_, config_.obs_dim);
    f(terminal_, 1);
    f(epoch_, 1);
  }
  // Put the data in the file layout (full: slot g % capacity holds transition g;
  // otherwise oldest first from slot 0) and set base_ to match.
  void to_file_layout();
  void drop_overwritten_epochs();
  void note_insert(std::int32_t epoch, int count);
  std::int64_t oldest_live() const { return total_ - size_; }
  int slot_of(std::int64_t global) const { return static_cast<int>((global - base_) % capacity_); }

  ReplayConfig config_;
  Scalar* obs_ = nullptr;
  Scalar* act_ = nullptr;
  Scalar* reward_ = nullptr;
  Scalar* next_obs_ = nullptr;
  std::uint8_t* terminal_ = nullptr;
  std::int32_t* epoch_ = nullptr;
  EpochRange* epochs_ = nullptr;  // ring of max_epochs ranges, oldest at epoch_head_
  double* cumulative_ = nullptr;  // (max_epochs) scratch for weighted sampling
  int epoch_head_ = 0, epoch_count_ = 0;
  int size_ = 0;
  int capacity_ = 0;
  std::int64_t total_ = 0;
  std::int64_t base_ = 0;  // the global index that slot 0 holds (or held)
  std::uint64_t layout_version_ = 0;
};

}  // namespace usbpo
