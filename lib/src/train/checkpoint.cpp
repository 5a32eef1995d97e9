#include "usbpo/train/checkpoint.hpp"

#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include "base/sealed_file.hpp"
#include "usbpo/base/file_checksum.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/runtime/policy.hpp"
#include "usbpo/schema/checkpoint_generated.h"
#include "usbpo/train/policy_file.hpp"

namespace usbpo {
namespace {

// FlatBuffers addresses a buffer with 32-bit signed offsets.
constexpr std::size_t kMaxCheckpointBytes = (std::size_t{1} << 31) - (std::size_t{1} << 20);

std::uint32_t unsealed_checkpoint_version(const std::uint8_t* bytes, std::size_t size) {
  flatbuffers::Verifier verifier(bytes, size);
  return fb::VerifyCheckpointBuffer(verifier) ? fb::GetCheckpoint(bytes)->format_version() : 0;
}

constexpr SealedFileKind kCheckpointFile = {"checkpoint", "not a usbpo checkpoint (identifier USBC missing)", "USBC",
                                            kCheckpointFormatVersion, unsealed_checkpoint_version};

std::string full_name(const char* prefix, const char* name) { return std::string(prefix) + "/" + name; }

// Sums the bytes of every state array (saving, first pass).
class MeasureVisitor : public StateVisitor {
 public:
  void field(const char*, const char*, StateType type, void*, std::size_t count) override {
    bytes += count * state_type_size(type);
    ++fields;
  }
  bool check(bool, const char*, const char*) override { return true; }
  bool ok() const override { return true; }
  std::size_t bytes = 0, fields = 0;
};

// Copies every state array into the builder as it is visited (saving, second
// pass); components may hand out temporaries, so nothing is kept by pointer.
class BuildVisitor : public StateVisitor {
 public:
  explicit BuildVisitor(flatbuffers::FlatBufferBuilder& builder) : builder_(builder) {}
  void field(const char* prefix, const char* name, StateType type, void* data, std::size_t count) override {
    const auto name_offset = builder_.CreateString(full_name(prefix, name));
    const auto data_offset = builder_.CreateVector(static_cast<const std::uint8_t*>(data), count * state_type_size(type));
    tensors.push_back(fb::CreateStateTensor(builder_, name_offset, static_cast<std::uint8_t>(type), count, data_offset));
  }
  bool check(bool, const char*, const char*) override { return true; }
  bool ok() const override { return true; }
  std::vector<flatbuffers::Offset<fb::StateTensor>> tensors;

 private:
  flatbuffers::FlatBufferBuilder& builder_;
};

bool all_finite_values(StateType type, const unsigned char* data, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (type == StateType::kF32) {
      float x;
      std::memcpy(&x, data + 4 * i, 4);
      if (!std::isfinite(x)) return false;
    } else if (type == StateType::kF64) {
      double x;
      std::memcpy(&x, data + 8 * i, 8);
      if (!std::isfinite(x)) return false;
    }
  }
  return true;
}

// Copies every state array in from a verified checkpoint (loading); the
// first mismatch stops the visit with a message naming the array.
class LoadVisitor : public StateVisitor {
 public:
  explicit LoadVisitor(const fb::Checkpoint* checkpoint)
      : state_(checkpoint->state()), used_(state_ ? state_->size() : 0, false) {}

  void field(const char* prefix, const char* name, StateType type, void* data, std::size_t count) override {
    if (!status_.is_ok()) return;
    const std::string wanted = full_name(prefix, name);
    const fb::StateTensor* tensor = nullptr;
    for (flatbuffers::uoffset_t i = 0; state_ && i < state_->size(); ++i) {
      if (state_->Get(i)->name()->string_view() == wanted) {  // name is required: verified non-null
        tensor = state_->Get(i);
        if (used_[i]) return fail("checkpoint holds state '%s' twice", wanted.c_str());
        used_[i] = true;
        break;
      }
    }
    if (!tensor) return fail("checkpoint lacks state '%s' (saved by another algorithm or configuration?)", wanted.c_str());
    const std::size_t bytes = count * state_type_size(type);
    if (tensor->type() != static_cast<std::uint8_t>(type) || tensor->count() != count ||
        tensor->data()->size() != bytes) {
      return fail("checkpoint state '%s' has %llu elements of type %u, this trainer needs %zu of type %u",
                  wanted.c_str(), static_cast<unsigned long long>(tensor->count()), tensor->type(), count,
                  static_cast<unsigned>(type));
    }
    if (!all_finite_values(type, tensor->data()->data(), count)) {
      return fail("checkpoint state '%s' contains NaN or Inf", wanted.c_str());
    }
    if (bytes > 0) std::memcpy(data, tensor->data()->data(), bytes);
  }
  bool check(bool condition, const char* prefix, const char* what) override {
    if (status_.is_ok() && !condition) fail("checkpoint state '%s' is inconsistent: %s does not hold", prefix, what);
    return status_.is_ok();
  }
  bool ok() const override { return status_.is_ok(); }

  // After the visit: every saved array must have been used.
  bool complete() override {
    for (std::size_t i = 0; i < used_.size() && status_.is_ok(); ++i) {
      if (!used_[i]) {
        fail("checkpoint holds state '%s' this trainer does not have",
             state_->Get(static_cast<flatbuffers::uoffset_t>(i))->name()->c_str());
      }
    }
    return status_.is_ok();
  }
  const Status& status() const { return status_; }

 private:
  template <typename... Args>
  void fail(const char* format, Args... args) {
    status_ = Status::error(StatusCode::kCorruptData, format, args...);
  }

  const flatbuffers::Vector<flatbuffers::Offset<fb::StateTensor>>* state_;
  std::vector<bool> used_;
  Status status_;
};

}  // namespace

namespace {

// Builds the whole checkpoint in builder (sized once from a measuring pass).
Status build_checkpoint(Trainer& trainer, const void* host_data, std::size_t host_size,
                        std::unique_ptr<flatbuffers::FlatBufferBuilder>* out) {
  MeasureVisitor measure;
  USBPO_RETURN_IF_ERROR(trainer.save_state(measure));
  Env& env = trainer.env();
  const char* algorithm = algorithm_name(trainer.config().algorithm);
  std::vector<unsigned char> policy_bytes;
  USBPO_RETURN_IF_ERROR(serialize_policy(describe_policy(trainer), &policy_bytes));

  const std::size_t estimate = measure.bytes + policy_bytes.size() + host_size + 64 * measure.fields + 4096;
  if (estimate > kMaxCheckpointBytes) {
    return Status::error(StatusCode::kInvalidArgument,
                         "checkpoint of %zu bytes exceeds the 2 GiB a FlatBuffers file can address; shrink the "
                         "stores (planned steps, replay capacity, rollout batch)", estimate);
  }
  *out = std::make_unique<flatbuffers::FlatBufferBuilder>(estimate);
  flatbuffers::FlatBufferBuilder& builder = **out;
  BuildVisitor build(builder);
  USBPO_RETURN_IF_ERROR(trainer.save_state(build));
  const auto state = builder.CreateVector(build.tensors);
  const auto host = builder.CreateVector(static_cast<const std::uint8_t*>(host_data), host_data ? host_size : 0);
  const auto policy_blob = builder.CreateVector(policy_bytes);
  // (Named in a fixed order: argument evaluation order differs between compilers and targets.)
  const auto env_name = builder.CreateString(env.name());
  const auto algorithm_offset = builder.CreateString(algorithm);
  const auto checkpoint = fb::CreateCheckpoint(builder, kCheckpointFormatVersion, env_name, algorithm_offset,
                                               trainer.progress().env_steps, env.obs_dim(), env.act_dim(),
                                               policy_blob, host, state);
  fb::FinishCheckpointBuffer(builder, checkpoint);
  return Status::ok();
}

}  // namespace

Status serialize_checkpoint(Trainer& trainer, const void* host_data, std::size_t host_size,
                            std::vector<unsigned char>* bytes) {
  std::unique_ptr<flatbuffers::FlatBufferBuilder> builder;
  USBPO_RETURN_IF_ERROR(build_checkpoint(trainer, host_data, host_size, &builder));
  bytes->assign(builder->GetBufferPointer(), builder->GetBufferPointer() + builder->GetSize());
  append_file_trailer(bytes);
  return Status::ok();
}

Status save_checkpoint(const char* path, Trainer& trainer, const void* host_data, std::size_t host_size) {
  std::unique_ptr<flatbuffers::FlatBufferBuilder> builder;
  USBPO_RETURN_IF_ERROR(build_checkpoint(trainer, host_data, host_size, &builder));
  return write_sealed_file_atomically(path, builder->GetBufferPointer(), builder->GetSize());
}

Status CheckpointFile::read(const char* path) {
  std::vector<unsigned char> bytes;
  USBPO_RETURN_IF_ERROR(read_file(path, &bytes));
  Status status = from_bytes(std::move(bytes));
  if (!status.is_ok()) return Status::error(status.code(), "%s: %s", path, status.message());
  return status;
}

Status CheckpointFile::from_bytes(std::vector<unsigned char> bytes) {
  *this = CheckpointFile();
  std::size_t content = 0;
  USBPO_RETURN_IF_ERROR(open_sealed_file(kCheckpointFile, bytes.data(), bytes.size(), &content));
  flatbuffers::Verifier verifier(bytes.data(), content);
  if (!fb::VerifyCheckpointBuffer(verifier)) {
    return Status::error(StatusCode::kCorruptData, "checkpoint is truncated or corrupt (FlatBuffers verifier failed)");
  }
  const fb::Checkpoint* c = fb::GetCheckpoint(bytes.data());
  if (c->format_version() != kCheckpointFormatVersion) {
    return Status::error(StatusCode::kCorruptData, "checkpoint format version %u, this build reads version %u",
                         static_cast<unsigned>(c->format_version()), static_cast<unsigned>(kCheckpointFormatVersion));
  }
  if (!c->env_name() || !c->algorithm() || !c->policy() || !c->state() || c->obs_dim() < 1 || c->act_dim() < 1 ||
      c->env_steps() < 0) {
    return Status::error(StatusCode::kCorruptData, "checkpoint lacks its task, algorithm, policy or state");
  }
  std::size_t policy_bytes = 0;
  Status policy = Policy::bytes_needed(c->policy()->data(), c->policy()->size(), &policy_bytes);
  if (!policy.is_ok()) return Status::error(StatusCode::kCorruptData, "checkpoint's policy: %s", policy.message());
  bytes_ = std::move(bytes);
  c = fb::GetCheckpoint(bytes_.data());
  env_name_ = c->env_name()->c_str();
  algorithm_ = c->algorithm()->c_str();
  env_steps_ = c->env_steps();
  obs_dim_ = c->obs_dim();
  act_dim_ = c->act_dim();
  policy_ = c->policy()->data();
  policy_size_ = c->policy()->size();
  if (c->host_data()) {
    host_ = c->host_data()->data();
    host_size_ = c->host_data()->size();
  }
  return Status::ok();
}

Status restore_checkpoint(const CheckpointFile& file, Trainer& trainer) {
  if (file.bytes().empty()) return Status::error(StatusCode::kFailedPrecondition, "no checkpoint read");
  Env& env = trainer.env();
  const char* algorithm = algorithm_name(trainer.config().algorithm);
  if (std::strcmp(file.env_name(), env.name()) != 0 || std::strcmp(file.algorithm(), algorithm) != 0) {
    return Status::error(StatusCode::kInvalidArgument, "checkpoint is of %s on %s, this trainer runs %s on %s",
                         file.algorithm(), file.env_name(), algorithm, env.name());
  }
  if (file.obs_dim() != env.obs_dim() || file.act_dim() != env.act_dim()) {
    return Status::error(StatusCode::kDimensionMismatch, "checkpoint has %d obs / %d act dims, the env %d / %d",
                         file.obs_dim(), file.act_dim(), env.obs_dim(), env.act_dim());
  }
  LoadVisitor visitor(fb::GetCheckpoint(file.bytes().data()));
  const Status loaded = trainer.load_state(visitor);
  if (!visitor.status().is_ok()) return visitor.status();
  return loaded;
}

}  // namespace usbpo
