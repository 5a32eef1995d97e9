#!/usr/bin/env python3
"""PyTorch peer of `usbpo bench`: the same networks and operations in PyTorch
1.13 (Debian python3-torch), float32, on --threads intra-op threads (default 1),
so that usbpo's timings can be reported as ratios measured in one run.

Benchmarks (one JSON object per line on stdout; notes on stderr):
  sac_update_hopper      one SAC update: critic step, actor step, temperature step,
                         Polyak targets; obs 11, act 3, actor and twin critics 2x256
                         ReLU, batch 256, Adam 3e-4.
  ensemble_mle_step      one MLE step of MBPO's Gaussian ensemble: 7 members, 4x200
                         swish, input 14, output 2 x 12, batch 256 per member, soft-
                         clamped log-variance, weight decays, Adam 1e-3.
  ensemble_predict_100k  100 000 rollout samples: MBPO's way (all 7 members on every
                         sample, then pick one elite per sample) ...
  ensemble_predict_100k_grouped  ... and grouped (each elite only on its own samples).
  actor_act_single       deterministic action for one observation (p50, p99).
  pendulum_sac_train     whole SAC training on Pendulum-v1 (numpy env): 10 000 steps,
                         100 random, 2x64, batch 100, lr 1e-3, alpha 0.5, H -1.

Usage: /usr/bin/python3 tests/bench/torch_peer.py [--quick] [--threads N] [--only NAME,...]
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)


def emit(name, value, unit="us", **extra):
    print(json.dumps(dict(name=name, unit=unit, value=value, **extra)), flush=True)


def timed(fn, seconds, blocks=5):
    """Median (and min) microseconds per call over blocks of repeated calls."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    per_block = max(1, int(seconds / blocks / one))
    results = []
    start = time.perf_counter()
    while len(results) < blocks or time.perf_counter() - start < seconds:
        b0 = time.perf_counter()
        for _ in range(per_block):
            fn()
        results.append((time.perf_counter() - b0) / per_block * 1e6)
        if len(results) >= 200:
            break
    results.sort()
    return results[len(results) // 2], results[0], per_block * len(results)


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Actor(nn.Module):
    def __init__(self, obs_dim, act_dim, width):
        super().__init__()
        self.net = mlp([obs_dim, width, width, 2 * act_dim])
        self.act_dim = act_dim

    def forward(self, obs, deterministic=False):
        out = self.net(obs)
        mean, log_std = out[:, : self.act_dim], out[:, self.act_dim :].clamp(-20.0, 2.0)
        if deterministic:
            return torch.tanh(mean), None
        std = log_std.exp()
        eps = torch.randn_like(mean)
        u = mean + std * eps
        # log N(u; mean, std) - log(1 - tanh(u)^2), the latter as 2 (log 2 - u - softplus(-2u))
        log_pi = (-0.5 * eps.pow(2) - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_pi = log_pi - (2.0 * (math.log(2.0) - u - F.softplus(-2.0 * u))).sum(-1)
        return torch.tanh(u), log_pi


class Sac:
    def __init__(self, obs_dim, act_dim, width, lr, alpha, target_entropy):
        self.actor = Actor(obs_dim, act_dim, width)
        self.q1, self.q2 = mlp([obs_dim + act_dim, width, width, 1]), mlp([obs_dim + act_dim, width, width, 1])
        self.q1_t, self.q2_t = mlp([obs_dim + act_dim, width, width, 1]), mlp([obs_dim + act_dim, width, width, 1])
        self.q1_t.load_state_dict(self.q1.state_dict())
        self.q2_t.load_state_dict(self.q2.state_dict())
        self.critic_params = list(self.q1.parameters()) + list(self.q2.parameters())
        self.target_params = list(self.q1_t.parameters()) + list(self.q2_t.parameters())
        self.log_alpha = torch.tensor([math.log(alpha)], requires_grad=True)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=lr)
        self.critic_opt = torch.optim.Adam(self.critic_params, lr=lr)
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=lr)
        self.target_entropy = target_entropy

    def update(self, obs, act, rew, next_obs, not_done, gamma=0.99, tau=0.005):
        alpha = self.log_alpha.exp().detach()
        with torch.no_grad():
            a2, logp2 = self.actor(next_obs)
            x2 = torch.cat([next_obs, a2], -1)
            q_t = torch.min(self.q1_t(x2), self.q2_t(x2)).squeeze(-1)
            y = rew + gamma * not_done * (q_t - alpha * logp2)
        x = torch.cat([obs, act], -1)
        critic_loss = 0.5 * (self.q1(x).squeeze(-1) - y).pow(2).mean() + 0.5 * (self.q2(x).squeeze(-1) - y).pow(2).mean()
        self.critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_opt.step()
        a, logp = self.actor(obs)
        xa = torch.cat([obs, a], -1)
        actor_loss = (alpha * logp - torch.min(self.q1(xa), self.q2(xa)).squeeze(-1)).mean()
        self.actor_opt.zero_grad(set_to_none=True)
        actor_loss.backward()
        self.actor_opt.step()
        alpha_loss = -(self.log_alpha * (logp.detach() + self.target_entropy)).mean()
        self.alpha_opt.zero_grad(set_to_none=True)
        alpha_loss.backward()
        self.alpha_opt.step()
        with torch.no_grad():
            torch._foreach_mul_(self.target_params, 1.0 - tau)
            torch._foreach_add_(self.target_params, self.critic_params, alpha=tau)


def bench_sac_update(seconds):
    sac = Sac(11, 3, 256, 3e-4, 1.0, -3.0)
    n = 256
    obs, next_obs = torch.randn(n, 11), torch.randn(n, 11)
    act, rew, not_done = torch.rand(n, 3) * 2 - 1, torch.randn(n), torch.ones(n)
    med, mn, calls = timed(lambda: sac.update(obs, act, rew, next_obs, not_done), seconds)
    emit("sac_update_hopper", med, min=mn, iters=calls, note="nn.Linear twin critics, Adam, foreach Polyak")


class GaussianEnsemble(nn.Module):
    """MBPO's ensemble: batched layers [B, in, out], swish, soft-clamped log-variance."""

    def __init__(self, members=7, inputs=14, outputs=12, width=200, layers=4):
        super().__init__()
        sizes = [inputs] + [width] * layers + [2 * outputs]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for i in range(len(sizes) - 1):
            w = torch.empty(members, sizes[i], sizes[i + 1])
            nn.init.trunc_normal_(w, std=1.0 / (2.0 * math.sqrt(sizes[i])), a=-2.0 / (2.0 * math.sqrt(sizes[i])), b=2.0 / (2.0 * math.sqrt(sizes[i])))
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(torch.zeros(members, 1, sizes[i + 1])))
        self.max_lv = nn.Parameter(torch.full((outputs,), 0.5))
        self.min_lv = nn.Parameter(torch.full((outputs,), -10.0))
        self.outputs = outputs
        self.decays = [2.5e-5, 5e-5, 7.5e-5, 7.5e-5, 1e-4]

    def forward(self, x):
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if i < len(self.weights) - 1:
                x = x * torch.sigmoid(x)
        mean, raw = x[..., : self.outputs], x[..., self.outputs :]
        lv = self.max_lv - F.softplus(self.max_lv - raw)
        lv = self.min_lv + F.softplus(lv - self.min_lv)
        return mean, lv

    def loss(self, x, y):
        mean, lv = self(x)
        nll = ((mean - y).pow(2) * torch.exp(-lv)).mean(dim=(1, 2)) + lv.mean(dim=(1, 2))
        decay = sum(d * 0.5 * w.pow(2).sum() for d, w in zip(self.decays, self.weights))
        return nll.sum() + decay + 0.01 * self.max_lv.sum() - 0.01 * self.min_lv.sum()


def bench_ensemble_step(seconds):
    model = GaussianEnsemble()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(7, 256, 14), 0.1 * torch.randn(7, 256, 12)

    def step():
        opt.zero_grad(set_to_none=True)
        model.loss(x, y).backward()
        opt.step()

    med, mn, calls = timed(step, seconds)
    emit("ensemble_mle_step", med, min=mn, iters=calls, note="torch.baddbmm batched ensemble")


def bench_ensemble_predict(seconds):
    model = GaussianEnsemble()
    n, elites = 100000, torch.tensor([0, 1, 2, 3, 4])
    obs, act = torch.randn(n, 11), torch.rand(n, 3) * 2 - 1
    mu_in, std_in = torch.zeros(14), torch.ones(14)

    def mbpo_way():
        with torch.no_grad():
            x = ((torch.cat([obs, act], -1) - mu_in) / std_in).expand(7, n, 14)
            mean, lv = model(x)
            pick = elites[torch.randint(0, 5, (n,))]
            rows = torch.arange(n)
            m, s = mean[pick, rows], (0.5 * lv[pick, rows]).exp()
            y = m + s * torch.randn_like(m)
            return obs + y[:, 1:], y[:, 0]

    def grouped():
        with torch.no_grad():
            x = (torch.cat([obs, act], -1) - mu_in) / std_in
            pick = elites[torch.randint(0, 5, (n,))]
            next_obs, reward = torch.empty(n, 11), torch.empty(n)
            for e in elites.tolist():
                idx = (pick == e).nonzero(as_tuple=True)[0]
                h = x[idx]
                for i, (w, b) in enumerate(zip(model.weights, model.biases)):
                    h = torch.addmm(b[e], h, w[e])
                    if i < len(model.weights) - 1:
                        h = h * torch.sigmoid(h)
                mean, raw = h[:, :12], h[:, 12:]
                lv = model.max_lv - F.softplus(model.max_lv - raw)
                lv = model.min_lv + F.softplus(lv - model.min_lv)
                y = mean + (0.5 * lv).exp() * torch.randn_like(mean)
                next_obs[idx] = obs[idx] + y[:, 1:]
                reward[idx] = y[:, 0]
            return next_obs, reward

    med, mn, calls = timed(mbpo_way, seconds, blocks=3)
    emit("ensemble_predict_100k", med, min=mn, iters=calls, note="all 7 members, then gather (MBPO)")
    med, mn, calls = timed(grouped, seconds, blocks=3)
    emit("ensemble_predict_100k_grouped", med, min=mn, iters=calls, note="each elite on its own samples")


def bench_act():
    actor = Actor(11, 3, 256)
    obs = torch.randn(1, 11)
    samples = []
    with torch.inference_mode():
        for _ in range(1000):
            actor(obs, deterministic=True)
        for _ in range(20000):
            t0 = time.perf_counter_ns()
            actor(obs, deterministic=True)
            samples.append((time.perf_counter_ns() - t0) / 1000.0)
    samples.sort()
    emit("actor_act_single", samples[len(samples) // 2], iters=len(samples))
    emit("actor_act_single_p99", samples[len(samples) * 99 // 100], iters=len(samples))


class Pendulum:
    """Gym Pendulum-v1 in numpy."""

    def reset(self, rng):
        self.th, self.thdot, self.t = rng.uniform(-np.pi, np.pi), rng.uniform(-1, 1), 0
        return self.obs()

    def obs(self):
        return np.array([np.cos(self.th), np.sin(self.th), self.thdot], dtype=np.float32)

    def step(self, u):
        u = float(np.clip(u, -2.0, 2.0))
        th = ((self.th + np.pi) % (2 * np.pi)) - np.pi
        cost = th * th + 0.1 * self.thdot * self.thdot + 0.001 * u * u
        self.thdot = np.clip(self.thdot + (3 * 10.0 / 2 * np.sin(self.th) + 3.0 * u) * 0.05, -8.0, 8.0)
        self.th = self.th + self.thdot * 0.05
        self.t += 1
        return self.obs(), -cost, self.t >= 200


def bench_pendulum(quick):
    steps = 2000 if quick else 10000
    rng = np.random.default_rng(0)
    env, sac = Pendulum(), Sac(3, 1, 64, 1e-3, 0.5, -1.0)
    cap = 10000
    obs_b, act_b = np.zeros((cap, 3), np.float32), np.zeros((cap, 1), np.float32)
    rew_b, next_b, done_b = np.zeros(cap, np.float32), np.zeros((cap, 3), np.float32), np.zeros(cap, np.float32)
    o, size = env.reset(rng), 0
    t0 = time.perf_counter()
    for t in range(steps):
        if t < 100:
            a = rng.uniform(-1, 1, size=1).astype(np.float32)
        else:
            with torch.no_grad():
                a = sac.actor(torch.from_numpy(o)[None])[0][0].numpy()
        o2, r, truncated = env.step(2.0 * a[0])
        i = t % cap
        obs_b[i], act_b[i], rew_b[i], next_b[i], done_b[i] = o, a, r, o2, 0.0
        size = min(size + 1, cap)
        o = env.reset(rng) if truncated else o2
        if size >= 100:
            idx = rng.integers(0, size, 100)
            sac.update(torch.from_numpy(obs_b[idx]), torch.from_numpy(act_b[idx]), torch.from_numpy(rew_b[idx]),
                       torch.from_numpy(next_b[idx]), torch.from_numpy(1.0 - done_b[idx]))
    elapsed = time.perf_counter() - t0
    returns = []
    for _ in range(10):
        o, total, done = env.reset(rng), 0.0, False
        while not done:
            with torch.no_grad():
                a = sac.actor(torch.from_numpy(o)[None], deterministic=True)[0][0].numpy()
            o, r, done = env.step(2.0 * a[0])
            total += r
        returns.append(total)
    emit("pendulum_sac_train", elapsed, unit="s", final_eval_return=float(np.mean(returns)), steps=steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short timings (CI smoke run)")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads must be >= 1")
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    seconds = 0.3 if args.quick else 2.0
    wanted = lambda name: not args.only or any(name.startswith(w) for w in args.only.split(","))
    config = torch.__config__.show()
    blas = "MKL" if "USE_MKL=ON" in config else ("OpenBLAS" if "OpenBLAS" in config or "BLAS_INFO=open" in config else "other")
    print(json.dumps(dict(name="torch_info", version=torch.__version__, threads=torch.get_num_threads(), blas=blas)), flush=True)
    if wanted("sac_update_hopper"):
        bench_sac_update(seconds)
    if wanted("ensemble_mle_step"):
        bench_ensemble_step(seconds)
    if wanted("ensemble_predict_100k"):
        bench_ensemble_predict(seconds)
    if wanted("actor_act_single"):
        bench_act()
    if wanted("pendulum_sac_train"):
        bench_pendulum(args.quick)


if __name__ == "__main__":
    main()
