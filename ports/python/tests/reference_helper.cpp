// The C++ side of the Python port's bit-for-bit tests: acts with the C++
// runtime (usbpo::Policy) and steps the C++ envs on inputs the tests write,
// and writes what it got as raw float32, for the tests to compare with what
// the Python module returns.
//
//   usbpo_python_reference policy POLICY_FILE OBS_FILE OUT_FILE
//       one action per observation (rows of obs_dim float32) -> act_dim float32 each
//   usbpo_python_reference env TASK SEED ACTIONS_FILE OUT_FILE
//       reset(SEED), then one step per action (rows of act_dim float32); an
//       episode's end resets with SEED + episodes so far. Writes obs after each
//       reset, and obs, reward, terminated, truncated (as 0/1) after each step.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "env_factory.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/runtime/policy.hpp"

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "usbpo_python_reference: %s\n", message.c_str());
  return 1;
}

std::vector<float> read_floats(const char* path) {
  std::vector<unsigned char> bytes;
  std::vector<float> values;
  if (!usbpo::read_file(path, &bytes).is_ok()) return values;
  values.resize(bytes.size() / sizeof(float));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

int write_floats(const char* path, const std::vector<float>& values) {
  const usbpo::Status s = usbpo::write_file_atomically(path, values.data(), values.size() * sizeof(float));
  return s.is_ok() ? 0 : fail(s.message());
}

int act(const char* policy_path, const char* obs_path, const char* out_path) {
  std::vector<unsigned char> blob;
  usbpo::Status s = usbpo::read_file(policy_path, &blob);
  std::size_t bytes = 0;
  if (s.is_ok()) s = usbpo::Policy::bytes_needed(blob.data(), blob.size(), &bytes);
  if (!s.is_ok()) return fail(s.message());
  std::vector<unsigned char> memory(bytes + usbpo::Arena::kAlignment);
  usbpo::Arena arena(memory.data(), memory.size());
  auto policy = std::make_unique<usbpo::Policy>();
  s = policy->load(blob.data(), blob.size(), arena);
  if (!s.is_ok()) return fail(s.message());
  const std::vector<float> obs = read_floats(obs_path);
  const std::size_t rows = obs.size() / static_cast<std::size_t>(policy->obs_dim());
  std::vector<float> actions(rows * static_cast<std::size_t>(policy->act_dim()));
  for (std::size_t i = 0; i < rows; ++i) {
    s = policy->act(obs.data() + i * policy->obs_dim(), actions.data() + i * policy->act_dim());
    if (!s.is_ok()) return fail(s.message());
  }
  return write_floats(out_path, actions);
}

int step(const char* task, const char* seed_text, const char* actions_path, const char* out_path) {
  std::unique_ptr<usbpo::Env> env;
  usbpo::Status s = usbpo::cli::make_env(task, &env);
  if (!s.is_ok()) return fail(s.message());
  const std::uint64_t seed = std::strtoull(seed_text, nullptr, 10);
  const std::vector<float> actions = read_floats(actions_path);
  const int obs_dim = env->obs_dim(), act_dim = env->act_dim();
  std::vector<float> obs(static_cast<std::size_t>(obs_dim)), out;
  std::uint64_t episodes = 0;
  s = env->reset(seed, obs.data());
  out.insert(out.end(), obs.begin(), obs.end());
  for (std::size_t i = 0; s.is_ok() && (i + 1) * act_dim <= actions.size(); ++i) {
    usbpo::StepResult result;
    s = env->step(actions.data() + i * act_dim, obs.data(), &result);
    if (!s.is_ok()) break;
    out.insert(out.end(), obs.begin(), obs.end());
    out.insert(out.end(), {result.reward, result.terminated ? 1.0f : 0.0f, result.truncated ? 1.0f : 0.0f});
    if (result.terminated || result.truncated) {
      s = env->reset(seed + ++episodes, obs.data());
      out.insert(out.end(), obs.begin(), obs.end());
    }
  }
  if (!s.is_ok()) return fail(s.message());
  return write_floats(out_path, out);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "policy" && argc == 5) return act(argv[2], argv[3], argv[4]);
  if (mode == "env" && argc == 6) return step(argv[2], argv[3], argv[4], argv[5]);
  return fail("usage: policy POLICY_FILE OBS_FILE OUT_FILE | env TASK SEED ACTIONS_FILE OUT_FILE");
}
