// A fixed-rate control loop around a trained policy: load policy.usbpo into
// memory sized up front, then act at 1 kHz against a simulated plant (the
// policy's MuJoCo task when the port is built, else the core's Pendulum) and
// report the latency of act (p50, p99, max) and the deadlines the loop missed.
//   controller_loop POLICY_FILE [SECONDS]
// Linux: absolute-deadline sleeps on CLOCK_MONOTONIC. For hard real time, run
// it under SCHED_FIFO on an isolated core; this example only measures.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "usbpo/io/file_io.hpp"
#include "usbpo/runtime/policy.hpp"
#include "usbpo/train/pendulum.hpp"
#if defined(USBPO_HAVE_MUJOCO)
#include "usbpo/mujoco/registry.hpp"
#endif

namespace {

constexpr long kPeriodNs = 1000000;  // 1 kHz

usbpo::Status make_plant(const char* name, std::unique_ptr<usbpo::Env>* plant) {
  if (std::strcmp(name, "pendulum") == 0) {
    *plant = std::make_unique<usbpo::Pendulum>();
    return usbpo::Status::ok();
  }
#if defined(USBPO_HAVE_MUJOCO)
  return usbpo::mujoco::make_env(name, plant);
#else
  return usbpo::Status::error(usbpo::StatusCode::kNotFound,
                              "the policy was trained on '%s'; this build has no MuJoCo port to simulate it", name);
#endif
}

void advance(timespec* t, long ns) {
  t->tv_nsec += ns;
  while (t->tv_nsec >= 1000000000L) {
    t->tv_nsec -= 1000000000L;
    ++t->tv_sec;
  }
}

bool later_than(const timespec& a, const timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return std::fprintf(stderr, "usage: controller_loop POLICY_FILE [SECONDS]\n"), 2;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 2.0;
  const int ticks = static_cast<int>(seconds * 1e9 / kPeriodNs);
  if (ticks < 1) return std::fprintf(stderr, "controller_loop: SECONDS must be positive\n"), 2;

  // Start-up: everything that allocates happens here, before the loop.
  std::vector<unsigned char> blob;
  usbpo::Status status = usbpo::read_file(argv[1], &blob);
  std::size_t bytes = 0;
  if (status.is_ok()) status = usbpo::Policy::bytes_needed(blob.data(), blob.size(), &bytes);
  std::vector<unsigned char> memory(bytes);
  usbpo::Arena arena(memory.data(), memory.size());
  usbpo::Policy policy;
  if (status.is_ok()) status = policy.load(blob.data(), blob.size(), arena);
  std::unique_ptr<usbpo::Env> plant;
  if (status.is_ok()) status = make_plant(policy.env_name(), &plant);
  if (status.is_ok() && (plant->obs_dim() != policy.obs_dim() || plant->act_dim() != policy.act_dim())) {
    status = usbpo::Status::error(usbpo::StatusCode::kDimensionMismatch, "policy and plant dimensions differ");
  }
  std::vector<float> obs(plant ? plant->obs_dim() : 0), next(obs.size()), action(policy.act_dim());
  std::vector<double> latency_us(static_cast<std::size_t>(ticks));
  if (status.is_ok()) status = plant->reset(1, obs.data());
  if (!status.is_ok()) return std::fprintf(stderr, "controller_loop: %s\n", status.message()), 1;
  std::printf("controller_loop: %s policy (%s, %lld steps), %d ticks at 1 kHz\n", policy.env_name(),
              policy.algorithm(), static_cast<long long>(policy.env_steps()), ticks);

  // The loop: sense (plant state), act, actuate (plant step), sleep to the next deadline.
  int misses = 0, episodes = 0;
  double episode_return = 0, best_return = -1e300;
  timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  for (int tick = 0; tick < ticks; ++tick) {
    const auto t0 = std::chrono::steady_clock::now();
    status = policy.act(obs.data(), action.data());
    const auto t1 = std::chrono::steady_clock::now();
    if (!status.is_ok()) return std::fprintf(stderr, "controller_loop: %s\n", status.message()), 1;
    latency_us[static_cast<std::size_t>(tick)] = std::chrono::duration<double, std::micro>(t1 - t0).count();
    usbpo::StepResult result;
    status = plant->step(action.data(), next.data(), &result);
    if (!status.is_ok()) return std::fprintf(stderr, "controller_loop: %s\n", status.message()), 1;
    episode_return += result.reward;
    obs = next;
    if (result.terminated || result.truncated) {
      best_return = std::max(best_return, episode_return);
      episode_return = 0;
      ++episodes;
      (void)plant->reset(static_cast<std::uint64_t>(tick) + 2, obs.data());
    }
    advance(&deadline, kPeriodNs);
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (later_than(now, deadline)) {
      ++misses;  // this tick overran its period: start the next one at once
      deadline = now;
    } else {
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr);
    }
  }
  std::printf("act latency: p50 %.2f us, p99 %.2f us, max %.2f us\n", percentile(latency_us, 0.5),
              percentile(latency_us, 0.99), percentile(latency_us, 1.0));
  std::printf("deadline misses: %d of %d ticks (period %.1f ms, act + plant step)\n", misses, ticks, kPeriodNs / 1e6);
  if (episodes > 0) std::printf("episodes finished: %d, best return %.1f\n", episodes, best_return);
  return 0;
}
