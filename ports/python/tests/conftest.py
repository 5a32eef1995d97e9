"""Shared fixtures of the Python port's tests (run by ctest as Python.Bindings
and Learning.PythonSacPendulumAndQuickstart, with the package of the build on
PYTHONPATH and the C++ reference program in USBPO_PYTHON_REFERENCE)."""
import os
import subprocess

import numpy as np
import pytest

import usbpo

MUJOCO_TASKS = ["inverted_pendulum", "hopper", "half_cheetah", "walker2d", "ant", "humanoid", "pusher"]


def pytest_configure(config):
    config.addinivalue_line("markers", "learning: a whole learning run (ctest Learning.PythonSacPendulumAndQuickstart)")


def has_mujoco():
    return "hopper" in usbpo.env_names()


needs_mujoco = pytest.mark.skipif(not has_mujoco(), reason="usbpo was built without MuJoCo")


@pytest.fixture(scope="session")
def reference():
    """Run the C++ reference program (tests/reference_helper.cpp) with arguments."""
    program = os.environ.get("USBPO_PYTHON_REFERENCE")
    if not program or not os.path.exists(program):
        pytest.fail("USBPO_PYTHON_REFERENCE must name the built usbpo_python_reference program (ctest sets it)")

    def run(*args):
        subprocess.run([program, *map(str, args)], check=True)

    return run


@pytest.fixture(scope="session")
def cli():
    """The `usbpo` command of the same build, for comparisons with the CLI."""
    program = os.environ.get("USBPO_CLI")
    if not program:
        pytest.skip("the usbpo command was not built (USBPO_BUILD_CLI=OFF)")
    return program


@pytest.fixture(scope="session")
def hopper_policy(tmp_path_factory):
    """A Hopper-sized SAC policy (obs 11, act 3, 2x256) after 300 env steps, 200 with updates, as a file."""
    task = "hopper" if has_mujoco() else "pendulum"
    out = tmp_path_factory.mktemp("policy") / "run"
    usbpo.train(env=task, algo="sac", steps=300, out=out, seed=3, start_steps=100, update_after=100, batch=64,
                epoch_length=300, eval_episodes=1, progress=False)
    return out / "policy.usbpo"


def float_bits(values):
    """float32 values as their bit patterns, for comparisons that tell -0.0 from 0.0 and any NaN apart."""
    return np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
