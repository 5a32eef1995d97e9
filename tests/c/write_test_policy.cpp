// Fixture for the C ABI test: writes a small policy file (a freshly
// initialised SAC actor, Hopper-like shape) and a text file of observations
// with the actions the C++ runtime (usbpo::Policy) computes for them.
// usage: write_test_policy POLICY_FILE EXPECTED_FILE
#include <cstdio>
#include <vector>

#include "usbpo/agent/sac.hpp"
#include "usbpo/runtime/policy.hpp"
#include "usbpo/train/policy_file.hpp"

int main(int argc, char** argv) {
  if (argc != 3) return std::fprintf(stderr, "usage: write_test_policy POLICY_FILE EXPECTED_FILE\n"), 2;
  constexpr int kObs = 11, kAct = 3;
  usbpo::SacConfig c;
  c.obs_dim = kObs;
  c.act_dim = kAct;
  c.hidden_width = 32;
  c.batch = 4;
  std::vector<unsigned char> memory(usbpo::Sac::bytes_needed(c));
  usbpo::Arena arena(memory.data(), memory.size());
  usbpo::Sac sac;
  usbpo::Rng rng(11);
  usbpo::Status status = sac.init(c, arena, rng);
  float mean[kObs], std[kObs], low[kAct] = {-1, -0.5f, -2}, high[kAct] = {1, 0.5f, 2};
  for (int d = 0; d < kObs; ++d) {
    mean[d] = 0.1f * static_cast<float>(d);
    std[d] = 0.5f + 0.1f * static_cast<float>(d);
  }
  usbpo::PolicyDescription p;
  p.env_name = "hopper";
  p.algorithm = "usbpo";
  p.env_steps = 4242;
  p.obs_dim = kObs;
  p.act_dim = kAct;
  p.actor = &sac.actor_network();
  p.actor_params = sac.actor_params();
  p.obs_mean = mean;
  p.obs_std = std;
  p.action_low = low;
  p.action_high = high;
  if (status.is_ok()) status = usbpo::save_policy_file(argv[1], p);
  std::vector<unsigned char> blob;
  if (status.is_ok()) status = usbpo::serialize_policy(p, &blob);
  std::size_t bytes = 0;
  if (status.is_ok()) status = usbpo::Policy::bytes_needed(blob.data(), blob.size(), &bytes);
  std::vector<unsigned char> policy_memory(bytes);
  usbpo::Arena policy_arena(policy_memory.data(), policy_memory.size());
  usbpo::Policy policy;
  if (status.is_ok()) status = policy.load(blob.data(), blob.size(), policy_arena);
  if (!status.is_ok()) return std::fprintf(stderr, "write_test_policy: %s\n", status.message()), 1;
  std::FILE* out = std::fopen(argv[2], "w");
  if (!out) return std::fprintf(stderr, "write_test_policy: cannot write %s\n", argv[2]), 1;
  std::fprintf(out, "%d %d %d\n", 50, kObs, kAct);
  for (int row = 0; row < 50; ++row) {
    float obs[kObs], action[kAct];
    for (float& o : obs) o = rng.uniform(-3, 3);
    if (!policy.act(obs, action).is_ok()) return 1;
    for (float o : obs) std::fprintf(out, "%a ", static_cast<double>(o));
    for (float a : action) std::fprintf(out, "%a ", static_cast<double>(a));
    std::fprintf(out, "\n");
  }
  return std::fclose(out) == 0 ? 0 : 1;
}
