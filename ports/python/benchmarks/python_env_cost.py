"""What training on a Python env costs per env step, next to calling the env from Python.

    PYTHONPATH=build/ports/python python3 ports/python/benchmarks/python_env_cost.py

Times (a) a plain Python loop over env.step, (b) the trainer stepping the same
env through the adapter (random exploration only, no updates, so only the env
step, the GIL hand-over, the array conversions and the store remain), and (c)
the same run on the built-in Pendulum in C++; prints microseconds per env step
(the median of 5 runs each).
"""
import statistics
import sys
import tempfile
import time

import numpy as np

import usbpo

STEPS = 20000


class Still:
    """The cheapest Gymnasium env: fixed observation, no dynamics, 200-step episodes."""

    name = "still"
    max_episode_steps = 200

    def __init__(self):
        self.observation_space = usbpo.Box(-np.inf, np.inf, (3,))
        self.action_space = usbpo.Box(-2.0, 2.0, (1,))
        self.obs = np.zeros(3, np.float32)
        self.t = 0

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return self.obs, {}

    def step(self, action):
        self.t += 1
        return self.obs, 0.0, False, self.t >= 200, {}


def python_loop():
    env, action = Still(), np.zeros(1, np.float32)
    env.reset(seed=0)
    start = time.perf_counter()
    for _ in range(STEPS):
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset(seed=0)
    return time.perf_counter() - start


def trainer_run(env):
    with tempfile.TemporaryDirectory() as out:
        with usbpo.Trainer(env, "sac", steps=STEPS, out=out + "/run", start_steps=STEPS, update_after=STEPS,
                           updates_per_step=0, eval_episodes=0, epoch_length=STEPS, threads=1) as trainer:
            start = time.perf_counter()
            trainer.run(until=STEPS, progress=False)
            return time.perf_counter() - start


def median_us(measure):
    return statistics.median(measure() for _ in range(5)) / STEPS * 1e6


def main():
    loop = median_us(python_loop)
    adapter = median_us(lambda: trainer_run(Still))
    builtin = median_us(lambda: trainer_run("pendulum"))
    print(f"python loop over env.step:          {loop:6.2f} us per step")
    print(f"trainer on the Python env:          {adapter:6.2f} us per step")
    print(f"trainer on the built-in pendulum:   {builtin:6.2f} us per step")
    print(f"adapter cost (trainer on the Python env - Python loop - trainer on pendulum): "
          f"{adapter - loop - builtin:.2f} us per step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
