// libFuzzer target: any byte string given to the policy loader is either
// rejected with an error or yields a policy whose act stays finite and within
// its bounds; never a crash or an out-of-bounds read (built with ASan + UBSan).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "usbpo/policy.hpp"
#include "usbpo/usbpo.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An exact-size copy, so ASan sees any read past the end of the blob.
  std::vector<std::uint8_t> blob(data, data + size);
  std::size_t bytes = 0;
  if (!usbpo::Policy::bytes_needed(blob.data(), blob.size(), &bytes).is_ok()) return 0;
  std::vector<unsigned char> memory(bytes);
  usbpo::Arena arena(memory.data(), memory.size());
  usbpo::Policy policy;
  if (!policy.load(blob.data(), blob.size(), arena).is_ok()) return 0;
  std::vector<float> obs(static_cast<std::size_t>(policy.obs_dim()), 0.5f);
  std::vector<float> action(static_cast<std::size_t>(policy.act_dim()));
  if (policy.act(obs.data(), action.data()).is_ok()) {
    for (int d = 0; d < policy.act_dim(); ++d) {
      const float a = action[static_cast<std::size_t>(d)];
      if (!(a >= policy.action_low()[d] && a <= policy.action_high()[d])) std::abort();  // a finding
    }
  }
  // The C ABI on the same bytes, into unaligned caller memory.
  std::size_t need = 0;
  if (usbpo_policy_bytes_needed(blob.data(), blob.size(), &need) != USBPO_OK) std::abort();  // it verified above
  std::vector<unsigned char> c_memory(need + 1);
  usbpo_policy* c_policy = nullptr;
  if (usbpo_policy_load(blob.data(), blob.size(), c_memory.data() + 1, need, &c_policy, nullptr, 0) == USBPO_OK) {
    (void)usbpo_policy_act(c_policy, obs.data(), action.data());
  }
  return 0;
}
