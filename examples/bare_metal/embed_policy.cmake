# Turns a policy file into C source the firmware links (policy_blob.c), and the
# optional check file (rows of observations and host actions, written by the
# C ABI test fixture as C99 hex floats) into check_table.h.
# cmake -DPOLICY=... [-DEXPECTED=...] -DOUT_DIR=... -P embed_policy.cmake
file(READ ${POLICY} hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# 16 bytes per line keeps the file readable.
string(REGEX REPLACE "((0x..,){16})" "\\1\n  " bytes "${bytes}")
file(WRITE ${OUT_DIR}/policy_blob.c
"/* Generated from ${POLICY} by embed_policy.cmake. */
#include <stddef.h>
/* FlatBuffers reads scalars in place: keep the blob 8-byte aligned. */
const unsigned char usbpo_policy_blob[${size}] __attribute__((aligned(8))) = {
  ${bytes}
};
const size_t usbpo_policy_blob_size = ${size};
")

if(EXPECTED)
  file(READ ${EXPECTED} text)
  string(REGEX REPLACE "[ \t\r\n]+" ";" tokens "${text}")
  list(FILTER tokens EXCLUDE REGEX "^$")
  list(POP_FRONT tokens rows obs_dim act_dim)
  list(JOIN tokens "f, " values)
  file(WRITE ${OUT_DIR}/check_table.h
"/* Generated from ${EXPECTED}: observations and the host's actions for them. */
#define CHECK_ROWS ${rows}
#define CHECK_OBS_DIM ${obs_dim}
#define CHECK_ACT_DIM ${act_dim}
static const float check_table[] = { ${values}f };
")
else()
  file(WRITE ${OUT_DIR}/check_table.h "/* No check file given: the firmware only acts. */\n#define CHECK_ROWS 0\n")
endif()
