#!/usr/bin/env python3
"""Cross-check `usbpo report` against SciPy and NumPy on fixed data.

usage: crosscheck.py USBPO_BINARY SCRATCH_DIR

Builds run directories (three tiny real `usbpo train` runs, whose identity comes
from their checkpoints or policy file, and synthetic logs with a config.yaml,
drawn from a fixed NumPy seed), runs `usbpo report` on them and recomputes every
number of report.csv, runs.csv and improvement.csv independently from the logs:
means and sample std with NumPy, the IQM with scipy.stats.trim_mean(x, 0.25),
P(X > Y) with scipy.stats.mannwhitneyu, the bootstrap intervals exactly from
the draws usbpo exports (NumPy percentile of the recomputed statistics) and
statistically against scipy.stats.bootstrap(method='percentile'). Prints
"FAIL: ..." and exits 1 on the first mismatch.
"""
import csv
import os
import shutil
import subprocess
import sys

import numpy as np
from scipy import stats

LOG_COLUMNS = None  # taken from a real run's log.csv, so the synthetic logs look alike
PAPER = {("hopper", "usbpo"): 3694.0, ("hopper", "mbpo"): 3436.0,
         ("inverted_pendulum", "usbpo"): 1000.0, ("inverted_pendulum", "mbpo"): 1000.0}
LAST = 3
AT = [5000, 15000, 20000]


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def close(a, b, what, rel=1e-9, abs_tol=1e-6):
    if np.isnan(a) and np.isnan(b):
        return
    if not np.isclose(a, b, rtol=rel, atol=abs_tol):
        fail(f"{what}: usbpo {a!r}, reference {b!r}")


def number(cell):
    return float(cell) if cell != "" else float("nan")


def run(cmd, expect_ok=True):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if expect_ok and result.returncode != 0:
        fail(f"{' '.join(cmd)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def write_synthetic_run(path, env, algo, seed, steps, returns, config_text=None):
    os.makedirs(path)
    with open(os.path.join(path, "log.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(LOG_COLUMNS)
        empty = [""] * len(LOG_COLUMNS)
        for k, (s, r) in enumerate(zip(steps, returns)):
            episode = list(empty)  # a training-episode row between evaluations, as real logs have
            episode[LOG_COLUMNS.index("env_steps")] = "%.6g" % (s - 1)
            episode[LOG_COLUMNS.index("episode_return")] = "%.6g" % (r - 50)
            w.writerow(episode)
            row = list(empty)
            row[LOG_COLUMNS.index("env_steps")] = "%.6g" % s
            row[LOG_COLUMNS.index("episode")] = str(k)
            row[LOG_COLUMNS.index("eval_return")] = "%.6g" % r
            w.writerow(row)
    if config_text is None:
        config_text = f"# written by the cross-check\nenv: {env}\nalgo: '{algo}'\nseed: {seed}  # the seed\n"
        config_text += "options:\n  steps: 20000\n"
    with open(os.path.join(path, "config.yaml"), "w") as f:
        f.write(config_text)


def make_runs(usbpo, root):
    """Returns {dir: (env, algo, seed)} of the runs the report should use."""
    global LOG_COLUMNS
    expected = {}
    real = os.path.join(root, "real")
    for seed in (0, 1, 7):
        out = os.path.join(real, f"pendulum-sac-{seed}")
        run([usbpo, "train", "--env", "pendulum", "--steps", "600", "--epoch-length", "100", "--eval-episodes", "1",
             "--seed", str(seed), "--out", out])
        expected[out] = ("pendulum", "sac", str(seed))
    # Without its checkpoint the run is named by its policy file and its directory's name.
    os.remove(os.path.join(real, "pendulum-sac-7", "checkpoint.usbpo-ckpt"))
    with open(os.path.join(real, "pendulum-sac-0", "log.csv")) as f:
        LOG_COLUMNS = next(csv.reader(f))

    rng = np.random.default_rng(20240611)
    synthetic = os.path.join(root, "sweep")
    plan = {  # env: {algo: (seeds, last step of each seed or None for all at the end)}
        "hopper": {"usbpo": 5, "mbpo": 4, "sac": 1},
        "inverted_pendulum": {"usbpo": 3, "mbpo": 3},
        "walker2d": {"usbpo": 7, "mbpo": 6},
    }
    for env, algos in plan.items():
        for algo, seeds in algos.items():
            for seed in range(seeds):
                path = os.path.join(synthetic, env, f"{algo}-seed{seed}")
                end = 15000 if (env == "hopper" and algo == "mbpo" and seed == 3) else 20000
                steps = np.arange(1000, end + 1, 1000)
                if env == "inverted_pendulum":
                    # Saturates at 1000: ties between algorithms.
                    returns = np.minimum(1000.0, np.round(steps / 2500 * 1000 * rng.uniform(0.8, 1.2)))
                    if algo == "mbpo" and seed == 2:
                        returns[-1] = 987.5
                else:
                    scale = {"usbpo": 180.0, "mbpo": 160.0, "sac": 60.0}[algo]
                    returns = np.cumsum(rng.normal(scale * 1000 / 1000, 120.0, size=len(steps))) + 30
                write_synthetic_run(path, env, algo, seed, steps, returns)
                expected[path] = (env, algo, str(seed))
    # Unusable runs: skipped with a warning naming the directory.
    broken = os.path.join(synthetic, "broken", "garbage")
    os.makedirs(broken)
    with open(os.path.join(broken, "log.csv"), "w") as f:
        f.write("not,a,usbpo,log\n1,2,3,4\n")
    nameless = os.path.join(synthetic, "broken", "nameless")
    write_synthetic_run(nameless, "hopper", "usbpo", 9, [1000], [1.0], config_text="# nothing useful\n")
    return expected, [broken, nameless]


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def eval_curve(log_path):
    """The evaluation rows of a log.csv, read independently of usbpo."""
    steps, returns = [], []
    for row in read_csv(log_path):
        if row["eval_return"] != "":
            steps.append(float(row["env_steps"]))
            returns.append(float(row["eval_return"]))
    return np.array(steps), np.array(returns)


def iqm(x, axis=None):
    return stats.trim_mean(x, 0.25, axis=axis)


def p_improvement(x, y):
    return stats.mannwhitneyu(x, y).statistic / (len(x) * len(y))


def main():
    if len(sys.argv) != 3:
        fail("usage: crosscheck.py USBPO_BINARY SCRATCH_DIR")
    usbpo, scratch = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    root = os.path.join(scratch, "runs")
    expected, unusable = make_runs(usbpo, root)

    out = os.path.join(scratch, "report")
    draws_path = os.path.join(scratch, "draws.csv")
    at = ",".join(str(s) for s in AT)
    result = run([usbpo, "report", os.path.join(root, "real"), os.path.join(root, "sweep"), "--out", out, "--at", at,
                  "--last", str(LAST), "--save-draws", draws_path])
    for path in unusable:
        if path not in result.stderr:
            fail(f"no warning names the unusable run {path}:\n{result.stderr}")

    # Per run: identity and statistics from its own log.
    runs = read_csv(os.path.join(out, "runs.csv"))
    if sorted(r["dir"] for r in runs) != sorted(expected):
        fail(f"runs found {sorted(r['dir'] for r in runs)}, expected {sorted(expected)}")
    curves, groups = {}, {}
    for r in runs:
        if (r["env"], r["algorithm"], r["seed"]) != expected[r["dir"]]:
            fail(f"{r['dir']}: identity {(r['env'], r['algorithm'], r['seed'])}, expected {expected[r['dir']]}")
        steps, returns = eval_curve(os.path.join(r["dir"], "log.csv"))
        curves[r["dir"]] = (steps, returns)
        close(number(r["max_return"]), returns.max(), f"{r['dir']} max_return")
        close(number(r["final_return"]), returns[-LAST:].mean(), f"{r['dir']} final_return")
        close(number(r["last_eval_steps"]), steps[-1], f"{r['dir']} last_eval_steps")
        groups.setdefault((r["env"], r["algorithm"]), []).append(r)
    source = {r["dir"]: r["source"] for r in runs}
    if source[os.path.join(root, "real", "pendulum-sac-0")] != "checkpoint" or \
            source[os.path.join(root, "real", "pendulum-sac-7")] != "policy":
        fail(f"identity sources {source}")
    final = {}
    for key, members in groups.items():
        members.sort(key=lambda r: int(r["group_index"]))
        if [int(r["group_index"]) for r in members] != list(range(len(members))):
            fail(f"{key}: group indices {[r['group_index'] for r in members]}")
        final[key] = np.array([curves[r["dir"]][1][-LAST:].mean() for r in members])

    # Per (env, algorithm): NumPy / SciPy on the same per-run values.
    draws = {}
    for d in read_csv(draws_path):
        draws.setdefault((d["env"], d["algorithm"]), []).append([int(i) for i in d["group_indices"].split()])
    report = read_csv(os.path.join(out, "report.csv"))
    if sorted((g["env"], g["algorithm"]) for g in report) != sorted(groups):
        fail(f"report.csv groups {[(g['env'], g['algorithm']) for g in report]}")
    for g in report:
        key = (g["env"], g["algorithm"])
        members = groups[key]
        x = final[key]
        maxima = np.array([curves[r["dir"]][1].max() for r in members])
        what = f"{key[0]}/{key[1]}"
        if int(g["seeds"]) != len(members):
            fail(f"{what}: seeds {g['seeds']}")
        close(number(g["max_return_mean"]), maxima.mean(), what + " max_return_mean")
        close(number(g["max_return_std"]), np.std(maxima, ddof=1) if len(x) > 1 else np.nan, what + " max_return_std")
        close(number(g["final_return_mean"]), x.mean(), what + " final_return_mean")
        close(number(g["final_return_std"]), np.std(x, ddof=1) if len(x) > 1 else np.nan, what + " final_return_std")
        close(number(g["final_return_iqm"]), iqm(x), what + " final_return_iqm")
        close(number(g["paper_final_return"]), PAPER.get(key, np.nan), what + " paper_final_return")
        for step in AT:
            values = []
            for r in members:
                steps, returns = curves[r["dir"]]
                if steps[-1] >= step and (steps <= step).any():
                    values.append(returns[steps <= step][-1])
            values = np.array(values)
            if int(g[f"return_at_{step}_seeds"]) != len(values):
                fail(f"{what}: seeds at {step}: {g[f'return_at_{step}_seeds']}, expected {len(values)}")
            close(number(g[f"return_at_{step}_mean"]), values.mean() if len(values) else np.nan, f"{what} at {step}")
            close(number(g[f"return_at_{step}_std"]), np.std(values, ddof=1) if len(values) > 1 else np.nan,
                  f"{what} std at {step}")
        # The interval, exactly, from the draws usbpo made.
        d = np.array(draws[key])
        if d.shape != (2000, len(x)) or d.min() < 0 or d.max() >= len(x):
            fail(f"{what}: draws of shape {d.shape} in [{d.min()}, {d.max()}]")
        theta = iqm(x[d], axis=1)
        low, high = np.percentile(theta, [2.5, 97.5])
        close(number(g["final_return_iqm_ci_low"]), low, what + " IQM CI low (from the exported draws)")
        close(number(g["final_return_iqm_ci_high"]), high, what + " IQM CI high (from the exported draws)")
        # The draws are uniform over the group's runs (fixed seed: deterministic).
        if len(x) > 1:
            counts = np.bincount(d.ravel(), minlength=len(x))
            p = stats.chisquare(counts).pvalue
            if p < 1e-3:
                fail(f"{what}: bootstrap indices not uniform (counts {counts}, chi-square p {p:.2g})")

    # P(X > Y): Mann-Whitney U / (n m) per env, the mean over envs for "all envs",
    # and the intervals from the same draws.
    improvements = read_csv(os.path.join(out, "improvement.csv"))
    pairs_seen = set()
    for row in improvements:
        xa, ya = row["algorithm_x"], row["algorithm_y"]
        envs = [row["env"]] if row["env"] != "all envs" else \
            sorted(e for (e, a) in groups if a == xa and (e, ya) in groups)
        if int(row["envs"]) != len(envs):
            fail(f"improvement {row}: {len(envs)} shared envs expected")
        p = np.mean([p_improvement(final[(e, xa)], final[(e, ya)]) for e in envs])
        close(number(row["p_x_beats_y"]), p, f"P({xa} > {ya}) in {row['env']}")
        theta = np.zeros(2000)
        for e in envs:
            xd, yd = np.array(draws[(e, xa)]), np.array(draws[(e, ya)])
            xs, ys = final[(e, xa)][xd], final[(e, ya)][yd]
            theta += ((xs[:, :, None] > ys[:, None, :]) + 0.5 * (xs[:, :, None] == ys[:, None, :])).mean(axis=(1, 2))
        low, high = np.percentile(theta / len(envs), [2.5, 97.5])
        close(number(row["ci_low"]), low, f"P({xa} > {ya}) in {row['env']}: CI low")
        close(number(row["ci_high"]), high, f"P({xa} > {ya}) in {row['env']}: CI high")
        pairs_seen.add((row["env"], xa, ya))
    for env in {e for (e, _) in groups}:
        algos = [a for (e, a) in groups if e == env]
        for i, a in enumerate(algos):
            for b in algos[i + 1:]:
                if (env, a, b) not in pairs_seen and (env, b, a) not in pairs_seen:
                    fail(f"no P({a} > {b}) row for {env}")
    if ("all envs", "usbpo", "mbpo") not in pairs_seen:
        fail("no 'all envs' row for usbpo vs mbpo (they share three envs)")
    if ("inverted_pendulum", "usbpo", "mbpo") not in pairs_seen:
        fail("the pair order puts usbpo first")

    # Statistically: usbpo's percentile intervals with many resamples against
    # scipy.stats.bootstrap's, with independent random draws. Monte Carlo error
    # with 20000 resamples is far below the tolerance (4 % of the data's range).
    many = os.path.join(scratch, "report-many")
    run([usbpo, "report", os.path.join(root, "sweep"), "--out", many, "--resamples", "20000", "--seed", "3"])
    scipy_rng = np.random.default_rng(7)
    for g in read_csv(os.path.join(many, "report.csv")):
        key = (g["env"], g["algorithm"])
        x = final[key]
        if len(x) < 2:
            continue
        ci = stats.bootstrap((x,), iqm, n_resamples=20000, method="percentile",
                             random_state=scipy_rng).confidence_interval
        tolerance = 0.04 * np.ptp(x)
        for ours, theirs, end in ((number(g["final_return_iqm_ci_low"]), ci.low, "low"),
                                  (number(g["final_return_iqm_ci_high"]), ci.high, "high")):
            if abs(ours - theirs) > tolerance:
                fail(f"{key}: IQM CI {end} {ours:.2f}, scipy.stats.bootstrap {theirs:.2f} (tolerance {tolerance:.2f})")
    for row in read_csv(os.path.join(many, "improvement.csv")):
        if row["env"] != "all envs":
            continue
        xa, ya = row["algorithm_x"], row["algorithm_y"]
        envs = sorted(e for (e, a) in groups if a == xa and (e, ya) in groups)
        samples = [s for e in envs for s in (final[(e, xa)], final[(e, ya)])]

        def mean_p(*args, axis=-1):
            per_env = []
            for k in range(0, len(args), 2):
                xs, ys = np.moveaxis(args[k], axis, -1), np.moveaxis(args[k + 1], axis, -1)
                wins = (xs[..., :, None] > ys[..., None, :]) + 0.5 * (xs[..., :, None] == ys[..., None, :])
                per_env.append(wins.mean(axis=(-2, -1)))
            return np.mean(per_env, axis=0)

        # scipy resamples each sample independently: X and Y within each env, i.e. stratified.
        ci = stats.bootstrap(samples, mean_p, n_resamples=20000, method="percentile",
                             random_state=scipy_rng).confidence_interval
        for ours, theirs, end in ((number(row["ci_low"]), ci.low, "low"), (number(row["ci_high"]), ci.high, "high")):
            if abs(ours - theirs) > 0.03:
                fail(f"P({xa} > {ya}) over envs: CI {end} {ours:.3f}, scipy.stats.bootstrap {theirs:.3f}")

    # Markdown: the same as printed, one row per group; one SVG per env.
    with open(os.path.join(out, "report.md")) as f:
        markdown = f.read()
    if markdown != result.stdout:
        fail("report.md differs from what was printed")
    for env, algo in groups:
        if f"| {env} | {algo} | {len(groups[(env, algo)])} |" not in markdown:
            fail(f"no Markdown row for {env} / {algo}")
    for env in {e for (e, _) in groups}:
        if not os.path.isfile(os.path.join(out, f"curves_{env}.svg")):
            fail(f"no curves_{env}.svg")
    with open(os.path.join(out, "curves_hopper.svg")) as f:
        svg = f.read()
    for text in ("MBPO published (approx.", "usbpo paper, final: 3694", "mbpo paper, final: 3436", "<polygon",
                 "mbpo where fewer seeds have data", "usbpo (5 seeds)"):
        if text not in svg:
            fail(f"curves_hopper.svg lacks '{text}'")

    # Clear errors: nothing usable, bad options.
    empty = os.path.join(scratch, "empty")
    os.makedirs(empty)
    r = run([usbpo, "report", empty, "--out", os.path.join(scratch, "r-empty")], expect_ok=False)
    if r.returncode == 0 or "no usable runs found" not in r.stderr:
        fail(f"an empty directory: exit {r.returncode}, {r.stderr}")
    r = run([usbpo, "report", os.path.dirname(unusable[0]), "--out", os.path.join(scratch, "r-broken")],
            expect_ok=False)
    if r.returncode == 0 or unusable[0] not in r.stderr or "skipped" not in r.stderr:
        fail(f"only broken runs: exit {r.returncode}, {r.stderr}")
    r = run([usbpo, "report", root, "--at", "20k"], expect_ok=False)
    if r.returncode != 2 or "--at expects" not in r.stderr:
        fail(f"a bad --at: exit {r.returncode}, {r.stderr}")
    print(f"ok: {len(runs)} runs in {len(report)} groups, {len(improvements)} P(X > Y) rows agree with "
          "NumPy/SciPy (means, std ddof=1, trim_mean 0.25, Mann-Whitney, percentile intervals from the draws "
          "and against scipy.stats.bootstrap)")


if __name__ == "__main__":
    main()
