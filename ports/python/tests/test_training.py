"""usbpo.train and usbpo.Trainer: the same run as `usbpo train` (options,
defaults, files), stepwise training, Ctrl-C, resume, and refusals."""
import os
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

import usbpo

# A small USB-PO run on Pendulum that still has model rounds, phase 2 and evaluations.
SMALL_USBPO = dict(start_steps=300, update_after=300, hidden=32, batch=64, epoch_length=250, eval_episodes=2,
                   updates_per_step=1, rollout_batch=500, ensemble=3, elites=2, model_hidden=32, model_layers=2,
                   model_max_epochs=20, model_batch=64, w2_batch=64, w2_max_steps=5)
SAC_PENDULUM = dict(start_steps=500, update_after=500, hidden=32, batch=32, eval_episodes=1, epoch_length=1000)
TIMING_COLUMNS = {"steps_per_s", "wall_s", "t_env_s", "t_model_s", "t_phase2_s", "t_rollouts_s", "t_sac_s"}


def cli_options(options):
    argv = []
    for key, value in options.items():
        argv += ["--" + key.replace("_", "-"), str(value)]
    return argv


def untimed_csv(path):
    """log.csv without the columns that hold times."""
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    keep = [i for i, name in enumerate(header) if name not in TIMING_COLUMNS]
    return [[line.split(",")[i] for i in keep] for line in lines]


def test_train_writes_the_run_usbpo_train_writes(tmp_path, cli):
    log = usbpo.train(env="pendulum", algo="usbpo", steps=800, out=tmp_path / "py", seed=2, progress=False,
                      **SMALL_USBPO)
    subprocess.run([cli, "train", "--env", "pendulum", "--algo", "usbpo", "--steps", "800", "--seed", "2",
                    "--out", str(tmp_path / "cli"), *cli_options(SMALL_USBPO)], check=True,
                   stderr=subprocess.DEVNULL)
    for name in ("policy.usbpo", "log.csv", "checkpoint.usbpo-ckpt", "learning_curve.svg", "model_diagnostics.svg"):
        assert (tmp_path / "py" / name).exists(), name
    assert (tmp_path / "py" / "policy.usbpo").read_bytes() == (tmp_path / "cli" / "policy.usbpo").read_bytes()
    assert untimed_csv(tmp_path / "py" / "log.csv") == untimed_csv(tmp_path / "cli" / "log.csv")
    # The returned arrays are the log's columns (log.csv prints them to 6 digits).
    table = np.genfromtxt(tmp_path / "py" / "log.csv", delimiter=",", names=True)
    assert set(log) == set(table.dtype.names)
    for name in table.dtype.names:
        np.testing.assert_allclose(log[name], table[name], rtol=1e-5, atol=1e-12, equal_nan=True, err_msg=name)
    assert np.isfinite(log["model_shift"]).sum() >= 1 and np.isfinite(log["eval_return"]).sum() == 4


def test_the_cli_resumes_a_run_started_in_python(tmp_path, cli):
    usbpo.train(env="pendulum", algo="sac", steps=700, out=tmp_path / "run", seed=1, progress=False, **SAC_PENDULUM)
    subprocess.run([cli, "train", "--resume", str(tmp_path / "run"), "--steps", "1200"], check=True,
                   stderr=subprocess.DEVNULL)
    subprocess.run([cli, "train", "--env", "pendulum", "--algo", "sac", "--steps", "1200", "--seed", "1",
                    "--out", str(tmp_path / "straight"), *cli_options(SAC_PENDULUM)], check=True,
                   stderr=subprocess.DEVNULL)
    assert (tmp_path / "run" / "policy.usbpo").read_bytes() == (tmp_path / "straight" / "policy.usbpo").read_bytes()
    assert untimed_csv(tmp_path / "run" / "log.csv") == untimed_csv(tmp_path / "straight" / "log.csv")


def test_ctrl_c_writes_the_checkpoint_and_the_run_resumes_bit_for_bit(tmp_path):
    steps = 3000
    straight = usbpo.train(env="pendulum", algo="sac", steps=steps, out=tmp_path / "straight", seed=4,
                           progress=False, **SAC_PENDULUM)
    run = tmp_path / "run"
    log_file = run / "log.csv"

    def interrupt_once_running():  # Ctrl-C after 4 episodes are logged, i.e. in the middle of the run
        while not log_file.exists() or len(log_file.read_text().splitlines()) < 5:
            time.sleep(0.005)
        os.kill(os.getpid(), signal.SIGINT)

    sender = threading.Thread(target=interrupt_once_running)
    sender.start()
    with pytest.raises(KeyboardInterrupt):
        usbpo.train(env="pendulum", algo="sac", steps=steps, out=run, seed=4, progress=False, **SAC_PENDULUM)
    sender.join()
    for name in ("checkpoint.usbpo-ckpt", "policy.usbpo", "log.csv", "learning_curve.svg"):
        assert (run / name).exists(), name
    with usbpo.Trainer(resume=run, steps=steps) as trainer:
        stopped_at = trainer.progress["env_steps"]
        assert 800 <= stopped_at < steps
        assert trainer.checkpoint_step == stopped_at
        resumed = trainer.run(progress=False)
    assert (run / "policy.usbpo").read_bytes() == (tmp_path / "straight" / "policy.usbpo").read_bytes()
    for name in straight:
        if name not in TIMING_COLUMNS:  # rows before the interrupt come back from log.csv at 6 digits
            np.testing.assert_allclose(resumed[name], straight[name], rtol=1e-5, equal_nan=True, err_msg=name)


def test_ctrl_c_in_a_with_block_of_steps_writes_the_checkpoint(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with usbpo.Trainer("pendulum", "sac", steps=2000, out=tmp_path / "run", **SAC_PENDULUM) as trainer:
            for _ in range(2000):
                if trainer.step()["env_steps"] == 321:
                    raise KeyboardInterrupt  # as Python raises it when Ctrl-C lands between two steps
    assert trainer.finished and trainer.checkpoint_step == 321
    with usbpo.Trainer(resume=tmp_path / "run", steps=2000) as resumed:
        assert resumed.progress["env_steps"] == 321


def test_trainer_steps_evaluates_and_exports(tmp_path):
    with usbpo.Trainer("pendulum", "sac", steps=1200, out=tmp_path / "run", seed=0, **SAC_PENDULUM) as trainer:
        assert (trainer.env_name, trainer.algorithm, trainer.steps, trainer.seed) == ("pendulum", "sac", 1200, 0)
        assert trainer.out == str(tmp_path / "run") and trainer.arena_bytes > 0
        assert "--hidden" in trainer.options
        reports = [trainer.step() for _ in range(1000)]
        assert [r["env_steps"] for r in reports] == list(range(1, 1001))
        assert [r["env_steps"] for r in reports if "eval_return" in r] == [1000]
        assert sum(r["episode_finished"] for r in reports) == 5  # 200-step episodes
        assert reports[-1]["gradient_updates"] == 501
        policy = trainer.policy()
        assert (policy.task, policy.env_steps) == ("pendulum", 1000)
        assert (tmp_path / "run" / "policy.usbpo").read_bytes() == trainer.policy_bytes()  # written at the epoch's end
        mean = trainer.evaluate(2)
        assert isinstance(mean, float) and -2000 < mean <= 0
        path = trainer.save_checkpoint(tmp_path / "extra.usbpo-ckpt")
        assert os.path.getsize(path) > 10000
        trainer.save_dataset(tmp_path / "real.usbpo-data")
        assert usbpo.load_dataset(tmp_path / "real.usbpo-data")["obs"].shape == (1000, 3)
        log = trainer.run(progress=False)  # the remaining 200 steps, then the end of the run
        assert trainer.finished and log["env_steps"][-1] == 1200
        with pytest.raises(usbpo.Error, match="finished"):
            trainer.step()
    # The lock is released: the directory takes a new run with overwrite=True.
    usbpo.train(env="pendulum", steps=10, out=tmp_path / "run", overwrite=True, progress=False)


def test_options_are_the_cli_options_with_its_checks(tmp_path):
    def refused(match, **options):
        with pytest.raises(usbpo.Error, match=match) as caught:
            usbpo.Trainer(out=tmp_path / "refused", **options)
        assert not (tmp_path / "refused" / "log.csv").exists()
        return caught.value

    assert refused("unknown option start_stepz=", env="pendulum", start_stepz=3).code == "invalid argument"
    refused("lr=", env="pendulum", lr=-1.0)
    refused("rollout_batch= does not apply to algo= sac", env="pendulum", algo="sac", rollout_batch=10)
    refused("unknown algo= 'ppo'", env="pendulum", algo="ppo")
    refused("unknown env 'nope'", env="nope")
    refused("threads= must be between 1 and", env="pendulum", threads=0)
    refused("must be >= the SAC batch", env="pendulum", update_after=10, batch=64)
    with pytest.raises(TypeError, match="hidden="):
        usbpo.Trainer("pendulum", hidden=True)
    usbpo.train(env="pendulum", steps=5, out=tmp_path / "taken", progress=False)
    with pytest.raises(usbpo.Error, match="already holds a run.*overwrite="):
        usbpo.Trainer("pendulum", steps=5, out=tmp_path / "taken")
    with usbpo.Trainer("pendulum", steps=5, out=tmp_path / "locked"):
        with pytest.raises(usbpo.Error, match="lock|held|running"):
            usbpo.Trainer("pendulum", steps=5, out=tmp_path / "locked", overwrite=True)


def test_defaults_are_the_cli_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with usbpo.Trainer() as trainer:  # usbpo train without options: SAC on Pendulum
        assert (trainer.env_name, trainer.algorithm, trainer.steps, trainer.seed) == ("pendulum", "sac", 15000, 0)
        assert trainer.out == "runs/pendulum-sac-0" and (tmp_path / trainer.out).is_dir()
        assert trainer.threads == len(os.sched_getaffinity(0))
