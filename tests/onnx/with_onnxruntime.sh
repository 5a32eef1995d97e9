#!/usr/bin/env bash
# Runs a command with a Python that has ONNX Runtime, onnx and NumPy: a
# virtual environment at VENV, made and filled from PyPI on first use (pip's
# own cache and the kept venv make reruns fast). The command's "python3" is
# the venv's (PATH).
#
# If they cannot be installed: where the test is required (CI=true, or
# USBPO_REQUIRE_ONNX_RUNTIME=1) that is a failure; elsewhere (a developer
# offline) the test says so clearly and exits 77, which ctest counts as
# skipped, not passed.
# usage: with_onnxruntime.sh VENV COMMAND [ARGS...]
set -euo pipefail
venv="$1"
shift
packages=(onnxruntime onnx numpy)
ready() { [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c "import onnxruntime, onnx, numpy" 2>/dev/null; }
required() {
  case "${USBPO_REQUIRE_ONNX_RUNTIME:-}" in 1|true) return 0;; 0|false) return 1;; esac
  case "${CI:-}" in true|1) return 0;; esac
  return 1
}
mkdir -p "$(dirname "$venv")"
# One installer at a time (ctest -j runs the ONNX tests side by side).
exec 9> "$venv.lock"
flock 9
if ! ready; then
  echo "with_onnxruntime: installing ${packages[*]} from PyPI into $venv"
  rm -rf "$venv"
  if ! { "${USBPO_PYTHON3:-python3}" -m venv "$venv" &&
         "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check --timeout 30 --retries 2 \
           "${packages[@]}"; } || ! ready; then
    rm -rf "$venv"
    if required; then
      echo "FAIL: could not install ${packages[*]} from PyPI into $venv" \
           "(needed here: CI or USBPO_REQUIRE_ONNX_RUNTIME=1)"
      exit 1
    fi
    echo
    echo "*** SKIPPED: could not install ${packages[*]} from PyPI (offline?); the ONNX Runtime check did NOT run ***"
    echo "*** (CI=true or USBPO_REQUIRE_ONNX_RUNTIME=1 make this a failure) ***"
    echo
    exit 77
  fi
fi
flock -u 9
"$venv/bin/python3" -c "import onnxruntime, onnx, numpy
print('with_onnxruntime: onnxruntime', onnxruntime.__version__, 'onnx', onnx.__version__, 'numpy', numpy.__version__)"
PATH="$venv/bin:$PATH" "$@"
