"""A Python env as the real env: it trains, its exceptions come back as they
were raised, and envs that do not fit are refused with the reason."""
import numpy as np
import pytest

import usbpo
from point_mass import PointMass

SAC = dict(start_steps=500, update_after=500, hidden=32, batch=64, epoch_length=500, eval_episodes=5, lr=3e-3,
           updates_per_step=1)


def test_a_python_env_trains(tmp_path):
    log = usbpo.train(env=PointMass, algo="sac", steps=3000, out=tmp_path / "run", seed=1, progress=False, **SAC)
    evals = log["eval_return"][np.isfinite(log["eval_return"])]
    assert len(evals) == 6
    assert evals[-1] > -8, evals  # near the target within a few steps (random: about -40)
    policy = usbpo.Policy.load(tmp_path / "run" / "policy.usbpo")
    assert (policy.task, policy.obs_dim, policy.act_dim) == ("point_mass", 2, 1)
    assert policy.act(np.float32([0.0, 0.5]))[0] > 0.5 and policy.act(np.float32([0.0, -0.5]))[0] < -0.5


def test_instances_the_trainer_is_given_are_the_ones_it_steps(tmp_path):
    env, eval_env = PointMass(), PointMass()
    with usbpo.Trainer(env, "sac", eval_env=eval_env, steps=120, out=tmp_path / "run", **SAC) as trainer:
        for _ in range(120):
            trainer.step()
        assert env.calls["step"] == 120 and env.calls["reset"] == 1 + 2  # the first episode, then one per 50 steps
        assert eval_env.calls["step"] == 0
        trainer.evaluate(2)
        assert eval_env.calls == {"reset": 2, "step": 100, "is_terminal": 0}
    # An instance that can be deep-copied needs no eval_env.
    usbpo.train(env=PointMass(), algo="sac", steps=10, out=tmp_path / "copied", progress=False, **SAC)


def test_model_rollouts_ask_the_env_for_terminations(tmp_path):
    class Bounded(PointMass):
        def is_terminal(self, obs):
            self.calls["is_terminal"] += 1
            return abs(float(obs[0])) > 1.5

    env, eval_env = Bounded(), Bounded()
    usbpo.train(env=env, eval_env=eval_env, algo="mbpo", steps=300, out=tmp_path / "run", progress=False,
                start_steps=200, update_after=64, hidden=16, batch=64, epoch_length=300, eval_episodes=1,
                rollout_batch=100, model_train_freq=100, ensemble=2, elites=1, model_hidden=16,
                model_max_epochs=5, model_batch=32, updates_per_step=1)
    assert env.calls["is_terminal"] >= 2 * 100  # model rounds at 200 and 300, one call per rollout sample


def test_the_env_exceptions_come_back_unchanged(tmp_path):
    class Broken(PointMass):
        def step(self, action):
            if self.calls["step"] == 30:
                raise ArithmeticError("the simulator diverged")
            return super().step(action)

    with pytest.raises(ArithmeticError, match="the simulator diverged"):
        usbpo.train(env=Broken, algo="sac", steps=100, out=tmp_path / "run", progress=False, **SAC)


def test_ctrl_c_inside_the_env_stops_the_run_cleanly(tmp_path):
    class Interrupted(PointMass):
        def step(self, action):
            if self.calls["step"] == 130:
                raise KeyboardInterrupt  # as Python raises it when Ctrl-C lands in the env's code
            return super().step(action)

    with pytest.raises(KeyboardInterrupt):
        usbpo.train(env=Interrupted, algo="sac", steps=1000, out=tmp_path / "run", progress=False, **SAC)
    with usbpo.Trainer(Interrupted, resume=tmp_path / "run", steps=1000) as trainer:
        assert trainer.progress["env_steps"] == trainer.checkpoint_step == 130
    assert (tmp_path / "run" / "policy.usbpo").exists()


@pytest.mark.parametrize("change, error, match", [
    ("reset_obs_only", usbpo.Error, r"reset\(\) must return \(obs, info\)"),
    ("step_four_values", usbpo.Error, r"step\(\) must return \(obs, reward, terminated, truncated, info\)"),
    ("wrong_obs_shape", usbpo.Error, r"observation from step\(\) must have shape \(2,\), got \(3,\)"),
    ("nan_obs", usbpo.Error, "non-finite|NaN"),
    ("no_limit", TypeError, "max_episode_steps"),
    ("infinite_bounds", ValueError, "finite with low < high"),
    ("no_action_space", TypeError, "action_space"),
    ("matrix_obs", ValueError, r"observation_space.shape must be \(n,\)"),
])
def test_envs_that_do_not_fit_are_refused(tmp_path, change, error, match):
    class Odd(PointMass):
        def __init__(self):
            super().__init__()
            if change == "no_limit":
                self.max_episode_steps = None
            if change == "infinite_bounds":
                self.action_space = usbpo.Box(-np.inf, 1.0, (1,))
            if change == "no_action_space":
                del self.action_space
            if change == "matrix_obs":
                self.observation_space = usbpo.Box(0, 1, (2, 2))

        def reset(self, *, seed=None, options=None):
            obs, info = super().reset(seed=seed)
            return obs if change == "reset_obs_only" else (obs, info)

        def step(self, action):
            obs, reward, terminated, truncated, info = super().step(action)
            if change == "step_four_values":
                return obs, reward, terminated, truncated
            if change == "wrong_obs_shape":
                obs = np.zeros(3, np.float32)
            if change == "nan_obs":
                obs[0] = np.nan
            return obs, reward, terminated, truncated, info

    with pytest.raises(error, match=match):
        usbpo.train(env=Odd, algo="sac", steps=20, out=tmp_path / "run", progress=False, **SAC)


def test_what_is_not_an_env_is_refused(tmp_path):
    with pytest.raises(TypeError, match="task name, a usbpo.Env"):
        usbpo.Trainer(42)
    env = PointMass()
    with pytest.raises(ValueError, match="separate instance"):
        usbpo.Trainer(env, eval_env=env)
    with pytest.raises(ValueError, match="eval_env= goes with a Python env"):
        usbpo.Trainer("pendulum", eval_env=PointMass())
    usbpo.train(env=PointMass, algo="sac", steps=10, out=tmp_path / "run", progress=False, **SAC)

    class Other(PointMass):
        name = "other"

    with pytest.raises(usbpo.Error, match="the run's env is 'point_mass' but the Python env is named 'other'"):
        usbpo.Trainer(Other, resume=tmp_path / "run", steps=20)
