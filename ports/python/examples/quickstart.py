# Quickstart: train SAC on Pendulum from Python, load the policy file it wrote and act with it in the env.
import usbpo

log = usbpo.train(env="pendulum", algo="sac", steps=5000, updates_per_step=5, out="runs/pendulum", overwrite=True)
policy = usbpo.Policy.load("runs/pendulum/policy.usbpo")
env = usbpo.make_env("pendulum", seed=0)
obs, info = env.reset(seed=0)
episode_return, done = 0.0, False
while not done:
    obs, reward, terminated, truncated, info = env.step(policy.act(obs))
    episode_return, done = episode_return + reward, terminated or truncated
print(f"episode return {episode_return:.1f} (last evaluation in training: {log['eval_return'][-1]:.1f})")
