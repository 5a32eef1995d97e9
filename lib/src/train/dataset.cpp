#include "usbpo/train/dataset.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "base/flatbuffers_checks.hpp"
#include "base/sealed_file.hpp"
#include "usbpo/base/file_checksum.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/schema/dataset_generated.h"

namespace usbpo {
namespace {

std::uint32_t unsealed_dataset_version(const std::uint8_t* bytes, std::size_t size) {
  flatbuffers::Verifier verifier(bytes, size);
  return fb::VerifyDatasetBuffer(verifier) ? fb::GetDataset(bytes)->format_version() : 0;
}

constexpr SealedFileKind kDatasetFile = {"dataset", "not a usbpo dataset file (identifier is not USBD)", "USBD",
                                         kDatasetFormatVersion, unsealed_dataset_version};

// Everything load_dataset trusts, checked before a single transition is stored.
Status verify(const void* bytes, std::size_t size, const fb::Dataset** out) {
  std::size_t content = 0;
  USBPO_RETURN_IF_ERROR(open_sealed_file(kDatasetFile, bytes, size, &content));
  flatbuffers::Verifier verifier(static_cast<const std::uint8_t*>(bytes), content);
  if (!fb::VerifyDatasetBuffer(verifier)) {
    return Status::error(StatusCode::kCorruptData, "dataset failed FlatBuffers verification (truncated or corrupt)");
  }
  const fb::Dataset* d = fb::GetDataset(bytes);
  if (d->format_version() != kDatasetFormatVersion) {
    return Status::error(StatusCode::kCorruptData, "dataset format version %u is not supported (expected %u)",
                         static_cast<unsigned>(d->format_version()), static_cast<unsigned>(kDatasetFormatVersion));
  }
  const int obs_dim = d->obs_dim(), act_dim = d->act_dim(), count = d->count();
  if (obs_dim < 1 || obs_dim > 4096 || act_dim < 1 || act_dim > 64 || count < 0) {
    return Status::error(StatusCode::kCorruptData, "dataset dims out of range: obs_dim %d, act_dim %d, count %d",
                         obs_dim, act_dim, count);
  }
  if (!d->obs() || !d->act() || !d->reward() || !d->next_obs() || !d->terminal()) {
    return Status::error(StatusCode::kCorruptData, "dataset lacks one of obs, act, reward, next_obs, terminal");
  }
  const auto n = static_cast<std::uint64_t>(count);
  if (d->obs()->size() != n * obs_dim || d->next_obs()->size() != n * obs_dim || d->act()->size() != n * act_dim ||
      d->reward()->size() != n || d->terminal()->size() != n) {
    return Status::error(StatusCode::kCorruptData, "dataset arrays do not hold %d transitions of obs_dim %d, act_dim %d",
                         count, obs_dim, act_dim);
  }
  if (!vector_all_finite(d->obs()) || !vector_all_finite(d->act()) || !vector_all_finite(d->reward()) ||
      !vector_all_finite(d->next_obs())) {
    return Status::error(StatusCode::kNonFinite, "dataset contains NaN or Inf values");
  }
  for (flatbuffers::uoffset_t i = 0; i < d->act()->size(); ++i) {
    if (std::fabs(d->act()->Get(i)) > 1.0f) {
      return Status::error(StatusCode::kCorruptData, "dataset action %u is %g, outside [-1, 1]",
                           static_cast<unsigned>(i), static_cast<double>(d->act()->Get(i)));
    }
  }
  for (flatbuffers::uoffset_t i = 0; i < d->terminal()->size(); ++i) {
    if (d->terminal()->Get(i) > 1) return Status::error(StatusCode::kCorruptData, "dataset terminal flag is not 0 or 1");
  }
  *out = d;
  return Status::ok();
}

}  // namespace

Status serialize_dataset(const ReplayStore& store, const char* env_name, std::vector<unsigned char>* bytes) {
  const int n = store.size(), obs_dim = store.config().obs_dim, act_dim = store.config().act_dim;
  std::vector<int> slots(static_cast<std::size_t>(n));
  store.live_slots(slots.data());
  std::vector<float> obs, act, reward, next_obs;
  std::vector<std::uint8_t> terminal;
  obs.reserve(static_cast<std::size_t>(n) * obs_dim);
  next_obs.reserve(obs.capacity());
  act.reserve(static_cast<std::size_t>(n) * act_dim);
  for (int slot : slots) {
    obs.insert(obs.end(), store.obs(slot), store.obs(slot) + obs_dim);
    next_obs.insert(next_obs.end(), store.next_obs(slot), store.next_obs(slot) + obs_dim);
    act.insert(act.end(), store.act(slot), store.act(slot) + act_dim);
    reward.push_back(store.reward(slot));
    terminal.push_back(store.terminal(slot) ? 1 : 0);
  }
  flatbuffers::FlatBufferBuilder builder(1024 + (obs.size() * 2 + act.size() + reward.size()) * sizeof(float) + n);
  // Children in a fixed order (argument evaluation order differs between
  // compilers and targets). The first one ends the file: a float vector leaves
  // no alignment padding there, so every truncation cuts data and is refused.
  const auto reward_offset = builder.CreateVector(reward);
  const auto obs_offset = builder.CreateVector(obs);
  const auto act_offset = builder.CreateVector(act);
  const auto next_obs_offset = builder.CreateVector(next_obs);
  const auto terminal_offset = builder.CreateVector(terminal);
  const auto name_offset = builder.CreateString(env_name ? env_name : "");
  const auto dataset = fb::CreateDataset(builder, kDatasetFormatVersion, name_offset, obs_dim, act_dim, n, obs_offset,
                                         act_offset, reward_offset, next_obs_offset, terminal_offset);
  fb::FinishDatasetBuffer(builder, dataset);
  bytes->assign(builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize());
  append_file_trailer(bytes);
  return Status::ok();
}

Status save_dataset(const char* path, const ReplayStore& store, const char* env_name) {
  std::vector<unsigned char> bytes;
  USBPO_RETURN_IF_ERROR(serialize_dataset(store, env_name, &bytes));
  return write_file_atomically(path, bytes.data(), bytes.size());
}

Status inspect_dataset(const void* bytes, std::size_t size, DatasetInfo* info) {
  const fb::Dataset* d = nullptr;
  USBPO_RETURN_IF_ERROR(verify(bytes, size, &d));
  if (info) {
    info->obs_dim = d->obs_dim();
    info->act_dim = d->act_dim();
    info->count = d->count();
    std::snprintf(info->env_name, sizeof(info->env_name), "%s", d->env_name() ? d->env_name()->c_str() : "");
  }
  return Status::ok();
}

Status load_dataset(const void* bytes, std::size_t size, const char* expected_env, ReplayStore& store,
                    std::int32_t epoch, int* loaded) {
  if (loaded) *loaded = 0;
  const fb::Dataset* d = nullptr;
  USBPO_RETURN_IF_ERROR(verify(bytes, size, &d));
  const char* env_name = d->env_name() ? d->env_name()->c_str() : "";
  if (expected_env && std::strcmp(expected_env, env_name) != 0) {
    return Status::error(StatusCode::kDimensionMismatch, "dataset was recorded on '%s', not '%s'", env_name,
                         expected_env);
  }
  const int obs_dim = d->obs_dim(), act_dim = d->act_dim(), count = d->count();
  if (obs_dim != store.config().obs_dim || act_dim != store.config().act_dim) {
    return Status::error(StatusCode::kDimensionMismatch, "dataset has obs_dim %d, act_dim %d; the store %d, %d",
                         obs_dim, act_dim, store.config().obs_dim, store.config().act_dim);
  }
  if (count > store.capacity() - store.size()) {
    return Status::error(StatusCode::kOutOfMemory,
                         "dataset holds %d transitions but the store has room for %d more (it would drop data)", count,
                         store.capacity() - store.size());
  }
  // Read through Get(): the caller's bytes need not be aligned for floats.
  std::vector<Scalar> obs(static_cast<std::size_t>(obs_dim)), next(obs.size()), act(static_cast<std::size_t>(act_dim));
  for (int i = 0; i < count; ++i) {
    for (int k = 0; k < obs_dim; ++k) {
      obs[k] = d->obs()->Get(static_cast<flatbuffers::uoffset_t>(i) * obs_dim + k);
      next[k] = d->next_obs()->Get(static_cast<flatbuffers::uoffset_t>(i) * obs_dim + k);
    }
    for (int k = 0; k < act_dim; ++k) act[k] = d->act()->Get(static_cast<flatbuffers::uoffset_t>(i) * act_dim + k);
    USBPO_RETURN_IF_ERROR(store.store(obs.data(), act.data(), d->reward()->Get(i), next.data(),
                                      d->terminal()->Get(i) != 0, epoch));
  }
  if (loaded) *loaded = count;
  return Status::ok();
}

Status load_dataset_file(const char* path, const char* expected_env, ReplayStore& store, std::int32_t epoch,
                         int* loaded) {
  std::vector<unsigned char> bytes;
  USBPO_RETURN_IF_ERROR(read_file(path, &bytes));
  return load_dataset(bytes.data(), bytes.size(), expected_env, store, epoch, loaded);
}

}  // namespace usbpo
