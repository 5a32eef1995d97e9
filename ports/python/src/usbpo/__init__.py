"""usbpo from Python: train with MBPO, USB-PO, PMAC or SAC, load and run policies,
step the MuJoCo benchmark tasks, and read and write datasets.

    log = usbpo.train(env="hopper", algo="usbpo", steps=120000, out="runs/hopper")
    policy = usbpo.Policy.load("runs/hopper/policy.usbpo")
    env = usbpo.make_env("hopper", seed=0)

Arrays are NumPy float32; errors from the core raise usbpo.Error (a ValueError)
with the core's message.
"""
from ._usbpo import Error, Policy
from .datasets import load_dataset, save_dataset
from .envs import Box, Env, env_names, make_env
from .training import Trainer, train

__all__ = ["Box", "Env", "Error", "Policy", "Trainer", "env_names", "load_dataset", "make_env", "save_dataset",
           "train"]
__version__ = "0.1.0"
