// The C ABI (usbpo/usbpo.h) over usbpo::Policy: the Policy object and its
// arrays are placed in the caller's block through one Arena.
#include <cstring>
#include <new>

#include "usbpo/runtime/policy.hpp"
#include "usbpo/runtime/usbpo.h"

struct usbpo_policy {
  usbpo::Policy policy;
};

namespace {

usbpo_status to_c(usbpo::StatusCode code) { return static_cast<usbpo_status>(static_cast<int>(code)); }

usbpo_status fail(const usbpo::Status& status, char* detail, std::size_t detail_size) {
  if (detail && detail_size > 0) {
    std::strncpy(detail, status.message(), detail_size - 1);
    detail[detail_size - 1] = '\0';
  }
  return to_c(status.code());
}

bool intact(const usbpo_policy* policy) { return policy && policy->policy.intact(); }

// A name held in the policy object, or "" if it lost its terminator (the object was overwritten).
const char* terminated(const char* name) {
  return std::memchr(name, '\0', usbpo::Policy::kMaxName) ? name : "";
}

// The C codes mirror usbpo::StatusCode one to one.
static_assert(USBPO_ERR_FAILED_PRECONDITION == static_cast<int>(usbpo::StatusCode::kFailedPrecondition),
              "usbpo.h codes out of step with StatusCode");
static_assert(sizeof(float) == sizeof(usbpo::Scalar), "the C ABI passes floats");

}  // namespace

extern "C" {

const char* usbpo_strerror(usbpo_status status) {
  if (status < USBPO_OK || status > USBPO_ERR_FAILED_PRECONDITION) return "unknown usbpo status";
  return usbpo::status_code_name(static_cast<usbpo::StatusCode>(status));
}

usbpo_status usbpo_policy_bytes_needed(const void* blob, size_t blob_size, size_t* bytes) {
  if (!bytes) return USBPO_ERR_INVALID_ARGUMENT;
  std::size_t arrays = 0;
  const usbpo::Status status = usbpo::Policy::bytes_needed(blob, blob_size, &arrays);
  if (!status.is_ok()) return to_c(status.code());
  *bytes = usbpo::Arena::padded(sizeof(usbpo_policy)) + arrays;
  return USBPO_OK;
}

usbpo_status usbpo_policy_load(const void* blob, size_t blob_size, void* memory, size_t memory_size,
                               usbpo_policy** policy, char* detail, size_t detail_size) {
  if (!memory || !policy) {
    return fail(usbpo::Status::error(usbpo::StatusCode::kInvalidArgument, "usbpo_policy_load: null memory or policy"),
                detail, detail_size);
  }
  *policy = nullptr;
  usbpo::Arena arena(memory, memory_size);
  static_assert(alignof(usbpo_policy) <= usbpo::Arena::kAlignment, "Policy needs more than the arena's alignment");
  void* slot = arena.allocate_bytes(sizeof(usbpo_policy));
  if (!slot) {
    return fail(usbpo::Status::error(usbpo::StatusCode::kOutOfMemory,
                                     "usbpo_policy_load: %zu bytes are too few (see usbpo_policy_bytes_needed)",
                                     memory_size),
                detail, detail_size);
  }
  auto* loaded = new (slot) usbpo_policy();
  const usbpo::Status status = loaded->policy.load(blob, blob_size, arena);
  if (!status.is_ok()) return fail(status, detail, detail_size);
  *policy = loaded;
  return USBPO_OK;
}

usbpo_status usbpo_policy_act(usbpo_policy* policy, const float* obs, float* action) {
  if (!policy || !obs || !action) return USBPO_ERR_INVALID_ARGUMENT;
  return to_c(policy->policy.act(obs, action).code());
}

size_t usbpo_policy_scratch_bytes(const usbpo_policy* policy) {
  return intact(policy) ? policy->policy.scratch_bytes() : 0;
}

usbpo_status usbpo_policy_act_with_scratch(const usbpo_policy* policy, const float* obs, float* action, void* scratch,
                                           size_t scratch_size) {
  if (!policy || !obs || !action || !scratch) return USBPO_ERR_INVALID_ARGUMENT;
  return to_c(policy->policy.act(obs, action, scratch, scratch_size).code());
}

int usbpo_policy_obs_dim(const usbpo_policy* policy) { return intact(policy) ? policy->policy.obs_dim() : 0; }
int usbpo_policy_act_dim(const usbpo_policy* policy) { return intact(policy) ? policy->policy.act_dim() : 0; }
const char* usbpo_policy_env_name(const usbpo_policy* policy) {
  return intact(policy) ? terminated(policy->policy.env_name()) : "";
}
const char* usbpo_policy_algorithm(const usbpo_policy* policy) {
  return intact(policy) ? terminated(policy->policy.algorithm()) : "";
}
int64_t usbpo_policy_env_steps(const usbpo_policy* policy) { return intact(policy) ? policy->policy.env_steps() : 0; }

usbpo_status usbpo_policy_action_bounds(const usbpo_policy* policy, float* low, float* high) {
  if (!policy || !low || !high) return USBPO_ERR_INVALID_ARGUMENT;
  if (!policy->policy.intact()) return USBPO_ERR_FAILED_PRECONDITION;
  const int n = policy->policy.act_dim();
  for (int i = 0; i < n; ++i) {
    low[i] = policy->policy.action_low()[i];
    high[i] = policy->policy.action_high()[i];
  }
  return USBPO_OK;
}

}  // extern "C"
