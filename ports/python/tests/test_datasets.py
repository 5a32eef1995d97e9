"""Dataset files as arrays: round trips, files the trainer takes, and refusals."""
import numpy as np
import pytest

import usbpo


def transitions(n=50, obs_dim=3, act_dim=1, seed=0):
    rng = np.random.default_rng(seed)
    return dict(obs=rng.standard_normal((n, obs_dim)).astype(np.float32),
                act=rng.uniform(-1, 1, (n, act_dim)).astype(np.float32),
                reward=rng.standard_normal(n).astype(np.float32),
                next_obs=rng.standard_normal((n, obs_dim)).astype(np.float32),
                terminal=rng.random(n) < 0.1)


def test_round_trip_is_exact(tmp_path):
    data = transitions()
    path = tmp_path / "d.usbpo-data"
    assert usbpo.save_dataset(path, "pendulum", **data) is None
    loaded = usbpo.load_dataset(path)
    assert loaded["env"] == "pendulum"
    for key in ("obs", "act", "reward", "next_obs"):
        assert loaded[key].dtype == np.float32
        np.testing.assert_array_equal(loaded[key], data[key])
    assert loaded["terminal"].dtype == np.bool_
    np.testing.assert_array_equal(loaded["terminal"], data["terminal"])
    assert path.read_bytes() == usbpo.save_dataset(None, "pendulum", **data)  # bytes when no path
    np.testing.assert_array_equal(usbpo.load_dataset(path.read_bytes())["obs"], data["obs"])


def test_a_dataset_from_python_starts_a_run(tmp_path):
    env = usbpo.make_env("pendulum", seed=0)
    obs, _ = env.reset(seed=0)
    rows = {k: [] for k in ("obs", "act", "reward", "next_obs", "terminal")}
    rng = np.random.default_rng(1)
    for _ in range(400):
        act = rng.uniform(-1, 1, 1).astype(np.float32)  # in [-1, 1]; the env takes it scaled to +-2
        next_obs, reward, terminated, truncated, _ = env.step(act * 2)
        for key, value in zip(rows, (obs, act, reward, next_obs, terminated)):
            rows[key].append(value)
        obs = env.reset()[0] if terminated or truncated else next_obs
    usbpo.save_dataset(tmp_path / "robot.usbpo-data", "pendulum", **{k: np.array(v) for k, v in rows.items()})
    log = usbpo.train(env="pendulum", algo="sac", steps=700, out=tmp_path / "run", progress=False,
                      init_dataset=tmp_path / "robot.usbpo-data", start_steps=500, update_after=500, hidden=16,
                      batch=32, epoch_length=700, eval_episodes=1, save_dataset=tmp_path / "all.usbpo-data")
    assert log["env_steps"][-1] == 700
    everything = usbpo.load_dataset(tmp_path / "all.usbpo-data")
    assert len(everything["reward"]) == 1100  # the 400 logged transitions, then the run's 700
    np.testing.assert_array_equal(everything["obs"][:400], np.array(rows["obs"], np.float32))


def test_bad_datasets_are_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "d.usbpo-data"
    data = transitions()
    outside = dict(data, act=data["act"] * 1.5)
    with pytest.raises(usbpo.Error, match=r"outside \[-1, 1\]"):
        usbpo.save_dataset(path, "pendulum", **outside)
    nan = dict(data, reward=np.where(np.arange(50) == 7, np.nan, data["reward"]))
    with pytest.raises(usbpo.Error, match="non-finite|NaN"):
        usbpo.save_dataset(path, "pendulum", **nan)
    with pytest.raises(ValueError, match=r"next_obs must have shape \(50, 3\)"):
        usbpo.save_dataset(path, "pendulum", **dict(data, next_obs=data["next_obs"][:49]))
    with pytest.raises(ValueError, match="0/1"):
        usbpo.save_dataset(path, "pendulum", **dict(data, terminal=np.full(50, 2)))
    with pytest.raises(TypeError, match="terminal"):
        usbpo.save_dataset(path, "pendulum", **dict(data, terminal=np.zeros(50, np.float32)))
    with pytest.raises(TypeError, match="floating-point"):
        usbpo.save_dataset(path, "pendulum", **dict(data, obs=data["obs"].astype(np.int32)))
    with pytest.raises(ValueError, match="env"):
        usbpo.save_dataset(path, "", **data)
    with pytest.raises(usbpo.Error):
        usbpo.save_dataset(tmp_path, "pendulum", **data)  # a directory
    assert not path.exists()

    blob = bytearray(usbpo.save_dataset(None, "pendulum", **data))
    for position in range(0, len(blob), 7):
        flipped = bytearray(blob)
        flipped[position] ^= 0x10
        with pytest.raises(usbpo.Error, match="truncated or corrupt|not a usbpo dataset file"):
            usbpo.load_dataset(bytes(flipped))
    with pytest.raises(usbpo.Error):
        usbpo.load_dataset(bytes(blob[:-1]))
    with pytest.raises(usbpo.Error):
        usbpo.load_dataset(b"")
    with pytest.raises(TypeError):
        usbpo.load_dataset(1.5)
