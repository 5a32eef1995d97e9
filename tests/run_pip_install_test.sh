#!/usr/bin/env bash
# The README's Python install, as a user runs it: a fresh virtual environment,
# `pip install ./ports/python` (scikit-build-core builds the library from this
# checkout), `import usbpo`, then the quickstart example with that install.
#   bash tests/run_pip_install_test.sh [VENV_DIR]   (default build-pip/venv)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$root/build-pip/venv}"
bash "$root/tests/install_deps.sh"
rm -rf "$venv"
python3 -m venv "$venv"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
"$venv/bin/pip" install --quiet "$root/ports/python"
# Outside the checkout, so that only the installed package can be imported.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
names=$("$venv/bin/python" -c "import usbpo; print(usbpo.env_names())")
echo "import usbpo: env_names() = $names"
case "$names" in *hopper*) ;; *) echo "FAIL: the installed package has no MuJoCo tasks: $names"; exit 1 ;; esac
"$venv/bin/python" "$root/ports/python/examples/quickstart.py" | tee quickstart.out
grep -q "episode return" quickstart.out || { echo "FAIL: the quickstart printed no return"; exit 1; }
echo "ok: pip install ./ports/python in a fresh venv, import usbpo and the quickstart"
