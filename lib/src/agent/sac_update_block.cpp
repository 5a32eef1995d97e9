#include "usbpo/agent/sac_update_block.hpp"

#include <algorithm>
#include <cstring>

#include "usbpo/agent/mixed_batch.hpp"

namespace usbpo {
namespace {

// Bytes rounded up to whole 64-byte lines (every part starts aligned).
std::size_t aligned(std::size_t bytes) {
  constexpr std::size_t kLine = Arena::kAlignment;
  return size_product((bytes + kLine - 1) / kLine, kLine);
}

}  // namespace

SacUpdateBlock::Layout SacUpdateBlock::layout_of(const SacConfig& c, int max_updates) {
  const std::size_t od = static_cast<std::size_t>(c.obs_dim), ad = static_cast<std::size_t>(c.act_dim);
  const std::size_t n = static_cast<std::size_t>(c.batch), updates = static_cast<std::size_t>(max_updates);
  Layout l;
  std::size_t at = 0;
  auto take = [&](std::size_t bytes) {
    const std::size_t part = at;
    at = size_sum(at, aligned(bytes));
    return part;
  };
  l.header = take(2 * sizeof(std::int32_t));
  l.obs = take(od * sizeof(Scalar));
  l.act = take(ad * sizeof(Scalar));
  l.reward = take(sizeof(Scalar));
  l.next_obs = take(od * sizeof(Scalar));
  l.terminal = take(1);
  l.slots = take(size_product(size_product(updates, n), sizeof(std::int32_t)));
  l.noise = at;
  l.bytes = size_sum(at, size_product(size_product(updates, size_product(2 * ad, n)), sizeof(Scalar)));
  return l;
}

std::size_t SacUpdateBlock::host_bytes_needed(const SacConfig& config, int max_updates) {
  if (config.obs_dim < 1 || config.act_dim < 1 || config.batch < 1 || max_updates < 0) return 0;
  const Layout l = layout_of(config, std::max(1, max_updates));
  return l.bytes == SIZE_MAX ? 0 : Arena::padded(l.bytes);
}

std::size_t SacUpdateBlock::device_bytes_needed(const SacConfig& config, int max_updates, bool device_is_host) {
  return device_is_host ? 0 : host_bytes_needed(config, max_updates);
}

Status SacUpdateBlock::place_host(const SacConfig& config, int max_updates, Arena& host_arena) {
  if (config.obs_dim < 1 || config.act_dim < 1 || config.batch < 1 || max_updates < 0) {
    return Status::error(StatusCode::kInvalidArgument,
                         "SAC update block needs obs_dim, act_dim, batch >= 1 and max_updates >= 0");
  }
  config_ = config;
  max_updates_ = std::max(1, max_updates);
  layout_ = layout_of(config, max_updates_);
  noise_floats_ = size_product(2 * static_cast<std::size_t>(config.act_dim), static_cast<std::size_t>(config.batch));
  block_bytes_ = layout_.bytes;
  host_ = static_cast<unsigned char*>(host_arena.allocate_bytes(block_bytes_));
  device_ = nullptr;
  backend_ = nullptr;
  updates_ = 0;
  staged_ = false;
  graph_ = Graph::kUntried;
  if (host_arena.exhausted()) {
    return Status::error(StatusCode::kOutOfMemory, "arena too small for the SAC update block (%zu bytes)",
                         host_bytes_needed(config, max_updates));
  }
  if (host_) std::memset(host_, 0, block_bytes_);
  return Status::ok();
}

Status SacUpdateBlock::place_device(Backend& backend) {
  backend_ = &backend;
  graph_ = Graph::kUntried;
  if (backend.device_is_host()) {
    device_ = host_;
    return Status::ok();
  }
  Arena& device = backend.device_arena();
  device_ = static_cast<unsigned char*>(device.allocate_bytes(block_bytes_));
  if (device.exhausted() || !device_) {
    return Status::error(StatusCode::kOutOfMemory,
                         "the %s backend's device memory has no room for the SAC update block (%zu bytes)",
                         backend.name(), block_bytes_);
  }
  return Status::ok();
}

std::size_t SacUpdateBlock::used_bytes(int updates) const {
  return layout_.noise + static_cast<std::size_t>(updates) * noise_floats_ * sizeof(Scalar);
}

Status SacUpdateBlock::draw(const ReplayStore& real, const ReplayStore* model, Scalar real_ratio, int updates,
                            Rng& rng) {
  if (updates < 0 || updates > max_updates_) {
    return Status::error(StatusCode::kInvalidArgument, "SAC update block: %d updates, placed for at most %d",
                         updates, max_updates_);
  }
  const int batch = config_.batch;
  const int n_real = real_count(batch, real_ratio, model);
  const std::size_t act_floats = static_cast<std::size_t>(batch) * config_.act_dim;
  std::int32_t* header = reinterpret_cast<std::int32_t*>(host_ + layout_.header);
  header[kUpdateBlockIndex] = 0;
  header[kUpdateBlockRealCount] = n_real;
  int* slots = reinterpret_cast<int*>(host_ + layout_.slots);
  Scalar* noise = reinterpret_cast<Scalar*>(host_ + layout_.noise);
  for (int g = 0; g < updates; ++g) {
    USBPO_RETURN_IF_ERROR(
        draw_mixed_slots(real, model, batch, n_real, rng, slots + static_cast<std::size_t>(g) * batch));
    Scalar* eps = noise + static_cast<std::size_t>(g) * noise_floats_;
    Sac::draw_update_noise(rng, act_floats, eps, eps + act_floats);
  }
  updates_ = updates;
  return Status::ok();
}

void SacUpdateBlock::stage_newest(const ReplayStore& store) {
  const int slot = store.slot_of_transition(store.total_stored() - 1);
  const std::size_t od = static_cast<std::size_t>(config_.obs_dim), ad = static_cast<std::size_t>(config_.act_dim);
  std::memcpy(host_ + layout_.obs, store.obs(slot), od * sizeof(Scalar));
  std::memcpy(host_ + layout_.act, store.act(slot), ad * sizeof(Scalar));
  const Scalar reward = store.reward(slot);
  std::memcpy(host_ + layout_.reward, &reward, sizeof(Scalar));
  std::memcpy(host_ + layout_.next_obs, store.next_obs(slot), od * sizeof(Scalar));
  host_[layout_.terminal] = store.terminal(slot) ? 1 : 0;
  staged_ = true;
}

void SacUpdateBlock::upload() {
  backend_->upload(device_, host_, used_bytes(updates_));
  staged_ = false;
}

StagedTransition SacUpdateBlock::staged_transition() const {
  return StagedTransition{reinterpret_cast<const Scalar*>(device_ + layout_.obs),
                          reinterpret_cast<const Scalar*>(device_ + layout_.act),
                          reinterpret_cast<const Scalar*>(device_ + layout_.reward),
                          reinterpret_cast<const Scalar*>(device_ + layout_.next_obs), device_ + layout_.terminal};
}

void SacUpdateBlock::enqueue_one(Sac& sac, const StoreColumns& real, const StoreColumns& model) {
  std::int32_t* header = reinterpret_cast<std::int32_t*>(device_ + layout_.header);
  backend_->gather_sac_batch(real, model, header, reinterpret_cast<const int*>(device_ + layout_.slots),
                             reinterpret_cast<const Scalar*>(device_ + layout_.noise), config_.obs_dim,
                             config_.act_dim, config_.batch, sac.device_batch_columns());
  sac.enqueue_update_ops();
  backend_->advance_update_index(header);
}

Status SacUpdateBlock::run(Sac& sac, const StoreColumns& real, const StoreColumns& model) {
  if (updates_ == 0) return Status::ok();
  if (graph_ == Graph::kUntried) {
    // Capture once where the backend has graphs; replay from then on (the
    // stores' and SAC's device addresses are fixed after placement).
    graph_ = Graph::kNone;
    if (backend_->begin_capture(kGraphSlot).is_ok()) {
      enqueue_one(sac, real, model);
      if (backend_->end_capture(kGraphSlot).is_ok()) graph_ = Graph::kCaptured;
    }
  }
  if (graph_ == Graph::kCaptured) return backend_->replay(kGraphSlot, updates_);
  for (int g = 0; g < updates_; ++g) enqueue_one(sac, real, model);
  return Status::ok();
}

}  // namespace usbpo
