/* Bare-metal controller image: a policy embedded in flash, loaded into a static
 * buffer through the C ABI, acting on observations. It checks its actions
 * against the host's (when a check table was embedded), that act refuses a
 * policy whose memory was overwritten, that blobs with a flipped bit or
 * truncated are refused, and that nothing asked for heap memory; it reports
 * over semihosting and exits 0 only if every check held. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "check_table.h"
#include "semihosting.h"
#include "usbpo/runtime/usbpo.h"

extern const unsigned char usbpo_policy_blob[];
extern const size_t usbpo_policy_blob_size;

/* The policy's memory: sized for this image's policy, checked at start-up. */
#ifndef POLICY_MEMORY_BYTES
#define POLICY_MEMORY_BYTES (16 * 1024)
#endif
static unsigned char policy_memory[POLICY_MEMORY_BYTES] __attribute__((aligned(16)));

/* No heap. The image links malloc and free as these (-Wl,--wrap=malloc,--wrap=free),
 * and newlib's own allocator finds no memory behind sbrk: every request is
 * counted and refused. */
static volatile unsigned heap_requests;
void* __wrap_malloc(size_t bytes) {
  (void)bytes;
  ++heap_requests;
  return NULL;
}
void __wrap_free(void* memory) {
  if (memory) ++heap_requests;
}
void* _sbrk(ptrdiff_t increment) {
  (void)increment;
  ++heap_requests;
  return (void*)-1;
}

static void write_number(const char* label, long value) {
  char text[48];
  char digits[24];
  int n = 0, i = 0;
  unsigned long magnitude = value < 0 ? (unsigned long)(-value) : (unsigned long)value;
  do {
    digits[n++] = (char)('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude > 0 && n < (int)sizeof digits);
  while (*label && i < 30) text[i++] = *label++;
  if (value < 0) text[i++] = '-';
  while (n > 0) text[i++] = digits[--n];
  text[i++] = '\n';
  text[i] = '\0';
  semihost_write(text);
}

static int fail(const char* what, usbpo_status status) {
  semihost_write("bare_metal: FAILED: ");
  semihost_write(what);
  semihost_write(": ");
  semihost_write(usbpo_strerror(status));
  semihost_write("\n");
  return 1;
}

int main(void) {
  size_t need = 0;
  usbpo_status status = usbpo_policy_bytes_needed(usbpo_policy_blob, usbpo_policy_blob_size, &need);
  if (status != USBPO_OK) return fail("policy blob", status);
  if (need > sizeof policy_memory) return fail("POLICY_MEMORY_BYTES is smaller than the policy needs", USBPO_ERR_OUT_OF_MEMORY);
  usbpo_policy* policy = NULL;
  status = usbpo_policy_load(usbpo_policy_blob, usbpo_policy_blob_size, policy_memory, sizeof policy_memory, &policy,
                             NULL, 0);
  if (status != USBPO_OK) return fail("load", status);
  const int obs_dim = usbpo_policy_obs_dim(policy), act_dim = usbpo_policy_act_dim(policy);
  write_number("policy bytes: ", (long)usbpo_policy_blob_size);
  write_number("policy memory: ", (long)need);
  write_number("obs_dim: ", obs_dim);
  write_number("act_dim: ", act_dim);
  if (obs_dim > 64 || act_dim > 16) return fail("policy larger than this example's buffers", USBPO_ERR_DIMENSION_MISMATCH);

  float obs[64], action[16], low[16], high[16];
  usbpo_policy_action_bounds(policy, low, high);
  int mismatches = 0;
#if CHECK_ROWS > 0
  /* The host runtime's actions for the same observations: equal up to float
   * rounding (another libm and FPU; 1e-5 relative). */
  if (CHECK_OBS_DIM != obs_dim || CHECK_ACT_DIM != act_dim) return fail("check table dims", USBPO_ERR_DIMENSION_MISMATCH);
  for (int row = 0; row < CHECK_ROWS; ++row) {
    const float* r = check_table + row * (CHECK_OBS_DIM + CHECK_ACT_DIM);
    status = usbpo_policy_act(policy, r, action);
    if (status != USBPO_OK) return fail("act", status);
    for (int d = 0; d < act_dim; ++d) {
      const float want = r[CHECK_OBS_DIM + d];
      if (!(fabsf(action[d] - want) <= 1e-5f * (1.0f + fabsf(want)))) ++mismatches;
    }
  }
  write_number("host-checked actions: ", CHECK_ROWS * act_dim);
  write_number("mismatches: ", mismatches);
#endif

  /* A control loop's worth of ticks on a synthetic observation stream. */
  int out_of_bounds = 0;
  for (int tick = 0; tick < 1000; ++tick) {
    for (int d = 0; d < obs_dim; ++d) obs[d] = sinf(0.01f * (float)tick + 0.7f * (float)d);
    status = usbpo_policy_act(policy, obs, action);
    if (status != USBPO_OK) return fail("act", status);
    for (int d = 0; d < act_dim; ++d) out_of_bounds += !(action[d] >= low[d] && action[d] <= high[d]);
  }
  write_number("ticks: ", 1000);
  write_number("actions out of bounds: ", out_of_bounds);

  /* The policy's memory overwritten (here by a copy of the blob, for the next
   * check): act refuses instead of following garbage. */
  int flips = 0, flips_refused = 0, overwritten_refused = 1;
  if (usbpo_policy_blob_size <= sizeof policy_memory) {
    memcpy(policy_memory, usbpo_policy_blob, usbpo_policy_blob_size);
    overwritten_refused = usbpo_policy_act(policy, obs, action) == USBPO_ERR_FAILED_PRECONDITION;
    /* Flipped bits (a worn flash cell, a bad copy) are refused by the checksum:
     * one bit in each of 97 places spread over the blob. */
    for (size_t k = 0; k < 97; ++k) {
      const size_t at = k * usbpo_policy_blob_size / 97;
      const unsigned char mask = (unsigned char)(1u << (k % 8));
      size_t flipped_need = 0;
      policy_memory[at] ^= mask;
      flips_refused += usbpo_policy_bytes_needed(policy_memory, usbpo_policy_blob_size, &flipped_need) ==
                       USBPO_ERR_CORRUPT_DATA;
      policy_memory[at] ^= mask;
      ++flips;
    }
    write_number("overwritten policy refused: ", overwritten_refused);
    write_number("flipped bits refused: ", flips_refused);
    write_number("flipped bits tried: ", flips);
  } else {
    /* Not skipped silently: the image fails when it cannot run these checks. */
    semihost_write("policy blob larger than policy_memory: overwrite and flip checks not run\n");
  }

  /* A truncated blob (a half-written flash page) is refused. */
  usbpo_policy* torn = NULL;
  status = usbpo_policy_load(usbpo_policy_blob, usbpo_policy_blob_size / 2, policy_memory, sizeof policy_memory,
                             &torn, NULL, 0);
  write_number("truncated blob refused: ", status == USBPO_ERR_CORRUPT_DATA);
  write_number("heap requests: ", (long)heap_requests);

  const int ok = mismatches == 0 && out_of_bounds == 0 && overwritten_refused && flips == 97 && flips_refused == flips &&
                 status == USBPO_ERR_CORRUPT_DATA && heap_requests == 0;
  semihost_write(ok ? "bare_metal: OK\n" : "bare_metal: FAILED\n");
  return ok ? 0 : 1;
}
