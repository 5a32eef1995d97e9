"""The built-in tasks (the MuJoCo benchmark tasks, and Pendulum) with the
Gymnasium calling convention."""
import types

import numpy as np

from . import _usbpo
from .spaces import Box

_SEED_LIMIT = 2**64


def env_names():
    """The names make_env accepts: 'pendulum', and the MuJoCo tasks when built with MuJoCo."""
    return [name.strip() for name in _usbpo.env_names().split(",")]


def _check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < _SEED_LIMIT:
        raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    return int(seed)


class Env:
    """A built-in task, stepped in C++ exactly as the trainer steps it.

    reset(seed=None) -> (obs, info); step(action) -> (obs, reward, terminated,
    truncated, info). Observations are new float32 arrays; an action is
    (act_dim,) floats within action_space. The time limit is reported as
    truncated, never as terminated. reset(seed=s) starts the episode that
    usbpo::Env::reset(s) starts in C++; reset() without a seed draws the next
    episode's seed from a generator seeded by make_env's seed (or the last
    reset(seed=...)).
    """

    metadata = {"render_modes": []}
    render_mode = None

    def __init__(self, name, seed=None, mjcf=None):
        self._env = _usbpo._TaskEnv(name, "" if mjcf is None else str(mjcf))
        self.name = self._env.name
        self.mjcf = mjcf
        self.max_episode_steps = self._env.max_episode_steps
        self.observation_space = Box(-np.inf, np.inf, (self._env.obs_dim,))
        self.action_space = Box(self._env.action_low, self._env.action_high)
        self.spec = types.SimpleNamespace(id=self.name, max_episode_steps=self.max_episode_steps)
        self._seeds = np.random.default_rng(None if seed is None else _check_seed(seed))
        if seed is not None:
            self.action_space.seed(int(seed))

    @property
    def unwrapped(self):
        return self

    def reset(self, *, seed=None, options=None):
        """Start an episode; returns (obs, info) with info['seed'] the episode's seed."""
        if seed is None:
            episode_seed = int(self._seeds.integers(0, _SEED_LIMIT, dtype=np.uint64))
        else:
            episode_seed = _check_seed(seed)
            self._seeds = np.random.default_rng(episode_seed)
        return self._env.reset(episode_seed), {"seed": episode_seed}

    def step(self, action):
        """Apply action; returns (obs, reward, terminated, truncated, info)."""
        obs, reward, terminated, truncated = self._env.step(action)
        return obs, reward, terminated, truncated, {}

    def is_terminal(self, obs):
        """The task's static termination function (what model rollouts use)."""
        return self._env.is_terminal(obs)

    def close(self):
        pass

    def __repr__(self):
        return f"<usbpo.Env {self.name} obs {self.observation_space.shape} act {self.action_space.shape}>"


def make_env(name, seed=None, mjcf=None):
    """A built-in task by name (see env_names()), e.g. make_env("hopper", seed=0).

    mjcf: run a MuJoCo task's rules on your own model file (same joints and actuators).
    """
    return Env(name, seed=seed, mjcf=mjcf)
