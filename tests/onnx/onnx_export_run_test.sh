#!/usr/bin/env bash
# usbpo export --format onnx on a trained run: from the run directory, its
# checkpoint and its policy file (the same model bytes each time), checked by
# ONNX Runtime against Policy::act; and the export's safety rules for ONNX:
# never over its input or any usbpo file, only a regular file, atomically,
# damaged or foreign input refused with nothing written.
# usage: onnx_export_run_test.sh USBPO POLICY_REFERENCE TEST_DIR VENV WORK
set -euo pipefail
usbpo="$1" reference="$2" here="$3" venv="$4" work="$5"
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$usbpo" train --env pendulum --steps 400 --start-steps 100 --update-after 100 --hidden 16 --batch 32 \
  --epoch-length 200 --eval-episodes 1 --out run > train.out 2>&1 || { cat train.out; fail "training failed"; }

"$usbpo" export --format onnx --checkpoint run --out from-dir.onnx | tee export.out || fail "export from the run directory"
grep -q "ONNX (opset 17) sac policy for pendulum after 400 env steps: 'observation' \[batch, 3\] -> 'action' \[batch, 1\]" \
  export.out || fail "export's summary line"
"$usbpo" export --format onnx --checkpoint run/checkpoint.usbpo-ckpt --out from-checkpoint.onnx > /dev/null ||
  fail "export from the checkpoint file"
"$usbpo" export --format onnx --policy run --out from-policy-dir.onnx > /dev/null || fail "export from --policy DIR"
"$usbpo" export --format onnx --policy run/policy.usbpo --out policy.onnx > /dev/null || fail "export from --policy FILE"
for f in from-checkpoint.onnx from-policy-dir.onnx policy.onnx; do cmp from-dir.onnx "$f" || fail "$f differs"; done
[ -z "$(ls ./*.tmp 2>/dev/null)" ] || fail "a temporary file was left"
echo "ok: the run directory, its checkpoint and its policy file give the same model"

# Safety: each refusal exits 2 with its reason and changes no file.
cp run/policy.usbpo other-policy.usbpo
cp run/checkpoint.usbpo-ckpt other.usbpo-ckpt
echo "keep me" > target.txt
ln -s target.txt link.onnx
mkdir a-directory
sums() { md5sum run/policy.usbpo run/checkpoint.usbpo-ckpt other-policy.usbpo other.usbpo-ckpt target.txt policy.onnx; }
before=$(sums)
refused() {  # NAME WORDS ARGS...: export must exit 2 with WORDS and change nothing
  local name="$1" words="$2" code=0
  shift 2
  "$usbpo" export "$@" > "$name.out" 2>&1 || code=$?
  [ $code = 2 ] || { cat "$name.out"; fail "$name: exit $code, expected 2"; }
  grep -q -- "$words" "$name.out" || { cat "$name.out"; fail "$name: no clear reason (expected '$words')"; }
  [ "$before" = "$(sums)" ] || fail "$name: a refused export changed a file"
}
refused input "is the policy it reads; export never writes over its input" \
  --format onnx --policy run --out run/policy.usbpo
refused input-checkpoint "is the checkpoint it reads" --format onnx --checkpoint run --out run/checkpoint.usbpo-ckpt
refused other-policy "other-policy.usbpo is a usbpo policy file; an ONNX export never writes over a usbpo file" \
  --format onnx --policy run --out other-policy.usbpo
refused other-checkpoint "is a checkpoint; an ONNX export never writes over a usbpo file" \
  --format onnx --policy run --out other.usbpo-ckpt
refused dev-null "/dev/null is a device; only a regular file is written" --format onnx --policy run --out /dev/null
refused directory "a-directory is a directory" --format onnx --policy run --out a-directory
refused symlink "link.onnx is a symbolic link" --format onnx --policy run --out link.onnx
cp run/policy.usbpo through.onnx.tmp
before=$(sums; md5sum through.onnx.tmp)
sums() { md5sum run/policy.usbpo run/checkpoint.usbpo-ckpt other-policy.usbpo other.usbpo-ckpt target.txt policy.onnx \
  through.onnx.tmp; }
refused temporary "through.onnx.tmp, which the write goes through, is a usbpo policy file" \
  --format onnx --policy run --out through.onnx
refused format "--format tflite is not known (usbpo or onnx)" --format tflite --policy run --out p.onnx
refused both "give --checkpoint or --policy, not both" --format onnx --policy run --checkpoint run --out p.onnx
refused policy-as-usbpo "--policy is read with --format onnx only" --policy run --out p.usbpo
refused empty "must not be empty" --format onnx --policy run --out ""
[ "$(readlink link.onnx)" = target.txt ] || fail "the symbolic link was replaced"
echo "ok: an ONNX export refuses its input, usbpo files, devices, directories, links and unknown formats"

# Damaged or foreign input: exit 1 with the verifier's reason, nothing written.
cp run/policy.usbpo damaged.usbpo
printf '\x55' | dd of=damaged.usbpo bs=1 seek=200 conv=notrunc 2> /dev/null
cmp -s damaged.usbpo run/policy.usbpo && fail "the damage did not change the file"
failed() {  # NAME WORDS ARGS...
  local name="$1" words="$2" code=0
  shift 2
  "$usbpo" export "$@" > "$name.out" 2>&1 || code=$?
  [ $code = 1 ] || { cat "$name.out"; fail "$name: exit $code, expected 1"; }
  grep -q -- "$words" "$name.out" || { cat "$name.out"; fail "$name: no clear reason (expected '$words')"; }
}
failed damaged "truncated or corrupt" --format onnx --policy damaged.usbpo --out damaged.onnx
failed foreign "not a usbpo policy file" --format onnx --policy run/checkpoint.usbpo-ckpt --out foreign.onnx
failed missing "cannot open no-such.usbpo" --format onnx --policy no-such.usbpo --out missing.onnx
[ ! -e damaged.onnx ] && [ ! -e foreign.onnx ] && [ ! -e missing.onnx ] || fail "a failed export wrote a file"
[ -z "$(ls ./*.onnx.tmp 2>/dev/null | grep -v through)" ] || fail "a failed export left a temporary file"
echo "ok: damaged, foreign and missing policies are refused with nothing written"

# A regular file is replaced atomically by the same model.
echo "an old model" > old.onnx
"$usbpo" export --format onnx --policy run --out old.onnx > /dev/null || fail "export over a regular file"
cmp old.onnx policy.onnx || fail "the replaced file differs from a fresh export"
"$usbpo" export --format onnx --checkpoint run --out old.onnx > /dev/null || fail "export over an earlier ONNX export"
cmp old.onnx policy.onnx || fail "the re-exported file differs"
[ ! -e old.onnx.tmp ] || fail "a temporary file was left"
echo "ok: export replaces a regular file atomically"

bash "$here/with_onnxruntime.sh" "$venv" python3 "$here/compare_with_onnxruntime.py" policy.onnx run/policy.usbpo \
  "$reference" compare --normaliser identity
