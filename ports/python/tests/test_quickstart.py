"""The README's Python example (examples/quickstart.py) runs as printed and learns."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"


@pytest.mark.learning
def test_quickstart_runs_and_the_policy_swings_up(tmp_path):
    result = subprocess.run([sys.executable, str(EXAMPLE)], cwd=tmp_path, env=dict(os.environ), check=True,
                            capture_output=True, text=True)
    print(result.stdout)
    found = re.search(r"episode return (-?[\d.]+) \(last evaluation in training: (-?[\d.]+)\)", result.stdout)
    assert found, result.stdout
    assert float(found.group(1)) > -300 and float(found.group(2)) > -250  # random actions score about -1200
    assert (tmp_path / "runs" / "pendulum" / "policy.usbpo").exists()
