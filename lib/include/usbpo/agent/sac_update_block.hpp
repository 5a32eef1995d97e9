// SacUpdateBlock: the G SAC updates of one env step drawn a block ahead
// (issue 15). The host draws, in the Rng order the updates always drew in (for
// each update its minibatch slots, real then model as fill_mixed_batch, then
// its noise as Sac::upload_batch), every update's slots and noise into one
// staging block and uploads it once; the device then gathers update g's batch
// from the stores' device mirrors (Backend::gather_sac_batch, g read from the
// block's header in device memory), runs the update and advances g. Where the
// backend has graphs, gather + update + advance is captured once and replayed
// G times by one replay call; elsewhere the ops are called G times. A CPU run
// and a device run see the same batches and noise, and on the CPU backend the
// updates are bit for bit those of fill_mixed_batch + Sac::update.
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/agent/device_store_mirror.hpp"
#include "usbpo/agent/replay_store.hpp"
#include "usbpo/agent/sac.hpp"
#include "usbpo/base/arena.hpp"
#include "usbpo/base/rng.hpp"
#include "usbpo/base/status.hpp"
#include "usbpo/nn/backend.hpp"

namespace usbpo {

class SacUpdateBlock {
 public:
  // Graph slot the block's update is captured into (Sac::run_update uses Sac::kGraphSlot).
  static constexpr int kGraphSlot = 1;

  // Host staging for up to max_updates updates of a SAC with `config` (its
  // obs_dim, act_dim and batch), from host_arena (host_bytes_needed).
  Status place_host(const SacConfig& config, int max_updates, Arena& host_arena);
  // The device twin, from backend.device_arena() (device_bytes_needed, reserved
  // by the caller); where the device is the host, the staging block itself.
  Status place_device(Backend& backend);
  static std::size_t host_bytes_needed(const SacConfig& config, int max_updates);
  static std::size_t device_bytes_needed(const SacConfig& config, int max_updates, bool device_is_host);

  // Draw `updates` (<= max_updates) updates' slots and noise from rng, in the
  // order fill_mixed_batch and Sac::update draw them: per update the
  // real_count() real slots, then the model slots, then the next-state
  // sample's and the actor's noise. model may be null (all real).
  Status draw(const ReplayStore& real, const ReplayStore* model, Scalar real_ratio, int updates, Rng& rng);
  // Put the store's newest transition into the block, so that it travels
  // with the block's upload (staged_transition() then points at its device copy).
  void stage_newest(const ReplayStore& store);
  // Upload the block in one transfer: the header (update index 0, the real
  // columns), the staged transition when stage_newest was called since the
  // last upload, and the drawn slots and noise.
  void upload();
  // Where the staged transition lies in device memory (after upload()).
  StagedTransition staged_transition() const;
  // The uploaded updates on sac (which must run on the backend given to
  // place_device): gather from real and model (current mirrors), update,
  // advance; captured once and replayed `updates` times where the backend has
  // graphs. Statistics stay on the device (Sac::read_stats downloads them).
  Status run(Sac& sac, const StoreColumns& real, const StoreColumns& model);
  // Updates drawn by the last draw().
  int updates() const { return updates_; }

 private:
  // Offsets (bytes) of the block's parts; all 64-byte aligned.
  struct Layout {
    std::size_t header = 0, obs = 0, act = 0, reward = 0, next_obs = 0, terminal = 0, slots = 0, noise = 0;
    std::size_t bytes = 0;  // up to the noise of update 0
  };
  static Layout layout_of(const SacConfig& config, int max_updates);
  // Bytes of the block up to the end of `updates` updates' noise.
  std::size_t used_bytes(int updates) const;
  void enqueue_one(Sac& sac, const StoreColumns& real, const StoreColumns& model);

  SacConfig config_;
  int max_updates_ = 0;
  Layout layout_;
  std::size_t noise_floats_ = 0;  // per update: 2 act_dim batch
  std::size_t block_bytes_ = 0;
  unsigned char* host_ = nullptr;
  unsigned char* device_ = nullptr;
  Backend* backend_ = nullptr;
  int updates_ = 0;
  bool staged_ = false;
  enum class Graph : std::uint8_t { kUntried, kCaptured, kNone };
  Graph graph_ = Graph::kUntried;
};

}  // namespace usbpo
