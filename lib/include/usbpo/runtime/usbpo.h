/* usbpo C ABI: run a trained policy from C firmware or a C controller.
 *
 * Plain C99. The policy lives in memory the caller gives (a static array is
 * fine): no heap, no file system, no exceptions, no printing. Typical use:
 *
 *   size_t need;
 *   if (usbpo_policy_bytes_needed(blob, blob_size, &need) != USBPO_OK) ...
 *   static unsigned char memory[16384];          // at least `need` bytes
 *   usbpo_policy* policy;
 *   if (usbpo_policy_load(blob, blob_size, memory, sizeof memory, &policy, NULL, 0) != USBPO_OK) ...
 *   usbpo_policy_act(policy, observation, action);  // every control tick
 *
 * The blob is a policy file written by `usbpo train` or `usbpo export`; it is
 * verified (its checksum first, then identifier, version, FlatBuffers verifier,
 * dimensions, finite weights) and copied, so it may be freed after loading.
 *
 * Threads and memory (the same rules as usbpo::Policy, usbpo/policy.hpp):
 * - Everything lives in the caller's `memory`: the policy object, its weights,
 *   normaliser and bounds, and one scratch block for usbpo_policy_act. No heap,
 *   at load or after.
 * - usbpo_policy_act uses that scratch block: one caller at a time per policy.
 *   A call that overlaps another on the same policy (a second thread, an
 *   interrupt handler) returns USBPO_ERR_FAILED_PRECONDITION and leaves its
 *   action untouched; it never returns USBPO_OK with a wrong action.
 * - usbpo_policy_act_with_scratch only reads the policy: any number of threads
 *   (or an interrupt handler and the main loop) may act on one policy at once,
 *   each with its own scratch of usbpo_policy_scratch_bytes bytes (any alignment).
 * - usbpo_policy_load must not overlap an act on the same memory.
 * - The policy object carries a check value over the fields act relies on:
 *   if the caller's memory was overwritten, act returns
 *   USBPO_ERR_FAILED_PRECONDITION instead of following garbage pointers.
 */
#ifndef USBPO_USBPO_H_
#define USBPO_USBPO_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes; usbpo_strerror names them. */
typedef enum usbpo_status {
  USBPO_OK = 0,
  USBPO_ERR_INVALID_ARGUMENT = 1,    /* a null pointer or a value out of range */
  USBPO_ERR_DIMENSION_MISMATCH = 2,  /* sizes do not match the policy */
  USBPO_ERR_NON_FINITE = 3,          /* NaN or Inf in an observation or in the file */
  USBPO_ERR_OUT_OF_MEMORY = 4,       /* the caller's memory is smaller than bytes_needed */
  USBPO_ERR_IO = 5,                  /* (not produced by these functions; kept for the core's codes) */
  USBPO_ERR_CORRUPT_DATA = 6,        /* not a usbpo policy, wrong version, checksum mismatch, truncated */
  USBPO_ERR_NOT_FOUND = 7,
  USBPO_ERR_FAILED_PRECONDITION = 8  /* act on a policy that did not load, was overwritten, or is busy */
} usbpo_status;

/* A loaded policy; it lives inside the caller's memory block. */
typedef struct usbpo_policy usbpo_policy;

/* A short fixed name of a code ("ok", "corrupt data", ...); never NULL. */
const char* usbpo_strerror(usbpo_status status);

/* Verifies `blob` and sets *bytes to the memory usbpo_policy_load needs. */
usbpo_status usbpo_policy_bytes_needed(const void* blob, size_t blob_size, size_t* bytes);

/* Verifies `blob` and loads it into `memory` (any alignment; at least
 * usbpo_policy_bytes_needed bytes). On success *policy points into `memory`.
 * If `detail` is not NULL it receives a readable reason on failure
 * (truncated to detail_size - 1 characters). */
usbpo_status usbpo_policy_load(const void* blob, size_t blob_size, void* memory, size_t memory_size,
                               usbpo_policy** policy, char* detail, size_t detail_size);

/* Deterministic action: obs[obs_dim] -> action[act_dim] within the action
 * bounds. Rejects non-finite observations, and outputs that overflow
 * (USBPO_ERR_NON_FINITE; action left untouched). One caller at a time per
 * policy: an overlapping call gets USBPO_ERR_FAILED_PRECONDITION. */
usbpo_status usbpo_policy_act(usbpo_policy* policy, const float* obs, float* action);

/* Bytes of scratch usbpo_policy_act_with_scratch needs (0 for NULL or a policy
 * that is not loaded). */
size_t usbpo_policy_scratch_bytes(const usbpo_policy* policy);

/* usbpo_policy_act, reentrant: `scratch` (any alignment, at least
 * usbpo_policy_scratch_bytes bytes; USBPO_ERR_OUT_OF_MEMORY if smaller) is the
 * caller's, the policy is only read. Give each thread its own scratch. */
usbpo_status usbpo_policy_act_with_scratch(const usbpo_policy* policy, const float* obs, float* action, void* scratch,
                                           size_t scratch_size);

/* Dimensions and metadata of a loaded policy (0 or "" for NULL or an overwritten policy). */
int usbpo_policy_obs_dim(const usbpo_policy* policy);
int usbpo_policy_act_dim(const usbpo_policy* policy);
const char* usbpo_policy_env_name(const usbpo_policy* policy);   /* task it was trained on */
const char* usbpo_policy_algorithm(const usbpo_policy* policy);  /* sac, mbpo, usbpo, ... */
int64_t usbpo_policy_env_steps(const usbpo_policy* policy);      /* env steps of training */
/* Copies the action bounds into low[act_dim] and high[act_dim]. */
usbpo_status usbpo_policy_action_bounds(const usbpo_policy* policy, float* low, float* high);

#ifdef __cplusplus
}
#endif

#endif /* USBPO_USBPO_H_ */
