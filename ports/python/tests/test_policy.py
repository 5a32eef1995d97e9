"""usbpo.Policy: the same actions as the C++ runtime, bit for bit; metadata;
errors for every kind of bad input."""
import numpy as np
import pytest

import usbpo
from conftest import float_bits


def random_observations(policy, rows, seed=0):
    rng = np.random.default_rng(seed)
    scale = np.exp(rng.uniform(-3, 3, size=(rows, 1)))  # small and large magnitudes
    return (rng.standard_normal((rows, policy.obs_dim)) * scale).astype(np.float32)


def test_act_equals_the_cpp_runtime_bit_for_bit(hopper_policy, reference, tmp_path):
    policy = usbpo.Policy.load(str(hopper_policy))
    obs = random_observations(policy, 1000)
    obs.tofile(tmp_path / "obs.f32")
    reference("policy", hopper_policy, tmp_path / "obs.f32", tmp_path / "act.f32")
    expected = np.fromfile(tmp_path / "act.f32", dtype=np.float32).reshape(1000, policy.act_dim)
    batch = policy.act(obs)
    one_by_one = np.stack([policy.act(row) for row in obs])
    assert batch.dtype == np.float32 and batch.shape == (1000, policy.act_dim)
    np.testing.assert_array_equal(float_bits(batch), float_bits(expected))
    np.testing.assert_array_equal(float_bits(one_by_one), float_bits(expected))
    assert np.all(batch >= policy.action_low) and np.all(batch <= policy.action_high)
    assert len(np.unique(batch[:, 0])) > 100  # the actions depend on the observations


def test_load_from_bytes_and_paths_alike(hopper_policy):
    blob = hopper_policy.read_bytes()
    obs = random_observations(usbpo.Policy.load(blob), 20)
    results = [usbpo.Policy.load(source).act(obs)
               for source in (blob, bytearray(blob), memoryview(blob), np.frombuffer(blob, np.uint8),
                              str(hopper_policy), hopper_policy)]
    for result in results[1:]:
        np.testing.assert_array_equal(float_bits(result), float_bits(results[0]))


def test_metadata(hopper_policy):
    policy = usbpo.Policy.load(hopper_policy)
    assert policy.task in ("hopper", "pendulum")
    assert policy.algorithm == "sac"
    assert policy.env_steps == 300
    expected_dims = (11, 3) if policy.task == "hopper" else (3, 1)
    assert (policy.obs_dim, policy.act_dim) == expected_dims
    assert policy.action_low.dtype == np.float32 and policy.action_low.shape == (policy.act_dim,)
    assert np.all(policy.action_low < policy.action_high)
    with pytest.raises(ValueError):
        policy.action_low[0] = 5  # a read-only view of the loaded policy
    assert policy.task in repr(policy)


def test_out_receives_the_actions_without_a_new_array(hopper_policy):
    policy = usbpo.Policy.load(hopper_policy)
    obs = random_observations(policy, 8)
    out = np.empty((8, policy.act_dim), np.float32)
    returned = policy.act(obs, out=out)
    assert returned is out
    np.testing.assert_array_equal(out, policy.act(obs))
    one = np.empty(policy.act_dim, np.float32)
    assert policy.act(obs[0], out=one) is one
    np.testing.assert_array_equal(one, out[0])


def test_other_float_layouts_give_the_same_actions(hopper_policy):
    policy = usbpo.Policy.load(hopper_policy)
    obs = random_observations(policy, 16)
    expected = policy.act(obs)
    np.testing.assert_array_equal(policy.act(obs.astype(np.float64)), expected)   # converted
    np.testing.assert_array_equal(policy.act(np.asfortranarray(obs)), expected)   # made C-ordered
    wide = np.zeros((16, 2 * policy.obs_dim), np.float32)
    wide[:, ::2] = obs
    np.testing.assert_array_equal(policy.act(wide[:, ::2]), expected)             # strided
    np.testing.assert_array_equal(policy.act(obs[3].tolist()), expected[3])       # a list
    assert policy.act(np.zeros((0, policy.obs_dim), np.float32)).shape == (0, policy.act_dim)


def test_bad_observations_raise_clear_errors(hopper_policy):
    policy = usbpo.Policy.load(hopper_policy)
    n = policy.obs_dim
    with pytest.raises(ValueError, match=rf"obs must have shape \({n},\) or \(N, {n}\).*got \({n + 1},\)"):
        policy.act(np.zeros(n + 1, np.float32))
    with pytest.raises(ValueError, match="got"):
        policy.act(np.zeros((2, 3, n), np.float32))
    with pytest.raises(ValueError, match="got"):
        policy.act(np.float32(1.0))
    with pytest.raises(TypeError, match="floating-point"):
        policy.act(np.zeros(n, np.int64))
    with pytest.raises(TypeError, match="floating-point"):
        policy.act(np.zeros(n, np.complex64))
    with pytest.raises(TypeError, match="floating-point"):
        policy.act(["a"] * n)
    with pytest.raises(TypeError):
        policy.act(None)
    bad = np.zeros((5, n), np.float32)
    bad[3, 1] = np.nan
    with pytest.raises(usbpo.Error, match="observation 3") as caught:
        policy.act(bad)
    assert caught.value.code == "non-finite value"
    with pytest.raises(usbpo.Error, match="non-finite|NaN|Inf"):
        policy.act(np.full(n, np.inf, np.float32))
    with pytest.raises(TypeError, match="out must be a float32"):
        policy.act(np.zeros(n, np.float32), out=np.zeros(policy.act_dim, np.float64))
    with pytest.raises(ValueError, match="out must have shape"):
        policy.act(np.zeros(n, np.float32), out=np.zeros(policy.act_dim + 1, np.float32))
    with pytest.raises(ValueError, match="writable"):
        policy.act(np.zeros(n, np.float32), out=policy.action_low)


def test_corrupt_files_are_refused_never_crash(hopper_policy, tmp_path):
    blob = bytearray(hopper_policy.read_bytes())
    rng = np.random.default_rng(7)
    for position in rng.choice(len(blob), 200, replace=False):  # one flipped bit each
        flipped = bytearray(blob)
        flipped[position] ^= 1 << int(rng.integers(8))
        with pytest.raises(usbpo.Error, match="truncated or corrupt") as caught:
            usbpo.Policy.load(bytes(flipped))
        assert caught.value.code == "corrupt data"
    for length in (0, 1, 15, 16, 100, len(blob) // 2, len(blob) - 1):
        with pytest.raises(usbpo.Error):
            usbpo.Policy.load(bytes(blob[:length]))
    with pytest.raises(usbpo.Error):
        usbpo.Policy.load(bytes(blob) + b"\0")
    with pytest.raises(usbpo.Error):
        usbpo.Policy.load(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(usbpo.Error, match="no-such-file") as caught:
        usbpo.Policy.load(str(tmp_path / "no-such-file.usbpo"))
    assert caught.value.code == "i/o error"
    with pytest.raises(usbpo.Error):
        usbpo.Policy.load(str(tmp_path))  # a directory
    with pytest.raises(TypeError, match="path .* or bytes"):
        usbpo.Policy.load(42)
    assert isinstance(usbpo.Error("x"), ValueError)
