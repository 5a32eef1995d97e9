// DeviceStoreMirror: a replay store's transitions in a backend's device memory
// (issue 15), so that SAC's minibatches are gathered there (Backend::
// gather_sac_batch) instead of on the host and uploaded per update.
//
// The host ReplayStore stays authoritative: checkpoints, datasets, the model
// fit and PMAC's sampling use it as before. The mirror follows it lazily:
// sync() uploads exactly what changed since the last sync, found from the
// store's counters: the transitions stored since (at most two slot ranges, as
// the ring may wrap), or all live slots after the store's layout changed
// (set_capacity rotates, clear, a checkpoint visit). Where the backend's device
// memory is host memory (the CPU backend) the mirror is the store itself: no
// device arrays, no copies.
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/agent/replay_store.hpp"
#include "usbpo/base/status.hpp"
#include "usbpo/nn/backend.hpp"

namespace usbpo {

// One transition staged in device memory (for sync_newest_from_device).
struct StagedTransition {
  const Scalar* obs = nullptr;       // (obs_dim)
  const Scalar* act = nullptr;       // (act_dim)
  const Scalar* reward = nullptr;    // (1)
  const Scalar* next_obs = nullptr;  // (obs_dim)
  const std::uint8_t* terminal = nullptr;  // (1)
};

class DeviceStoreMirror {
 public:
  // Device arrays for all of store's allocated slots from backend.device_arena()
  // (device_bytes_needed, reserved by the caller), or the store's own arrays
  // where the device is the host. store and backend must outlive the mirror.
  Status place(const ReplayStore& store, Backend& backend);
  // Device bytes place takes for a store of this configuration (0 where the device is the host).
  static std::size_t device_bytes_needed(const ReplayConfig& config, bool device_is_host);

  // The arrays gather_sac_batch reads (current after sync()).
  const StoreColumns& columns() const { return columns_; }
  // True when the mirror lacks exactly the store's newest transition and
  // nothing else (the usual case once per env step).
  bool behind_by_one() const;
  // Upload what changed since the last sync (five uploads per slot range, one
  // per array); returns the uploads made (0 where the device is the host).
  int sync();
  // Bring a mirror that is behind_by_one() up to date from a copy of the newest
  // transition already in device memory (five device copies, no transfer).
  void sync_newest_from_device(const StagedTransition& staged);

 private:
  // Upload slots [first, first + count) of every array.
  int upload_slots(int first, int count);
  void mark_synced();

  const ReplayStore* store_ = nullptr;
  Backend* backend_ = nullptr;
  bool on_host_ = true;
  Scalar* obs_ = nullptr;  // device arrays (null where the device is the host)
  Scalar* act_ = nullptr;
  Scalar* reward_ = nullptr;
  Scalar* next_obs_ = nullptr;
  std::uint8_t* terminal_ = nullptr;
  StoreColumns columns_;
  bool stale_ = true;  // nothing uploaded yet
  std::int64_t synced_total_ = 0;
  std::uint64_t synced_layout_ = 0;
};

}  // namespace usbpo
