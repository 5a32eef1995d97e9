#include "usbpo/train/policy_file.hpp"

#include "usbpo/base/file_checksum.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/runtime/policy.hpp"
#include "usbpo/schema/policy_generated.h"
#include "usbpo/train/trainer.hpp"

namespace usbpo {

PolicyDescription describe_policy(Trainer& trainer) {
  Env& env = trainer.env();
  PolicyDescription policy;
  policy.env_name = env.name();
  policy.algorithm = algorithm_name(trainer.config().algorithm);
  policy.env_steps = trainer.progress().env_steps;
  policy.obs_dim = env.obs_dim();
  policy.act_dim = env.act_dim();
  trainer.sac().pull_state();  // the actor from the host mirror
  policy.actor = &trainer.sac().actor_network();
  policy.actor_params = trainer.sac().actor_params();
  policy.action_low = env.action_low();
  policy.action_high = env.action_high();
  policy.log_std_min = trainer.config().sac.log_std_min;
  policy.log_std_max = trainer.config().sac.log_std_max;
  return policy;
}

Status serialize_policy(const PolicyDescription& p, std::vector<unsigned char>* bytes) {
  if (!p.actor || !p.actor_params || !p.action_low || !p.action_high || p.obs_dim < 1 || p.act_dim < 1) {
    return Status::error(StatusCode::kInvalidArgument, "policy description is incomplete");
  }
  const MlpShape& shape = p.actor->shape();
  if (shape.members != 1 || shape.input_dim != p.obs_dim || shape.output_dim != 2 * p.act_dim) {
    return Status::error(StatusCode::kDimensionMismatch,
                         "actor shape (%d members, %d in, %d out) does not fit obs_dim %d, act_dim %d",
                         shape.members, shape.input_dim, shape.output_dim, p.obs_dim, p.act_dim);
  }
  flatbuffers::FlatBufferBuilder builder(1024 + p.actor->total_params() * sizeof(Scalar));
  const auto params = builder.CreateVector(p.actor_params, p.actor->total_params());
  const auto actor = fb::CreateMlp(builder, shape.members, shape.input_dim, shape.output_dim, shape.hidden_layers,
                                   shape.hidden_width, static_cast<std::uint8_t>(shape.activation), params);
  std::vector<Scalar> mean(p.obs_dim, 0.0f), std(p.obs_dim, 1.0f);
  if (p.obs_mean && p.obs_std) {
    mean.assign(p.obs_mean, p.obs_mean + p.obs_dim);
    std.assign(p.obs_std, p.obs_std + p.obs_dim);
  }
  // Children in a fixed order (argument evaluation order differs between
  // compilers and targets), so a policy's bytes are the same everywhere.
  const auto env_name = builder.CreateString(p.env_name);
  const auto algorithm = builder.CreateString(p.algorithm);
  const auto obs_mean = builder.CreateVector(mean);
  const auto obs_std = builder.CreateVector(std);
  const auto action_low = builder.CreateVector(p.action_low, p.act_dim);
  const auto action_high = builder.CreateVector(p.action_high, p.act_dim);
  const auto policy = fb::CreatePolicy(builder, Policy::kFormatVersion, env_name, algorithm, p.env_steps, p.obs_dim,
                                       p.act_dim, obs_mean, obs_std, action_low, action_high, actor, p.log_std_min,
                                       p.log_std_max);
  fb::FinishPolicyBuffer(builder, policy);
  bytes->assign(builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize());
  append_file_trailer(bytes);
  return Status::ok();
}

Status save_policy_file(const char* path, const PolicyDescription& policy) {
  std::vector<unsigned char> bytes;
  USBPO_RETURN_IF_ERROR(serialize_policy(policy, &bytes));
  return write_file_atomically(path, bytes.data(), bytes.size());
}

}  // namespace usbpo
