#include "usbpo/runtime/policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/flatbuffers_checks.hpp"
#include "base/sealed_file.hpp"
#include "usbpo/nn/action_scaling.hpp"
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

std::uint32_t unsealed_policy_version(const std::uint8_t* bytes, std::size_t size) {
  flatbuffers::Verifier verifier(bytes, size);
  return fb::VerifyPolicyBuffer(verifier) ? fb::GetPolicy(bytes)->format_version() : 0;
}

constexpr SealedFileKind kPolicyFile = {"policy file", "not a usbpo policy file (identifier is not \"USBP\")", "USBP",
                                        Policy::kFormatVersion, unsealed_policy_version};

// Verifies the blob; on success *out is the root table.
Status verify(const void* blob, std::size_t size, const fb::Policy** out) {
  std::size_t content = 0;
  USBPO_RETURN_IF_ERROR(open_sealed_file(kPolicyFile, blob, size, &content));
  const auto* bytes = static_cast<const std::uint8_t*>(blob);
  flatbuffers::Verifier verifier(bytes, content);
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

// Scratch of one act: the normalised observation, then the actor's
// activations for one column. Placed the same way in run(); the measured size
// includes worst-case alignment padding, so any caller address works.
Status place_scratch(const EnsembleMlp& net, int obs_dim, Arena& arena, Scalar** normalized, MlpWorkspace* ws) {
  *normalized = arena.allocate<Scalar>(static_cast<std::size_t>(obs_dim));
  return ws->place(net, 1, false, arena);
}

std::size_t scratch_bytes_for(const EnsembleMlp& net, int obs_dim) {
  Arena measure;
  Scalar* normalized = nullptr;
  MlpWorkspace ws;
  (void)place_scratch(net, obs_dim, measure, &normalized, &ws);
  return measure.used();
}

// A sum of machine words, each times its own odd factor: a change of any one
// word changes the sum (odd factors are invertible modulo 2^bits), and each
// word costs one multiply-add that does not wait for the previous one, so the
// check is cheap enough for every act (also on a 32-bit microcontroller).
class WordSum {
 public:
  void add(std::size_t word) {
    sum_ += word * factor_;
    factor_ += 2 * kGolden;
  }
  void add_pointer(const void* p) { add(static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(p))); }
  void add_float(float x) {
    std::uint32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    add(bits);
  }
  std::size_t value() const { return sum_; }

 private:
  static constexpr std::size_t kGolden = static_cast<std::size_t>(0x9E3779B97F4A7C15ull);  // odd
  std::size_t sum_ = 0;
  std::size_t factor_ = kGolden;
};

}  // namespace

// Everything act reads before it touches memory: the network's shape and
// layout, the array pointers and sizes, the dims and clamp bounds.
std::size_t Policy::field_check() const {
  WordSum sum;
  sum.add(magic_);
  const MlpShape& shape = actor_net_.shape();
  sum.add(static_cast<std::size_t>(shape.members));
  sum.add(static_cast<std::size_t>(shape.input_dim));
  sum.add(static_cast<std::size_t>(shape.output_dim));
  sum.add(static_cast<std::size_t>(shape.hidden_layers));
  sum.add(static_cast<std::size_t>(shape.hidden_width));
  sum.add(static_cast<std::size_t>(shape.activation));
  sum.add(actor_net_.member_params());
  for (int l = 0; l < EnsembleMlp::kMaxLayers; ++l) sum.add(actor_net_.weight_offset(l));
  sum.add_pointer(actor_params_);
  sum.add_pointer(obs_mean_);
  sum.add_pointer(obs_inv_std_);
  sum.add_pointer(action_low_);
  sum.add_pointer(action_high_);
  sum.add_pointer(scratch_);
  sum.add(scratch_bytes_);
  sum.add_float(log_std_min_);
  sum.add_float(log_std_max_);
  sum.add(static_cast<std::size_t>(obs_dim_));
  sum.add(static_cast<std::size_t>(act_dim_));
  return sum.value();
}

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
  const std::size_t scratch_bytes = scratch_bytes_for(net, obs_dim);
  void* scratch = arena.allocate_bytes(scratch_bytes);
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
  actor_net_ = net;
  actor_params_ = params;
  obs_mean_ = mean;
  obs_inv_std_ = inv_std;
  action_low_ = low;
  action_high_ = high;
  scratch_ = scratch;
  scratch_bytes_ = scratch_bytes;
  obs_dim_ = obs_dim;
  act_dim_ = act_dim;
  env_steps_ = p->env_steps();
  log_std_min_ = p->log_std_min();
  log_std_max_ = p->log_std_max();
  copy_name(p->env_name(), env_name_);
  copy_name(p->algorithm(), algorithm_);
  magic_ = kLoadedMagic;
  check_ = field_check();
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
  magic_ = 0;
  if (arena.measuring()) return Status::error(StatusCode::kInvalidArgument, "Policy::load needs an arena with memory");
  return place(blob, size, arena, true);
}

Status Policy::check_intact() const {
  if (!loaded()) {
    return Status::error(StatusCode::kFailedPrecondition, "policy not loaded (or its object was overwritten)");
  }
  if (check_ != field_check()) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "policy object was overwritten after load (its check value does not match)");
  }
  return Status::ok();
}

// The act itself, on the caller's scratch; the policy is only read. Finish
// turns the actor's output into the action (the mean, or a sample: separate
// instantiations, so a firmware that only acts links no sampling code).
template <typename Finish>
Status Policy::run(const Scalar* obs, Scalar* action, void* scratch, std::size_t scratch_size, Finish finish) const {
  if (!obs || !action) return Status::error(StatusCode::kInvalidArgument, "policy act: null observation or action");
  if (!scratch || scratch_size < scratch_bytes_) {
    return Status::error(StatusCode::kOutOfMemory, "policy act: scratch of %zu bytes, it needs %zu (scratch_bytes)",
                         scratch ? scratch_size : 0, scratch_bytes_);
  }
  Arena arena(scratch, scratch_size);
  Scalar* normalized = nullptr;
  MlpWorkspace ws;
  USBPO_RETURN_IF_ERROR(place_scratch(actor_net_, obs_dim_, arena, &normalized, &ws));
  for (int d = 0; d < obs_dim_; ++d) {
    if (!std::isfinite(obs[d])) {
      return Status::error(StatusCode::kNonFinite, "policy act: observation[%d] is NaN or Inf", d);
    }
    normalized[d] = (obs[d] - obs_mean_[d]) * obs_inv_std_[d];
  }
  MlpOps::forward(actor_net_, actor_params_, normalized, 0, 1, ws, 0, 1);
  // Finite weights can still overflow on some observation (found by fuzzing).
  const Scalar* out = ws.output(0);
  for (int i = 0; i < 2 * act_dim_; ++i) {
    if (!std::isfinite(out[i])) {
      return Status::error(StatusCode::kNonFinite, "policy act: the actor's output overflowed (NaN or Inf)");
    }
  }
  finish(out, action);
  return Status::ok();
}

template <typename Finish>
Status Policy::run_exclusive(const Scalar* obs, Scalar* action, Finish finish) {
  USBPO_RETURN_IF_ERROR(check_intact());
  if (busy_.test_and_set(std::memory_order_acquire)) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "policy act: another call is acting on this policy right now (a second thread or an "
                         "interrupt); give each concurrent caller its own scratch (act with scratch)");
  }
  const Status status = run(obs, action, scratch_, scratch_bytes_, finish);
  busy_.clear(std::memory_order_release);
  return status;
}

// tanh of the mean, scaled to the bounds.
void Policy::mean_action(const Scalar* out, Scalar* action) const {
  for (int d = 0; d < act_dim_; ++d) action[d] = scale(d, std::tanh(out[d]));
}

// tanh of a Gaussian sample around the mean (log-std clamped), scaled to the bounds.
void Policy::sampled_action(const Scalar* out, Scalar* action, Rng& rng) const {
  for (int d = 0; d < act_dim_; ++d) {
    const Scalar log_std = std::clamp(out[act_dim_ + d], log_std_min_, log_std_max_);
    action[d] = scale(d, std::tanh(out[d] + std::exp(log_std) * rng.normal()));
  }
}

// low + (tanh + 1) / 2 (high - low), clamped: rounding must not step outside the bounds.
Scalar Policy::scale(int d, Scalar squashed) const {
  const Scalar a = action_low_[d] + (squashed + 1.0f) * 0.5f * (action_high_[d] - action_low_[d]);
  return std::min(std::max(a, action_low_[d]), action_high_[d]);
}

Status Policy::act(const Scalar* obs, Scalar* action) {
  return run_exclusive(obs, action, [this](const Scalar* out, Scalar* a) { mean_action(out, a); });
}

Status Policy::act(const Scalar* obs, Scalar* action, void* scratch, std::size_t scratch_size) const {
  USBPO_RETURN_IF_ERROR(check_intact());
  return run(obs, action, scratch, scratch_size, [this](const Scalar* out, Scalar* a) { mean_action(out, a); });
}

Status Policy::act_stochastic(const Scalar* obs, Scalar* action, Rng& rng) {
  return run_exclusive(obs, action, [this, &rng](const Scalar* out, Scalar* a) { sampled_action(out, a, rng); });
}

Status Policy::act_stochastic(const Scalar* obs, Scalar* action, Rng& rng, void* scratch,
                              std::size_t scratch_size) const {
  USBPO_RETURN_IF_ERROR(check_intact());
  return run(obs, action, scratch, scratch_size,
             [this, &rng](const Scalar* out, Scalar* a) { sampled_action(out, a, rng); });
}

}  // namespace usbpo
