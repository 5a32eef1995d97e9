// Reference side of the ONNX tests: writes policy files of a chosen shape and
// prints what usbpo::Policy::act computes for given observations.
//
// usage: policy_reference write POLICY OBS ACT LAYERS WIDTH relu|swish|identity NORMALISER(0|1) unit|mixed SEED
//          a fresh SAC-initialised actor (Glorot uniform, with random biases)
//          with a random normaliser (or the identity) and action bounds +-1
//          (unit) or differing per dimension (mixed)
//        policy_reference act POLICY OBSERVATIONS ACTIONS
//          OBSERVATIONS: float32 (rows x obs_dim, native byte order); ACTIONS
//          gets Policy::act's float32 (rows x act_dim); prints the policy's
//          task, algorithm, env steps and dims as "key value" lines
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "usbpo/io/file_io.hpp"
#include "usbpo/nn/ensemble_mlp.hpp"
#include "usbpo/runtime/policy.hpp"
#include "usbpo/train/policy_file.hpp"

namespace {

int fail(const char* what, const usbpo::Status& s) {
  std::fprintf(stderr, "policy_reference: %s: %s\n", what, s.message());
  return 1;
}

bool parse_activation(const char* name, usbpo::Activation* out) {
  if (!std::strcmp(name, "relu")) return *out = usbpo::Activation::kRelu, true;
  if (!std::strcmp(name, "swish")) return *out = usbpo::Activation::kSwish, true;
  if (!std::strcmp(name, "identity")) return *out = usbpo::Activation::kIdentity, true;
  return false;
}

int write_policy(char** argv) {
  const int obs_dim = std::atoi(argv[3]), act_dim = std::atoi(argv[4]);
  usbpo::MlpShape shape;
  shape.input_dim = obs_dim;
  shape.output_dim = 2 * act_dim;
  shape.hidden_layers = std::atoi(argv[5]);
  shape.hidden_width = std::atoi(argv[6]);
  const bool normaliser = std::atoi(argv[8]) != 0, mixed_bounds = !std::strcmp(argv[9], "mixed");
  if (!parse_activation(argv[7], &shape.activation)) return std::fprintf(stderr, "unknown activation %s\n", argv[7]), 2;
  usbpo::EnsembleMlp net;
  usbpo::Status s = net.configure(shape);
  if (!s.is_ok()) return fail("shape", s);
  usbpo::Rng rng(std::strtoull(argv[10], nullptr, 10));
  std::vector<float> params(net.total_params());
  net.init_params(params.data(), usbpo::MlpInit::kGlorotUniform, rng);
  for (int l = 0; l < net.num_layers(); ++l) {  // non-zero biases, so that they are tested too
    for (int o = 0; o < net.layer_out(l); ++o) params[net.bias_offset(l) + o] = rng.uniform(-0.5f, 0.5f);
  }
  std::vector<float> mean(obs_dim), std_dev(obs_dim), low(act_dim), high(act_dim);
  for (int d = 0; d < obs_dim; ++d) {
    mean[d] = rng.uniform(-2, 2);
    std_dev[d] = rng.uniform(0.1f, 3);
  }
  for (int d = 0; d < act_dim; ++d) {
    low[d] = mixed_bounds ? rng.uniform(-3, -0.2f) : -1.0f;
    high[d] = mixed_bounds ? rng.uniform(-0.1f, 4) : 1.0f;
  }
  usbpo::PolicyDescription p;
  p.env_name = "onnx_fixture";
  p.algorithm = "sac";
  p.env_steps = 12345;
  p.obs_dim = obs_dim;
  p.act_dim = act_dim;
  p.actor = &net;
  p.actor_params = params.data();
  p.obs_mean = normaliser ? mean.data() : nullptr;
  p.obs_std = normaliser ? std_dev.data() : nullptr;
  p.action_low = low.data();
  p.action_high = high.data();
  s = usbpo::save_policy_file(argv[2], p);
  return s.is_ok() ? 0 : fail("write", s);
}

int act(char** argv) {
  std::vector<unsigned char> blob, observations;
  usbpo::Status s = usbpo::read_file(argv[2], &blob);
  if (s.is_ok()) s = usbpo::read_file(argv[3], &observations);
  std::size_t need = 0;
  if (s.is_ok()) s = usbpo::Policy::bytes_needed(blob.data(), blob.size(), &need);
  std::vector<unsigned char> memory(need);
  usbpo::Arena arena(memory.data(), memory.size());
  usbpo::Policy policy;
  if (s.is_ok()) s = policy.load(blob.data(), blob.size(), arena);
  if (!s.is_ok()) return fail("load", s);
  const std::size_t row_bytes = sizeof(float) * static_cast<std::size_t>(policy.obs_dim());
  if (observations.size() % row_bytes != 0) {
    return std::fprintf(stderr, "policy_reference: %s is not whole rows of %d floats\n", argv[3], policy.obs_dim()), 1;
  }
  const std::size_t rows = observations.size() / row_bytes;
  std::vector<float> obs(static_cast<std::size_t>(policy.obs_dim())), actions(rows * policy.act_dim());
  for (std::size_t r = 0; r < rows; ++r) {
    std::memcpy(obs.data(), observations.data() + r * row_bytes, row_bytes);
    s = policy.act(obs.data(), actions.data() + r * policy.act_dim());
    if (!s.is_ok()) return fail("act", s);
  }
  s = usbpo::write_file_atomically(argv[4], actions.data(), actions.size() * sizeof(float));
  if (!s.is_ok()) return fail("write actions", s);
  std::printf("task %s\nalgorithm %s\nenv_steps %lld\nobs_dim %d\nact_dim %d\nrows %zu\n", policy.env_name(),
              policy.algorithm(), static_cast<long long>(policy.env_steps()), policy.obs_dim(), policy.act_dim(), rows);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 11 && !std::strcmp(argv[1], "write")) return write_policy(argv);
  if (argc == 5 && !std::strcmp(argv[1], "act")) return act(argv);
  std::fprintf(stderr,
               "usage: policy_reference write POLICY OBS ACT LAYERS WIDTH relu|swish|identity NORMALISER unit|mixed "
               "SEED\n"
               "       policy_reference act POLICY OBSERVATIONS ACTIONS\n");
  return 2;
}
