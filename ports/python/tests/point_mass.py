"""A task written in Python with Gymnasium's calling convention (no Gymnasium
needed): move a point onto a target on a line. obs = [position, target],
action = velocity in [-1, 1] (0.1 per step), reward = -|position - target|,
50 steps an episode. A random policy scores about -40, a good one above -8."""
import numpy as np

import usbpo


class PointMass:
    name = "point_mass"
    max_episode_steps = 50

    def __init__(self):
        self.observation_space = usbpo.Box(-np.inf, np.inf, (2,))
        self.action_space = usbpo.Box(-1.0, 1.0, (1,))
        self.state = None
        self.steps = 0
        self.calls = {"reset": 0, "step": 0, "is_terminal": 0}

    def reset(self, *, seed=None, options=None):
        rng = np.random.default_rng(seed)
        self.state = rng.uniform(-1, 1, 2)
        self.steps = 0
        self.calls["reset"] += 1
        return self.state.astype(np.float32), {}

    def step(self, action):
        assert action.dtype == np.float32 and action.shape == (1,)
        self.state[0] = np.clip(self.state[0] + 0.1 * float(action[0]), -2, 2)
        self.steps += 1
        self.calls["step"] += 1
        reward = -abs(self.state[0] - self.state[1])
        return self.state.astype(np.float32), reward, False, self.steps >= self.max_episode_steps, {}
