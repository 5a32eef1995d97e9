#!/usr/bin/env bash
# One policy of a chosen shape (policy_reference write), exported to ONNX from
# its policy file; the ONNX checker and ONNX Runtime against Policy::act on
# 1000 random observations (compare_with_onnxruntime.py).
# usage: onnx_fixture_test.sh USBPO POLICY_REFERENCE TEST_DIR VENV WORK NAME OBS ACT LAYERS WIDTH ACTIVATION
#                             NORMALISER(0|1) unit|mixed SEED
set -euo pipefail
usbpo="$1" reference="$2" here="$3" venv="$4" work="$5"
shift 6
normaliser=identity
[ "$6" = 1 ] && normaliser=yes
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work"
"$reference" write "$work/policy.usbpo" "$@" || fail "could not write the fixture policy"
"$usbpo" export --format onnx --policy "$work/policy.usbpo" --out "$work/policy.onnx" || fail "export failed"
bash "$here/with_onnxruntime.sh" "$venv" python3 "$here/compare_with_onnxruntime.py" "$work/policy.onnx" \
  "$work/policy.usbpo" "$reference" "$work" --seed "$8" --normaliser "$normaliser"
