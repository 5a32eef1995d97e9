"""Dataset files (.usbpo-data): real transitions to start training from
(usbpo.train(..., init_dataset=PATH)), as NumPy arrays."""
import numpy as np

from . import _usbpo


def load_dataset(path_or_bytes):
    """Read a dataset file (a path or its bytes), verified as the trainer verifies it.

    Returns a dict: env (the task's name), obs (N, obs_dim), act (N, act_dim, in
    [-1, 1] before scaling to the env's bounds), reward (N,), next_obs
    (N, obs_dim), all float32, and terminal (N,) bool.
    """
    return _usbpo._load_dataset(path_or_bytes)


def save_dataset(path, env, obs, act, reward, next_obs, terminal):
    """Write transitions as a dataset file (atomically), or return its bytes when path is None.

    env names the task they come from; act holds the policy's actions in [-1, 1]
    (before scaling to the env's bounds); terminal is 1/True only for true ends
    (not time limits). The file is written only when every check a reader makes
    passes (finite values, actions in range, shapes).
    """
    flags = np.asarray(terminal)
    if flags.dtype != np.bool_ and not np.issubdtype(flags.dtype, np.integer):
        raise TypeError(f"terminal must hold booleans or integers 0/1, not {flags.dtype}")
    if flags.size and not np.isin(flags, (0, 1)).all():
        raise ValueError("terminal must hold only 0/1 (or booleans)")
    return _usbpo._save_dataset(path, env, obs, act, reward, next_obs, flags.astype(np.uint8))
