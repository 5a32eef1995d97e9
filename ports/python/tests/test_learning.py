"""SAC from Python learns Pendulum (ctest Learning.PythonSacPendulumAndQuickstart)."""
import time

import numpy as np
import pytest

import usbpo


@pytest.mark.learning
def test_sac_learns_pendulum(tmp_path):
    start = time.monotonic()
    # The CLI's Pendulum defaults (2x64, lr 1e-3, batch 100, 1000 random steps) with 5 updates per env step
    # (seeds 1 and 2 first evaluate above -250 at 2000 and 2500 env steps, and stay there).
    log = usbpo.train(env="pendulum", algo="sac", steps=5000, out=tmp_path / "run", seed=1, updates_per_step=5,
                      epoch_length=500, progress=True)
    seconds = time.monotonic() - start
    evals = log["eval_return"][np.isfinite(log["eval_return"])]
    print(f"evaluation returns every 500 env steps: {np.round(evals, 1).tolist()}; {seconds:.1f} s")
    assert evals[0] < -900  # the random policy
    assert evals[-1] > -250 and evals[-2] > -250  # swung up and held (10 deterministic episodes each)
    assert seconds < 60
    # Acting with the written policy in the env does as well as the trainer's evaluation.
    policy = usbpo.Policy.load(tmp_path / "run" / "policy.usbpo")
    env = usbpo.make_env("pendulum", seed=100)
    returns = []
    for _ in range(10):
        obs, _ = env.reset()
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(policy.act(obs))
            total += reward
            done = terminated or truncated
        returns.append(total)
    assert np.mean(returns) > -250, returns
