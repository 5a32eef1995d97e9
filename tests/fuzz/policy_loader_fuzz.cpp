// libFuzzer target: any byte string given to the policy loader is either
// rejected with an error or yields a policy whose act stays finite and within
// its bounds, the same with the caller's scratch; never a crash or an
// out-of-bounds read (built with ASan + UBSan). The input is read as it is and
// with a valid checksum appended (fuzz_support.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_support.hpp"
#include "usbpo/runtime/policy.hpp"
#include "usbpo/runtime/usbpo.h"

namespace {

void load_and_act(const std::vector<std::uint8_t>& blob) {
  std::size_t bytes = 0;
  if (!usbpo::Policy::bytes_needed(blob.data(), blob.size(), &bytes).is_ok()) return;
  std::vector<unsigned char> memory(bytes);
  usbpo::Arena arena(memory.data(), memory.size());
  usbpo::Policy policy;
  if (!policy.load(blob.data(), blob.size(), arena).is_ok()) return;
  std::vector<float> obs(static_cast<std::size_t>(policy.obs_dim()), 0.5f);
  std::vector<float> action(static_cast<std::size_t>(policy.act_dim()));
  std::vector<float> again(action.size());
  std::vector<unsigned char> scratch(policy.scratch_bytes());
  const bool acted = policy.act(obs.data(), action.data()).is_ok();
  if (acted != policy.act(obs.data(), again.data(), scratch.data(), scratch.size()).is_ok()) std::abort();
  if (acted) {
    for (int d = 0; d < policy.act_dim(); ++d) {
      const float a = action[static_cast<std::size_t>(d)];
      if (!(a >= policy.action_low()[d] && a <= policy.action_high()[d])) std::abort();  // a finding
    }
    if (std::memcmp(action.data(), again.data(), action.size() * sizeof(float)) != 0) std::abort();
  }
  // The C ABI on the same bytes, into unaligned caller memory.
  std::size_t need = 0;
  if (usbpo_policy_bytes_needed(blob.data(), blob.size(), &need) != USBPO_OK) std::abort();  // it verified above
  std::vector<unsigned char> c_memory(need + 1);
  usbpo_policy* c_policy = nullptr;
  if (usbpo_policy_load(blob.data(), blob.size(), c_memory.data() + 1, need, &c_policy, nullptr, 0) == USBPO_OK) {
    (void)usbpo_policy_act(c_policy, obs.data(), action.data());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Exact-size copies, so ASan sees any read past the end of the blob.
  load_and_act(std::vector<std::uint8_t>(data, data + size));
  load_and_act(usbpo_fuzz::sealed(data, size));
  return 0;
}
