"""Training from Python: usbpo.train (a whole run, as `usbpo train`) and
usbpo.Trainer (the same run one step at a time, for notebooks)."""
import copy
import os
import re
import sys

import numpy as np

from . import _usbpo
from .envs import Env


def _option_list(options):
    """Keyword options as `usbpo train` options: lr=1e-3 -> ['--lr', '0.001']."""
    argv = []
    for key, value in options.items():
        if value is None:
            continue
        flag = "--" + key.replace("_", "-")
        if key == "overwrite":
            if not isinstance(value, bool):
                raise TypeError(f"overwrite= takes True or False, not {value!r}")
            if value:
                argv.append(flag)
            continue
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{key}= takes a number or a name, not {value!r}")
        if isinstance(value, (float, np.floating)):
            value = repr(float(value))
        elif isinstance(value, (int, np.integer)):
            value = str(int(value))
        elif isinstance(value, os.PathLike):
            value = os.fspath(value)
        elif not isinstance(value, str):
            raise TypeError(f"{key}= takes a number or a name, not {type(value).__name__}")
        argv += [flag, value]
    return argv


def _python_spelling(message):
    """The CLI's '--start-steps' as this API spells it: 'start_steps='."""
    return re.sub(r"--([a-z][a-z0-9-]*)", lambda m: m.group(1).replace("-", "_") + "=", message)


def _is_env_object(obj):
    return hasattr(obj, "reset") and hasattr(obj, "step") and not isinstance(obj, type)


def _resolve_envs(env, eval_env):
    """(built-in name or None, mjcf or None, Python env, Python eval env)."""
    if env is None or isinstance(env, str):
        if eval_env is not None:
            raise ValueError("eval_env= goes with a Python env; a built-in task makes its own evaluation env")
        return env, None, None, None
    if isinstance(env, Env):  # a built-in task: the trainer makes its own instances in C++
        return env.name, env.mjcf, None, None
    if not _is_env_object(env) and callable(env):  # a class or factory: one instance each
        env, eval_env = env(), env() if eval_env is None else eval_env
    if not _is_env_object(env):
        raise TypeError("env must be a task name, a usbpo.Env, an object with Gymnasium's reset() and step(), "
                        f"or a callable that makes one; got {type(env).__name__}")
    if eval_env is None:
        try:
            eval_env = copy.deepcopy(env)
        except Exception as error:
            raise TypeError("the env could not be copied for evaluation; give eval_env= (a second instance) "
                            f"or pass the class or a factory as env= ({error})") from error
    if eval_env is env:
        raise ValueError("eval_env must be a separate instance (evaluation would cut training episodes)")
    return None, None, env, eval_env


class Trainer:
    """A `usbpo train` run, one step at a time.

    Trainer(env, algo, steps=..., out=..., **options) takes the options of
    `usbpo train` as keywords (start_steps=1000, lr=1e-3, hidden=64, seed=0,
    overwrite=True, ...; `usbpo train --help` lists them), with the same
    defaults per task and algorithm, the same checks and the same run directory
    (out, by default runs/<env>-<algo>-<seed>): log.csv, the plots,
    checkpoint.usbpo-ckpt (every epoch and at the end) and policy.usbpo.
    Built-in tasks' runs continue with `usbpo train --resume` and Trainer(resume=DIR).

    env: a task name ('hopper'), a usbpo.Env, or a Python env with Gymnasium's
    reset()/step() (then also eval_env=, a second instance, unless env is a
    class or factory or can be deep-copied).
    """

    def __init__(self, env=None, algo=None, *, steps=None, out=None, eval_env=None, resume=None, **options):
        name, mjcf, python_env, python_eval_env = _resolve_envs(env, eval_env)
        try:
            if resume is not None:
                if name is not None or algo is not None or out is not None or mjcf is not None:
                    raise _usbpo.Error("resume= continues a run with its own env, algo, out and options; give "
                                       "only steps, checkpoint_every, max_memory and threads (and a Python "
                                       "env's instances)")
                pairs = []
                for key, value in _option_pairs(dict(options, steps=steps)):
                    pairs += [key, value]
                self._run = _usbpo._Trainer(pairs, python_env, python_eval_env, os.fspath(resume))
            else:
                args = _option_list(dict(env=name, mjcf=mjcf, algo=algo, steps=steps, out=out, **options))
                self._run = _usbpo._Trainer(args, python_env, python_eval_env, None)
        except _usbpo.Error as error:
            raised = _usbpo.Error(_python_spelling(str(error)))
            raised.code = getattr(error, "code", "invalid argument")
            raise raised from None

    def step(self):
        """One env step with its updates (and the evaluation, policy file and checkpoint when due).

        Ctrl-C between steps raises KeyboardInterrupt and leaves the trainer as it was after its last
        step; inside `with usbpo.Trainer(...) as trainer:` leaving the block that way writes the
        checkpoint, policy and plots as an interrupted `usbpo train` does.

        Returns the progress as a dict (env_steps, episodes, last_episode_return,
        episode_finished, epoch_finished, model_round, ...; eval_return when this
        step ended an epoch).
        """
        return self._run.step()

    def run(self, until=None, progress=True):
        """Train with the GIL released until env step `until`, or to the end of the run and finish() it.

        Ctrl-C (KeyboardInterrupt) stops it as it stops `usbpo train`: the
        checkpoint, policy, plots and log are written, then KeyboardInterrupt is
        raised. Returns the log (see log).
        """
        callback = _print_evaluation if progress else None
        self._run.run(-1 if until is None else int(until), callback)
        if until is None:
            self.finish()
            if progress:
                _print_summary(self)
        return self.log

    def finish(self, interrupted=False):
        """End the run as `usbpo train` ends one: checkpoint, a last evaluation when mid-epoch (not when
        interrupted), policy, plots, log and save_dataset=. Nothing happens when it has ended already."""
        self._run.finish(interrupted)

    def evaluate(self, episodes=None):
        """Mean return of deterministic episodes on the evaluation env (eval_episodes by default); not logged."""
        return self._run.evaluate(episodes)

    def save_checkpoint(self, path=None):
        """Write a checkpoint (to the run directory's by default); returns its path."""
        return self._run.save_checkpoint(path)

    def policy_bytes(self):
        """The current actor as a policy file (bytes), for usbpo.Policy.load or the C++ runtime."""
        return self._run.policy_bytes()

    def policy(self):
        """The current actor as a usbpo.Policy."""
        return _usbpo.Policy.load(self.policy_bytes())

    def save_dataset(self, path):
        """Write the real transitions so far as a dataset file."""
        self._run.save_dataset(path)

    @property
    def log(self):
        """The run's log as arrays: log.csv's columns (env_steps, episode_return, eval_return, critic_loss,
        model_holdout_mse, ...), one entry per row, NaN where a row does not fill a column."""
        return self._run.log

    @property
    def progress(self):
        return self._run.progress

    def __getattr__(self, name):  # env_name, algorithm, steps, seed, out, threads, options, arena_bytes, ...
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._run, name)

    def close(self):
        """Release the run directory (its lock) and close the log."""
        self._run.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        # Ctrl-C in a `with` block that steps the trainer ends the run as `usbpo train` ends an
        # interrupted one (checkpoint, policy, plots); KeyboardInterrupt then goes on.
        try:
            if exc_type is not None and issubclass(exc_type, KeyboardInterrupt) and not self._run.finished:
                self.finish(interrupted=True)
        finally:
            self.close()
        return False

    def __repr__(self):
        if "_run" not in self.__dict__:
            return "<usbpo.Trainer (not started)>"
        p = self._run.progress
        return (f"<usbpo.Trainer {self._run.env_name} {self._run.algorithm} env step {p['env_steps']} of "
                f"{self._run.steps} -> {self._run.out}>")


def _option_pairs(options):
    argv = _option_list(options)
    return [(argv[i][2:], argv[i + 1]) for i in range(0, len(argv), 2)]


def _print_evaluation(p):
    print(f"usbpo: env step {p['env_steps']}/{p['steps']}  eval return {p['eval_return']:.1f}  "
          f"last episode {p['last_episode_return']:.1f}  {p['wall_s']:.1f} s", flush=True)


def _print_summary(trainer):
    p = trainer.progress
    print(f"usbpo: done after {p['env_steps']} env steps in {p['wall_s']:.1f} s; last evaluation return "
          f"{p['last_eval_return']:.1f}; run in {trainer.out} (checkpoint at env step {trainer.checkpoint_step})",
          flush=True)


def train(env=None, algo=None, *, steps=None, out=None, eval_env=None, resume=None, progress=True, **options):
    """Run `usbpo train` from Python and return its log as arrays.

    usbpo.train(env="hopper", algo="usbpo", steps=120000, out="runs/hopper", seed=0)
    takes every `usbpo train` option as a keyword (underscores for dashes) with
    the same per-task defaults and checks, writes the same run directory, and
    returns a dict of NumPy arrays with log.csv's columns. env may also be a
    Python env (see Trainer). Ctrl-C writes the checkpoint and raises
    KeyboardInterrupt; train(resume=DIR, steps=N) continues a run.
    """
    with Trainer(env, algo, steps=steps, out=out, eval_env=eval_env, resume=resume, **options) as trainer:
        return trainer.run(progress=progress)
