#!/usr/bin/env bash
# Runs a program as a test: it passes only if the program exits with status 0
# and printed a line matching PATTERN (grep -E). (ctest's PASS_REGULAR_EXPRESSION
# alone ignores the exit status; sanitizer reports are failed by the test's
# FAIL_REGULAR_EXPRESSION.)
# usage: run_and_expect.sh PATTERN PROGRAM [ARGS...]
set -uo pipefail
pattern="$1"
shift
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
"$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "FAIL: $* exited with status $status"
  exit 1
fi
if ! grep -qE -- "$pattern" "$log"; then
  echo "FAIL: no line matching '$pattern'"
  exit 1
fi
