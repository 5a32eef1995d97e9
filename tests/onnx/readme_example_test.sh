#!/usr/bin/env bash
# The README's ONNX example as written: export a run's policy with
# `usbpo export --format onnx`, then act with it in ONNX Runtime through
# examples/onnx/act_with_onnxruntime.py; its actions must be Policy::act's.
# usage: readme_example_test.sh USBPO POLICY_REFERENCE TEST_DIR VENV WORK SOURCE_DIR
set -euo pipefail
usbpo="$1" reference="$2" here="$3" venv="$4" work="$5" source="$6"
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work/examples" && cd "$work"
cp -r "$source/examples/onnx" examples/
# A short run in place of the README's runs/inverted_pendulum (any run directory will do).
"$usbpo" train --env pendulum --steps 300 --start-steps 100 --update-after 100 --hidden 16 --batch 32 \
  --epoch-length 300 --eval-episodes 1 --out runs/pendulum > train.out 2>&1 || { cat train.out; fail "training failed"; }

# --- the README's lines (run directory and Python from this test) ---
"$usbpo" export --format onnx --checkpoint runs/pendulum --out policy.onnx || fail "export"
bash "$here/with_onnxruntime.sh" "$venv" python3 examples/onnx/act_with_onnxruntime.py policy.onnx | tee example.out
# ---
line=$(grep "^pendulum policy (sac, 300 env steps), actions in \[-2, 2\]: \[\[" example.out) ||
  fail "the example did not print its line"
# The example acts on four zero observations: compare with Policy::act.
python3 -c "import struct, sys; sys.stdout.buffer.write(struct.pack('12f', *[0.0] * 12))" > zeros.f32
"$reference" act runs/pendulum/policy.usbpo zeros.f32 expected.f32 > /dev/null || fail "policy_reference act"
python3 - "$line" <<'PY' || fail "the example's actions differ from Policy::act"
import ast, struct, sys
printed = [a for row in ast.literal_eval(sys.argv[1].split(": ", 1)[1]) for a in row]
expected = struct.unpack("4f", open("expected.f32", "rb").read())
print(f"example: {printed}, Policy::act: {list(expected)}")
sys.exit(0 if max(abs(a - b) for a, b in zip(printed, expected)) <= 1e-5 else 1)
PY
echo "ok: the README's ONNX example runs and acts as Policy::act"
