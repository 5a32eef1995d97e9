#include "usbpo/agent/device_store_mirror.hpp"

#include <algorithm>

namespace usbpo {
namespace {

// The device arrays of a mirror, in one order for placing and measuring.
struct Arrays {
  Scalar *obs, *act, *reward, *next_obs;
  std::uint8_t* terminal;
};

Arrays place_arrays(const ReplayConfig& c, Arena& arena) {
  const std::size_t n = static_cast<std::size_t>(c.capacity);
  Arrays a;
  a.obs = arena.allocate<Scalar>(size_product(n, c.obs_dim));
  a.act = arena.allocate<Scalar>(size_product(n, c.act_dim));
  a.reward = arena.allocate<Scalar>(n);
  a.next_obs = arena.allocate<Scalar>(size_product(n, c.obs_dim));
  a.terminal = arena.allocate<std::uint8_t>(n);
  return a;
}

}  // namespace

std::size_t DeviceStoreMirror::device_bytes_needed(const ReplayConfig& config, bool device_is_host) {
  if (device_is_host) return 0;
  Arena measure;
  place_arrays(config, measure);
  return measure.overflowed() ? 0 : measure.used();
}

Status DeviceStoreMirror::place(const ReplayStore& store, Backend& backend) {
  store_ = &store;
  backend_ = &backend;
  on_host_ = backend.device_is_host();
  stale_ = true;
  synced_total_ = 0;
  synced_layout_ = 0;
  if (on_host_) {
    obs_ = act_ = reward_ = next_obs_ = nullptr;
    terminal_ = nullptr;
    columns_ = StoreColumns{store.obs_data(), store.act_data(), store.reward_data(), store.next_obs_data(),
                            store.terminal_data()};
    return Status::ok();
  }
  Arena& device = backend.device_arena();
  const Arrays a = place_arrays(store.config(), device);
  if (device.exhausted()) {
    return Status::error(StatusCode::kOutOfMemory,
                         "the %s backend's device memory has no room for a store mirror of %d slots (%zu bytes)",
                         backend.name(), store.config().capacity, device_bytes_needed(store.config(), false));
  }
  obs_ = a.obs;
  act_ = a.act;
  reward_ = a.reward;
  next_obs_ = a.next_obs;
  terminal_ = a.terminal;
  columns_ = StoreColumns{obs_, act_, reward_, next_obs_, terminal_};
  return Status::ok();
}

void DeviceStoreMirror::mark_synced() {
  stale_ = false;
  synced_total_ = store_->total_stored();
  synced_layout_ = store_->layout_version();
}

bool DeviceStoreMirror::behind_by_one() const {
  return !on_host_ && !stale_ && store_->layout_version() == synced_layout_ &&
         store_->total_stored() == synced_total_ + 1 && store_->size() > 0;
}

int DeviceStoreMirror::upload_slots(int first, int count) {
  if (count <= 0) return 0;
  const ReplayConfig& c = store_->config();
  const std::size_t f = static_cast<std::size_t>(first), n = static_cast<std::size_t>(count);
  const std::size_t od = static_cast<std::size_t>(c.obs_dim), ad = static_cast<std::size_t>(c.act_dim);
  backend_->upload(obs_ + f * od, store_->obs_data() + f * od, n * od * sizeof(Scalar));
  backend_->upload(act_ + f * ad, store_->act_data() + f * ad, n * ad * sizeof(Scalar));
  backend_->upload(reward_ + f, store_->reward_data() + f, n * sizeof(Scalar));
  backend_->upload(next_obs_ + f * od, store_->next_obs_data() + f * od, n * od * sizeof(Scalar));
  backend_->upload(terminal_ + f, store_->terminal_data() + f, n);
  return 5;
}

int DeviceStoreMirror::sync() {
  if (on_host_) return 0;
  int uploads = 0;
  if (stale_ || store_->layout_version() != synced_layout_) {
    // After a layout change the live transitions are slots [0, size) (oldest
    // first, or slot g % capacity holding g when full).
    uploads = upload_slots(0, store_->size());
  } else {
    // The newest transitions since the last sync that are still live, oldest first.
    const std::int64_t fresh = std::min<std::int64_t>(store_->total_stored() - synced_total_, store_->size());
    if (fresh > 0) {
      const int count = static_cast<int>(fresh);
      const int first = store_->slot_of_transition(store_->total_stored() - fresh);
      const int head = std::min(count, store_->capacity() - first);  // up to the ring's end
      uploads = upload_slots(first, head) + upload_slots(0, count - head);
    }
  }
  mark_synced();
  return uploads;
}

void DeviceStoreMirror::sync_newest_from_device(const StagedTransition& staged) {
  const ReplayConfig& c = store_->config();
  const std::size_t slot = static_cast<std::size_t>(store_->slot_of_transition(store_->total_stored() - 1));
  const std::size_t od = static_cast<std::size_t>(c.obs_dim), ad = static_cast<std::size_t>(c.act_dim);
  backend_->copy(obs_ + slot * od, staged.obs, od * sizeof(Scalar));
  backend_->copy(act_ + slot * ad, staged.act, ad * sizeof(Scalar));
  backend_->copy(reward_ + slot, staged.reward, sizeof(Scalar));
  backend_->copy(next_obs_ + slot * od, staged.next_obs, od * sizeof(Scalar));
  backend_->copy(terminal_ + slot, staged.terminal, 1);
  mark_synced();
}

}  // namespace usbpo
