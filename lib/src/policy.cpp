#include "usbpo/policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "flatbuffers_checks.hpp"
#include "usbpo/action_scaling.hpp"
#include "usbpo/schema/policy_generated.h"

namespace usbpo {
namespace {


void copy_vector(const flatbuffers::Vector<float>* v, Scalar* out) {
  for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) out[i] = v->Get(i);
}

void copy_name(const flatbuffers::String* s, char* out) {
  std::size_t n = s ? std::min<std::size_t>(s->size(), Policy::kMaxName - 1) : 0;
  if (n) std::memcpy(out, s->c_str(), n);
  out[n] = '\0';
}

// Verifies the blob; on success *out is the root table.
Status verify(const void* blob, std::size_t size, const fb::Policy** out) {
  if (!blob || size < 8) {
    return Status::error(StatusCode::kCorruptData, "policy blob is empty or shorter than a FlatBuffers header (%zu bytes)", size);
  }
  const auto* bytes = static_cast<const std::uint8_t*>(blob);
  if (!fb::PolicyBufferHasIdentifier(bytes)) {
    return Status::error(StatusCode::kCorruptData, "not a usbpo policy file (identifier is not \"USBP\")");
  }
  flatbuffers::Verifier verifier(bytes, size);
  if (!fb::VerifyPolicyBuffer(verifier)) {
    return Status::error(StatusCode::kCorruptData, "policy file failed FlatBuffers verification (truncated or corrupt)");
  }
  const fb::Policy* p = fb::GetPolicy(bytes);
  if (p->format_version() != Policy::kFormatVersion) {
    return Status::error(StatusCode::kCorruptData, "policy format version %u is not supported (expected %u)",
                         static_cast<unsigned>(p->format_version()), static_cast<unsigned>(Policy::kFormatVersion));
  }
  const int obs_dim = p->obs_dim(), act_dim = p->act_dim();
  if (obs_dim < 1 || obs_dim > 4096 || act_dim < 1 || act_dim > 64) {
    return Status::error(StatusCode::kCorruptData, "policy dims out of range: obs_dim %d, act_dim %d", obs_dim, act_dim);
  }
  const fb::Mlp* actor = p->actor();
  if (!actor || !actor->params() || !p->obs_mean() || !p->obs_std() || !p->action_low() || !p->action_high()) {
    return Status::error(StatusCode::kCorruptData, "policy file lacks the actor, normaliser or action bounds");
  }
  if (actor->members() != 1 || actor->input_dim() != obs_dim || actor->output_dim() != 2 * act_dim ||
      actor->activation() > static_cast<std::uint8_t>(Activation::kSwish) || actor->hidden_layers() < 0 ||
      actor->hidden_layers() > EnsembleMlp::kMaxLayers - 1 || actor->hidden_width() < 1 ||
      actor->hidden_width() > 65536) {
    return Status::error(StatusCode::kCorruptData,
                         "policy actor shape (%d members, %d -> %d, %d x %d) does not match obs_dim %d, act_dim %d",
                         static_cast<int>(actor->members()), static_cast<int>(actor->input_dim()),
                         static_cast<int>(actor->output_dim()), static_cast<int>(actor->hidden_layers()),
                         static_cast<int>(actor->hidden_width()), obs_dim, act_dim);
  }
  if (p->obs_mean()->size() != static_cast<flatbuffers::uoffset_t>(obs_dim) ||
      p->obs_std()->size() != static_cast<flatbuffers::uoffset_t>(obs_dim) ||
      p->action_low()->size() != static_cast<flatbuffers::uoffset_t>(act_dim) ||
      p->action_high()->size() != static_cast<flatbuffers::uoffset_t>(act_dim)) {
    return Status::error(StatusCode::kCorruptData, "policy normaliser or action bounds have the wrong length");
  }
  if (!vector_all_finite(actor->params()) || !vector_all_finite(p->obs_mean()) ||
      !vector_all_finite(p->obs_std()) || !vector_all_finite(p->action_low()) ||
      !vector_all_finite(p->action_high()) || !std::isfinite(p->log_std_min()) ||
      !std::isfinite(p->log_std_max())) {
    return Status::error(StatusCode::kNonFinite, "policy file contains NaN or Inf values");
  }
  for (int d = 0; d < obs_dim; ++d) {
    if (!(p->obs_std()->Get(d) > 0)) return Status::error(StatusCode::kCorruptData, "policy obs_std[%d] is not positive", d);
  }
  for (int d = 0; d < act_dim; ++d) {
    if (!(p->action_low()->Get(d) < p->action_high()->Get(d))) {
      return Status::error(StatusCode::kCorruptData, "policy action bound %d: low is not below high", d);
    }
    if (!std::isfinite(p->action_high()->Get(d) - p->action_low()->Get(d))) {
      return Status::error(StatusCode::kCorruptData, "policy action bound %d: the range overflows a float", d);
    }
  }
  *out = p;
  return Status::ok();
}

}  // namespace

Status Policy::place(const void* blob, std::size_t size, Arena& arena, bool copy) {
  const fb::Policy* p = nullptr;
  USBPO_RETURN_IF_ERROR(verify(blob, size, &p));
  const fb::Mlp* actor = p->actor();
  MlpShape shape;
  shape.members = 1;
  shape.input_dim = actor->input_dim();
  shape.output_dim = actor->output_dim();
  shape.hidden_layers = actor->hidden_layers();
  shape.hidden_width = actor->hidden_width();
  shape.activation = static_cast<Activation>(actor->activation());
  EnsembleMlp net;
  USBPO_RETURN_IF_ERROR(net.configure(shape));
  if (actor->params()->size() != net.total_params()) {
    return Status::error(StatusCode::kCorruptData, "policy actor has %u weights, its shape needs %zu",
                         static_cast<unsigned>(actor->params()->size()), net.total_params());
  }
  const int obs_dim = p->obs_dim(), act_dim = p->act_dim();
  Scalar* params = arena.allocate<Scalar>(net.total_params());
  Scalar* mean = arena.allocate<Scalar>(obs_dim);
  Scalar* inv_std = arena.allocate<Scalar>(obs_dim);
  Scalar* low = arena.allocate<Scalar>(act_dim);
  Scalar* high = arena.allocate<Scalar>(act_dim);
  Scalar* normalized = arena.allocate<Scalar>(obs_dim);
  MlpWorkspace ws;
  actor_net_ = net;  // ws keeps a pointer to actor_net_
  USBPO_RETURN_IF_ERROR(ws.place(actor_net_, 1, false, arena));
  if (arena.exhausted()) {
    return Status::error(StatusCode::kOutOfMemory, "arena too small for the policy (%zu bytes available)",
                         arena.capacity());
  }
  if (!copy) return Status::ok();
  copy_vector(actor->params(), params);
  copy_vector(p->obs_mean(), mean);
  for (int d = 0; d < obs_dim; ++d) inv_std[d] = 1.0f / p->obs_std()->Get(d);
  copy_vector(p->action_low(), low);
  copy_vector(p->action_high(), high);
  ws_ = ws;
  actor_params_ = params;
  obs_mean_ = mean;
  obs_inv_std_ = inv_std;
  action_low_ = low;
  action_high_ = high;
  normalized_ = normalized;
  obs_dim_ = obs_dim;
  act_dim_ = act_dim;
  env_steps_ = p->env_steps();
  log_std_min_ = p->log_std_min();
  log_std_max_ = p->log_std_max();
  copy_name(p->env_name(), env_name_);
  copy_name(p->algorithm(), algorithm_);
  return Status::ok();
}

Status Policy::bytes_needed(const void* blob, std::size_t size, std::size_t* bytes) {
  Policy probe;
  Arena measure;
  USBPO_RETURN_IF_ERROR(probe.place(blob, size, measure, false));
  *bytes = measure.used();
  return Status::ok();
}

Status Policy::load(const void* blob, std::size_t size, Arena& arena) {
  if (arena.measuring()) return Status::error(StatusCode::kInvalidArgument, "Policy::load needs an arena with memory");
  actor_params_ = nullptr;
  return place(blob, size, arena, true);
}

Status Policy::forward(const Scalar* obs) {
  if (!loaded()) return Status::error(StatusCode::kFailedPrecondition, "policy not loaded");
  if (!obs) return Status::error(StatusCode::kInvalidArgument, "policy act: null observation");
  for (int d = 0; d < obs_dim_; ++d) {
    if (!std::isfinite(obs[d])) {
      return Status::error(StatusCode::kNonFinite, "policy act: observation[%d] is NaN or Inf", d);
    }
    normalized_[d] = (obs[d] - obs_mean_[d]) * obs_inv_std_[d];
  }
  MlpOps::forward(actor_net_, actor_params_, normalized_, 0, 1, ws_, 0, 1);
  // Finite weights can still overflow on some observation (found by fuzzing).
  const Scalar* out = ws_.output(0);
  for (int i = 0; i < 2 * act_dim_; ++i) {
    if (!std::isfinite(out[i])) {
      return Status::error(StatusCode::kNonFinite, "policy act: the actor's output overflowed (NaN or Inf)");
    }
  }
  return Status::ok();
}

// low + (tanh + 1) / 2 (high - low), clamped: rounding must not step outside the bounds.
Scalar Policy::scale(int d, Scalar squashed) const {
  const Scalar a = action_low_[d] + (squashed + 1.0f) * 0.5f * (action_high_[d] - action_low_[d]);
  return std::min(std::max(a, action_low_[d]), action_high_[d]);
}

Status Policy::act(const Scalar* obs, Scalar* action) {
  USBPO_RETURN_IF_ERROR(forward(obs));
  const Scalar* out = ws_.output(0);
  for (int d = 0; d < act_dim_; ++d) {
    action[d] = scale(d, std::tanh(out[d]));
  }
  return Status::ok();
}

Status Policy::act_stochastic(const Scalar* obs, Scalar* action, Rng& rng) {
  USBPO_RETURN_IF_ERROR(forward(obs));
  const Scalar* out = ws_.output(0);
  for (int d = 0; d < act_dim_; ++d) {
    const Scalar log_std = std::clamp(out[act_dim_ + d], log_std_min_, log_std_max_);
    action[d] = scale(d, std::tanh(out[d] + std::exp(log_std) * rng.normal()));
  }
  return Status::ok();
}

}  // namespace usbpo
