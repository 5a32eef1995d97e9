// `usbpo eval`: run a policy file for N deterministic episodes.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "commands.hpp"
#include "env_factory.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/runtime/policy.hpp"

namespace usbpo::cli {

int eval_command(int argc, char** argv) {
  Arguments args;
  std::string error;
  if (!args.parse(argc, argv, 2, {"help"}, &error)) {
    std::fprintf(stderr, "usbpo eval: %s\n", error.c_str());
    return 2;
  }
  if (args.has("help")) {
    std::fprintf(stderr, "usage: usbpo eval --policy FILE [--env NAME] [--mjcf FILE] [--episodes N] [--seed S]\n"
                         "  --env defaults to the env the policy was trained on\n");
    return 0;
  }
  const std::string policy_path = args.get("policy", "");
  std::string env_name = args.get("env", "");
  const std::string mjcf_path = args.get("mjcf", "");
  const std::int64_t episodes = args.get_int("episodes", 10, 1, INT32_MAX);
  const std::uint64_t seed = args.get_uint64("seed", 1000);
  if (!args.error().empty() || !args.check_all_used(&error) || policy_path.empty()) {
    std::fprintf(stderr, "usbpo eval: %s\n",
                 !args.error().empty() ? args.error().c_str()
                 : !error.empty()      ? error.c_str()
                                       : "--policy FILE is required");
    return 2;
  }
  std::vector<unsigned char> blob;
  Status status = read_file(policy_path.c_str(), &blob);
  std::size_t bytes = 0;
  if (status.is_ok()) status = Policy::bytes_needed(blob.data(), blob.size(), &bytes);
  std::vector<unsigned char> memory(bytes);
  Arena arena(memory.data(), memory.size());
  Policy policy;
  if (status.is_ok()) status = policy.load(blob.data(), blob.size(), arena);
  if (!status.is_ok()) {
    std::fprintf(stderr, "usbpo eval: %s: %s\n", policy_path.c_str(), status.message());
    return 1;
  }
  if (env_name.empty()) env_name = policy.env_name();
  std::unique_ptr<Env> env;
  status = make_env(env_name, &env, mjcf_path);
  if (!status.is_ok()) {
    std::fprintf(stderr, "usbpo eval: %s\n", status.message());
    return 2;
  }
  if (env->obs_dim() != policy.obs_dim() || env->act_dim() != policy.act_dim()) {
    std::fprintf(stderr, "usbpo eval: policy (%d obs, %d act, trained on %s) does not fit env %s (%d obs, %d act)\n",
                 policy.obs_dim(), policy.act_dim(), policy.env_name(), env_name.c_str(), env->obs_dim(),
                 env->act_dim());
    return 2;
  }
  std::vector<Scalar> obs(env->obs_dim()), action(env->act_dim());
  double sum = 0, sum_sq = 0;
  for (std::int64_t e = 0; e < episodes; ++e) {
    status = env->reset(seed + static_cast<std::uint64_t>(e), obs.data());
    double episode = 0;
    int length = 0;
    for (; status.is_ok() && length < env->max_episode_steps(); ++length) {
      status = policy.act(obs.data(), action.data());
      StepResult result;
      if (status.is_ok()) status = env->step(action.data(), obs.data(), &result);
      episode += result.reward;
      if (result.terminated || result.truncated) {
        ++length;
        break;
      }
    }
    if (!status.is_ok()) {
      std::fprintf(stderr, "usbpo eval: %s\n", status.message());
      return 1;
    }
    std::printf("episode %lld: return %.2f, length %d\n", static_cast<long long>(e), episode, length);
    sum += episode;
    sum_sq += episode * episode;
  }
  const double mean = sum / episodes;
  const double std = std::sqrt(std::max(0.0, sum_sq / episodes - mean * mean));
  std::printf("%s on %s: mean return %.2f +- %.2f over %lld episodes (%s, %lld training steps)\n",
              policy_path.c_str(), env_name.c_str(), mean, std, static_cast<long long>(episodes),
              policy.algorithm(), static_cast<long long>(policy.env_steps()));
  return 0;
}

}  // namespace usbpo::cli
