/* The C ABI from C: load a policy blob from memory, act (plain and with the
 * caller's scratch), metadata, and every error path a firmware author can hit:
 * truncated, flipped, foreign blobs, too little memory, overwritten memory,
 * bad observations. Built as C99.
 * usage: c_api_test POLICY_FILE EXPECTED_FILE  (written by write_test_policy) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usbpo/runtime/usbpo.h"

static int failures = 0;
#define CHECK(cond, ...)                                    \
  do {                                                      \
    if (!(cond)) {                                          \
      ++failures;                                           \
      fprintf(stderr, "FAIL line %d: %s: ", __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                         \
      fprintf(stderr, "\n");                                \
    }                                                       \
  } while (0)

static unsigned char* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  unsigned char* data;
  long length;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  length = ftell(f);
  fseek(f, 0, SEEK_SET);
  data = (unsigned char*)malloc((size_t)length);
  if (data && fread(data, 1, (size_t)length, f) != (size_t)length) {
    free(data);
    data = NULL;
  }
  fclose(f);
  *size = (size_t)length;
  return data;
}

int main(int argc, char** argv) {
  size_t blob_size = 0, need = 0, i;
  unsigned char *blob, *memory, *copy;
  usbpo_policy* policy = NULL;
  char detail[256];
  FILE* expected;
  int rows, obs_dim, act_dim, row, d, truncations_rejected = 0, flips_rejected = 0;
  size_t scratch_size;
  unsigned char* scratch;
  float obs[64], want[16], got[16], low[16], high[16];
  usbpo_status status;

  if (argc != 3) return fprintf(stderr, "usage: c_api_test POLICY_FILE EXPECTED_FILE\n"), 2;
  blob = read_file(argv[1], &blob_size);
  if (!blob) return fprintf(stderr, "cannot read %s\n", argv[1]), 1;

  status = usbpo_policy_bytes_needed(blob, blob_size, &need);
  CHECK(status == USBPO_OK, "bytes_needed: %s", usbpo_strerror(status));
  /* One byte past a malloc'd block: the loader must cope with any alignment. */
  memory = (unsigned char*)malloc(need + 1);
  status = usbpo_policy_load(blob, blob_size, memory + 1, need, &policy, detail, sizeof detail);
  CHECK(status == USBPO_OK && policy != NULL, "load: %s (%s)", usbpo_strerror(status), detail);
  if (!policy) return 1;
  CHECK(usbpo_policy_obs_dim(policy) == 11 && usbpo_policy_act_dim(policy) == 3, "dims %d %d",
        usbpo_policy_obs_dim(policy), usbpo_policy_act_dim(policy));
  CHECK(strcmp(usbpo_policy_env_name(policy), "hopper") == 0, "env name '%s'", usbpo_policy_env_name(policy));
  CHECK(strcmp(usbpo_policy_algorithm(policy), "usbpo") == 0, "algorithm '%s'", usbpo_policy_algorithm(policy));
  CHECK(usbpo_policy_env_steps(policy) == 4242, "env steps %lld", (long long)usbpo_policy_env_steps(policy));
  CHECK(usbpo_policy_action_bounds(policy, low, high) == USBPO_OK && low[1] == -0.5f && high[2] == 2.0f,
        "bounds %g %g", low[1], high[2]);
  /* The blob may be freed after loading: scribble over it before acting. */
  copy = (unsigned char*)malloc(blob_size);
  memcpy(copy, blob, blob_size);
  memset(blob, 0xA5, blob_size);

  /* The same actions as the C++ runtime, bit for bit (same code underneath). */
  expected = fopen(argv[2], "r");
  if (!expected || fscanf(expected, "%d %d %d", &rows, &obs_dim, &act_dim) != 3) return fprintf(stderr, "bad %s\n", argv[2]), 1;
  for (row = 0; row < rows; ++row) {
    for (d = 0; d < obs_dim; ++d) CHECK(fscanf(expected, "%a", &obs[d]) == 1, "row %d", row);
    for (d = 0; d < act_dim; ++d) CHECK(fscanf(expected, "%a", &want[d]) == 1, "row %d", row);
    status = usbpo_policy_act(policy, obs, got);
    CHECK(status == USBPO_OK, "act: %s", usbpo_strerror(status));
    for (d = 0; d < act_dim; ++d) {
      CHECK(got[d] == want[d], "row %d dim %d: %a vs %a", row, d, got[d], want[d]);
      CHECK(got[d] >= low[d] && got[d] <= high[d], "row %d dim %d outside the bounds", row, d);
    }
  }
  fclose(expected);
  printf("act: %d observations give the C++ runtime's actions exactly\n", rows);

  /* The reentrant act, on the caller's scratch (one byte off alignment), gives the same actions. */
  scratch_size = usbpo_policy_scratch_bytes(policy);
  CHECK(scratch_size > 0, "scratch bytes %lu", (unsigned long)scratch_size);
  scratch = (unsigned char*)malloc(scratch_size + 1);
  expected = fopen(argv[2], "r");
  if (!expected || fscanf(expected, "%d %d %d", &rows, &obs_dim, &act_dim) != 3) return fprintf(stderr, "bad %s\n", argv[2]), 1;
  for (row = 0; row < rows; ++row) {
    for (d = 0; d < obs_dim; ++d) CHECK(fscanf(expected, "%a", &obs[d]) == 1, "row %d", row);
    for (d = 0; d < act_dim; ++d) CHECK(fscanf(expected, "%a", &want[d]) == 1, "row %d", row);
    status = usbpo_policy_act_with_scratch(policy, obs, got, scratch + 1, scratch_size);
    CHECK(status == USBPO_OK, "act with scratch: %s", usbpo_strerror(status));
    for (d = 0; d < act_dim; ++d) CHECK(got[d] == want[d], "row %d dim %d: %a vs %a", row, d, got[d], want[d]);
  }
  fclose(expected);
  CHECK(usbpo_policy_act_with_scratch(policy, obs, got, scratch, scratch_size - 1) == USBPO_ERR_OUT_OF_MEMORY,
        "scratch one byte short");
  CHECK(usbpo_policy_act_with_scratch(policy, obs, got, NULL, scratch_size) == USBPO_ERR_INVALID_ARGUMENT, "null scratch");
  CHECK(usbpo_policy_act_with_scratch(NULL, obs, got, scratch, scratch_size) == USBPO_ERR_INVALID_ARGUMENT, "null policy");
  CHECK(usbpo_policy_scratch_bytes(NULL) == 0, "scratch bytes of NULL");
  printf("act with scratch: %d observations give the same actions (%lu bytes of scratch)\n", rows,
         (unsigned long)scratch_size);

  /* Bad observations and arguments. */
  obs[3] = NAN;
  memcpy(want, got, sizeof got);
  CHECK(usbpo_policy_act(policy, obs, got) == USBPO_ERR_NON_FINITE, "NaN observation accepted");
  CHECK(memcmp(want, got, sizeof got) == 0, "a rejected observation changed the action");
  CHECK(usbpo_policy_act(NULL, obs, got) == USBPO_ERR_INVALID_ARGUMENT, "null policy");
  CHECK(usbpo_policy_act(policy, NULL, got) == USBPO_ERR_INVALID_ARGUMENT, "null obs");
  CHECK(usbpo_policy_bytes_needed(copy, blob_size, NULL) == USBPO_ERR_INVALID_ARGUMENT, "null bytes");

  /* Memory the policy lives in, overwritten by the caller: act refuses instead of following garbage. */
  memset(memory + 1, 0x5A, 512 < need ? 512 : need);
  CHECK(usbpo_policy_act(policy, obs, got) == USBPO_ERR_FAILED_PRECONDITION, "act on an overwritten policy");
  CHECK(usbpo_policy_act_with_scratch(policy, obs, got, scratch, scratch_size) == USBPO_ERR_FAILED_PRECONDITION,
        "act with scratch on an overwritten policy");
  CHECK(usbpo_policy_obs_dim(policy) == 0 && strcmp(usbpo_policy_env_name(policy), "") == 0 &&
            usbpo_policy_scratch_bytes(policy) == 0,
        "metadata of an overwritten policy");
  printf("overwritten: act and metadata refuse a policy whose memory was overwritten\n");

  /* One flipped bit in each byte (the core tests flip every bit): refused, the checksum named. */
  for (i = 0; i < blob_size; ++i) {
    copy[i] ^= (unsigned char)(1u << (i % 8));
    status = usbpo_policy_load(copy, blob_size, memory, need + 1, &policy, detail, sizeof detail);
    copy[i] ^= (unsigned char)(1u << (i % 8));
    if (status == USBPO_ERR_CORRUPT_DATA && policy == NULL &&
        (strstr(detail, "checksum") != NULL || (i >= 4 && i < 8 && strstr(detail, "not a usbpo policy") != NULL))) {
      ++flips_rejected;
    }
  }
  CHECK(flips_rejected == (int)blob_size, "%d of %d flipped bits refused", flips_rejected, (int)blob_size);
  printf("flips: %d of %d single-bit flips refused\n", flips_rejected, (int)blob_size);

  /* Too little memory, truncated and foreign blobs. */
  status = usbpo_policy_load(copy, blob_size, memory, need / 2, &policy, detail, sizeof detail);
  CHECK(status == USBPO_ERR_OUT_OF_MEMORY && policy == NULL, "half the memory: %s", usbpo_strerror(status));
  for (i = 0; i < blob_size; ++i) {
    if (usbpo_policy_bytes_needed(copy, i, &need) == USBPO_ERR_CORRUPT_DATA &&
        usbpo_policy_load(copy, i, memory, need + 1, &policy, NULL, 0) == USBPO_ERR_CORRUPT_DATA) {
      ++truncations_rejected;
    }
  }
  CHECK(truncations_rejected == (int)blob_size, "%d of %d truncations rejected", truncations_rejected, (int)blob_size);
  copy[4] = 'X'; /* the file identifier sits at bytes 4..7 */
  status = usbpo_policy_load(copy, blob_size, memory, need, &policy, detail, sizeof detail);
  CHECK(status == USBPO_ERR_CORRUPT_DATA && strstr(detail, "not a usbpo policy") != NULL, "foreign: %s", detail);
  printf("errors: every one of %d truncations, a foreign identifier, too little memory and a NaN observation refused\n",
         (int)blob_size);

  CHECK(strcmp(usbpo_strerror(USBPO_OK), "ok") == 0, "strerror(ok) = %s", usbpo_strerror(USBPO_OK));
  CHECK(strcmp(usbpo_strerror(USBPO_ERR_CORRUPT_DATA), "corrupt data") == 0, "strerror");
  CHECK(usbpo_strerror((usbpo_status)99) != NULL, "strerror of an unknown code");
  free(blob);
  free(copy);
  free(memory);
  free(scratch);
  if (failures) fprintf(stderr, "%d checks failed\n", failures);
  return failures ? 1 : 0;
}
