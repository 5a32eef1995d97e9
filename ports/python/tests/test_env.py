"""usbpo.make_env: the C++ envs step for step, with Gymnasium's calling convention."""
import numpy as np
import pytest

import usbpo
from conftest import MUJOCO_TASKS, float_bits, has_mujoco


def tasks():
    return ["pendulum"] + (MUJOCO_TASKS if has_mujoco() else [])


@pytest.mark.parametrize("task", tasks())
def test_steps_equal_the_cpp_env_bit_for_bit(task, reference, tmp_path):
    env = usbpo.make_env(task)
    steps, seed = 400, 11
    rng = np.random.default_rng(5)
    low, high = env.action_space.low, env.action_space.high
    actions = rng.uniform(low * 1.2, high * 1.2, size=(steps, len(low))).astype(np.float32)  # some out of bounds
    actions.tofile(tmp_path / "actions.f32")
    reference("env", task, seed, tmp_path / "actions.f32", tmp_path / "out.f32")
    expected = np.fromfile(tmp_path / "out.f32", dtype=np.float32)

    got, episodes = [], 0
    obs, info = env.reset(seed=seed)
    assert info["seed"] == seed
    got.append(obs)
    for action in actions:
        obs, reward, terminated, truncated, _ = env.step(action)
        got += [obs, np.float32([reward, terminated, truncated])]
        if terminated or truncated:
            episodes += 1
            obs, _ = env.reset(seed=seed + episodes)
            got.append(obs)
    np.testing.assert_array_equal(float_bits(np.concatenate(got)), float_bits(expected))
    if task in ("pendulum", "hopper", "walker2d", "pusher"):
        assert episodes > 0  # the comparison crossed an episode's end and a reset


def test_gymnasium_calling_convention():
    env = usbpo.make_env("pendulum", seed=4)
    assert env.observation_space.shape == (3,) and env.action_space.shape == (1,)
    assert env.action_space.low.tolist() == [-2.0] and env.action_space.high.tolist() == [2.0]
    assert env.spec.max_episode_steps == env.max_episode_steps == 200 and env.unwrapped is env
    obs, info = env.reset(seed=0)
    assert isinstance(obs, np.ndarray) and obs.dtype == np.float32 and obs.shape == (3,)
    assert isinstance(info, dict)
    obs2, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert obs2.dtype == np.float32 and not np.shares_memory(obs, obs2)
    assert type(reward) is float and type(terminated) is bool and type(truncated) is bool
    assert isinstance(info, dict)
    # An episode written as for Gymnasium: 200 steps, then truncated (the time limit), never terminated.
    steps = 1
    while not (terminated or truncated):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        steps += 1
    assert (steps, terminated, truncated) == (200, False, True)


def test_seeds_reproduce_episodes():
    a, b = usbpo.make_env("pendulum", seed=9), usbpo.make_env("pendulum", seed=9)
    first = [a.reset()[0] for _ in range(3)]
    second = [b.reset()[0] for _ in range(3)]
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first[0], first[1])
    np.testing.assert_array_equal(a.reset(seed=123)[0], b.reset(seed=123)[0])
    np.testing.assert_array_equal(a.reset()[0], b.reset()[0])  # reset(seed=s) reseeds the next resets too


def test_bad_input_raises_clear_errors():
    with pytest.raises(usbpo.Error, match="unknown env 'nope'.*pendulum") as caught:
        usbpo.make_env("nope")
    assert caught.value.code == "not found"
    env = usbpo.make_env("pendulum")
    with pytest.raises(usbpo.Error, match="reset"):
        env.step(np.zeros(1, np.float32))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must have shape \(1,\), got \(2,\)"):
        env.step(np.zeros(2, np.float32))
    with pytest.raises(TypeError, match="floating-point"):
        env.step(np.zeros(1, np.int32))
    with pytest.raises(usbpo.Error, match="step"):
        env.step(np.array([np.nan], np.float32))
    with pytest.raises(ValueError, match="seed"):
        env.reset(seed=-1)
    with pytest.raises(ValueError, match="seed"):
        env.reset(seed=2**64)
    env.step(np.zeros(1, np.float32))  # still usable after the refusals


@pytest.mark.skipif(not has_mujoco(), reason="usbpo was built without MuJoCo")
def test_mujoco_task_facts():
    hopper = usbpo.make_env("hopper", seed=0)
    assert hopper.observation_space.shape == (11,) and hopper.action_space.shape == (3,)
    obs, _ = hopper.reset(seed=0)
    assert not hopper.is_terminal(obs)
    fallen = obs.copy()
    fallen[0] = 0.5  # below the height at which hopper's episode ends
    assert hopper.is_terminal(fallen)
    np.testing.assert_array_equal(usbpo.make_env("humanoid").action_space.high, np.full(17, 0.4, np.float32))
