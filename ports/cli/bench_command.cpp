// `usbpo bench`: component timings of the core at one or more thread counts,
// optionally side by side with the PyTorch peer (tests/bench/torch_peer.py)
// run from this process at its best thread count.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "bench_device.hpp"
#include "commands.hpp"
#include "device_backend.hpp"
#include "timing.hpp"
#include "usbpo/agent/sac.hpp"
#include "usbpo/model/gaussian_ensemble.hpp"
#include "usbpo/nn/action_scaling.hpp"
#include "usbpo/nn/ops.hpp"
#include "usbpo/runtime/policy.hpp"
#include "usbpo/thread_pool.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/policy_file.hpp"
#include "usbpo/train/trainer.hpp"
#if defined(USBPO_HAVE_MUJOCO)
#include "usbpo/mujoco/registry.hpp"
#endif

namespace usbpo::cli {
namespace {

// One benchmark line: our value, and the peer's when it ran.
struct Row {
  std::string name;
  std::string unit;
  double value = 0;
  std::string note;
};

// Flops of a forward pass of one member of `net` at `batch` columns.
double forward_flops(const EnsembleMlp& net, int batch) {
  double macs = 0;
  for (int l = 0; l < net.num_layers(); ++l) macs += static_cast<double>(net.layer_in(l)) * net.layer_out(l);
  return 2.0 * macs * batch;
}

double sgemm_peak_gflops(double seconds) {
  const int n = 1024;
  std::vector<Scalar> a(static_cast<std::size_t>(n) * n, 0.5f), b(a), c(a);
  Timing t = time_calls([&] { ops::gemm(false, false, n, n, n, 1, a.data(), b.data(), 0, c.data()); }, seconds, 3);
  return 2.0 * n * n * n / (t.min_us * 1e-6) / 1e9;
}

Row bench_sac_update(double seconds, TaskRunner* runner, double* gflops) {
  SacConfig c;
  c.obs_dim = 11;
  c.act_dim = 3;
  c.batch = 256;
  std::vector<unsigned char> memory(Sac::bytes_needed(c));
  Arena arena(memory.data(), memory.size());
  Sac sac;
  Rng rng(0);
  (void)sac.init(c, arena, rng);
  sac.set_runner(runner);
  SacBatch& b = sac.batch();
  for (int i = 0; i < c.batch * c.obs_dim; ++i) b.obs[i] = rng.normal(), b.next_obs[i] = rng.normal();
  for (int i = 0; i < c.batch * c.act_dim; ++i) b.act[i] = rng.uniform(-1, 1);
  for (int i = 0; i < c.batch; ++i) b.reward[i] = rng.normal(), b.not_done[i] = 1;
  Timing t = time_calls([&] { (void)sac.update(rng, nullptr); }, seconds);
  // Actor: 2 forward + backward (2x); critics (2 members): target fwd, fwd, bwd (2x), actor-pass fwd + input bwd.
  const double fa = forward_flops(sac.actor_network(), c.batch);
  const double fc = 2 * forward_flops(sac.critic_network(), c.batch);
  *gflops = (4 * fa + 7 * fc) / (t.median_us * 1e-6) / 1e9;
  return {"sac_update_hopper", "us", t.median_us, "obs 11, act 3, 2x256 ReLU, batch 256"};
}

// MBPO's Hopper ensemble (7 members, 4x200 swish) in its own arena.
struct HopperEnsemble {
  std::vector<unsigned char> memory;
  Arena arena;
  GaussianEnsemble model;
  explicit HopperEnsemble(Rng& rng) {
    EnsembleConfig c;
    c.obs_dim = 11;
    c.act_dim = 3;
    c.max_samples = 1000;
    memory.resize(GaussianEnsemble::bytes_needed(c));
    arena = Arena(memory.data(), memory.size());
    (void)model.init(c, arena, rng);
  }
};

Row bench_ensemble_step(double seconds, TaskRunner* runner, double* gflops) {
  Rng rng(0);
  HopperEnsemble hopper(rng);
  GaussianEnsemble& model = hopper.model;
  model.set_runner(runner);
  std::vector<Scalar> inputs(static_cast<std::size_t>(14) * 256 * 7), targets(static_cast<std::size_t>(12) * 256 * 7);
  for (auto& x : inputs) x = rng.normal();
  for (auto& y : targets) y = 0.1f * rng.normal();
  Timing t = time_calls(
      [&] {
        model.batch_loss(inputs.data(), targets.data(), 256, true);
        model.optimizer().step(model.params(), model.gradients());
      },
      seconds);
  *gflops = 3 * 7 * forward_flops(model.network(), 256) / (t.median_us * 1e-6) / 1e9;
  return {"ensemble_mle_step", "us", t.median_us, "7 members 4x200 swish, batch 256 each"};
}

Row bench_ensemble_predict(double seconds, TaskRunner* runner) {
  Rng rng(0);
  HopperEnsemble hopper(rng);
  GaussianEnsemble& model = hopper.model;
  model.set_runner(runner);
  const int n = 100000;
  std::vector<Scalar> obs(static_cast<std::size_t>(11) * n), act(static_cast<std::size_t>(3) * n),
      next(static_cast<std::size_t>(11) * n), reward(n);
  for (auto& x : obs) x = rng.normal();
  for (auto& x : act) x = rng.uniform(-1, 1);
  Timing t = time_calls([&] { (void)model.sample(obs.data(), act.data(), n, rng, next.data(), reward.data()); },
                        seconds, 3);
  return {"ensemble_predict_100k", "us", t.median_us, "one elite per sample, grouped by elite"};
}

void bench_act(double, std::vector<Row>* rows) {
  SacConfig c;
  c.obs_dim = 11;
  c.act_dim = 3;
  c.batch = 1;
  std::vector<unsigned char> memory(Sac::bytes_needed(c));
  Arena arena(memory.data(), memory.size());
  Sac sac;
  Rng rng(0);
  (void)sac.init(c, arena, rng);
  Scalar low[3] = {-1, -1, -1}, high[3] = {1, 1, 1};
  PolicyDescription d;
  d.env_name = "hopper";
  d.algorithm = "sac";
  d.obs_dim = 11;
  d.act_dim = 3;
  d.actor = &sac.actor_network();
  d.actor_params = sac.actor_params();
  d.action_low = low;
  d.action_high = high;
  std::vector<unsigned char> blob;
  (void)serialize_policy(d, &blob);
  std::size_t bytes = 0;
  (void)Policy::bytes_needed(blob.data(), blob.size(), &bytes);
  std::vector<unsigned char> policy_memory(bytes);
  Arena policy_arena(policy_memory.data(), policy_memory.size());
  Policy policy;
  (void)policy.load(blob.data(), blob.size(), policy_arena);
  Scalar obs[11], action[3];
  for (Scalar& o : obs) o = rng.normal();
  Latency l = time_each_call([&] { (void)policy.act(obs, action); }, 20000);
  rows->push_back({"actor_act_single", "us", l.p50_us, "Policy::act, Hopper-sized 2x256 actor, p50"});
  rows->push_back({"actor_act_single_p99", "us", l.p99_us, "p99"});
}

Row bench_pendulum_train(bool quick, TaskRunner* runner, double* final_return) {
  TrainerConfig c;
  c.runner = runner;
  c.seed = 0;
  c.start_steps = 100;
  c.update_after = 100;
  c.updates_per_step = 1;
  c.replay_capacity = 10000;
  c.epoch_length = 1000;
  c.sac.hidden_layers = 2;
  c.sac.hidden_width = 64;
  c.sac.batch = 100;
  c.sac.actor_lr = c.sac.critic_lr = c.sac.alpha_lr = 1e-3f;
  c.sac.gamma = 0.99f;
  c.sac.tau = 0.005f;
  c.sac.initial_alpha = 0.5f;
  c.sac.target_entropy = -1.0f;
  Pendulum env, eval_env;
  std::vector<unsigned char> memory(Trainer::bytes_needed(c, env));
  Arena arena(memory.data(), memory.size());
  Trainer trainer;
  Status s = trainer.init(c, env, eval_env, arena);
  if (!s.is_ok()) {
    std::fprintf(stderr, "pendulum bench: %s\n", s.message());
    return {"pendulum_sac_train", "s", NAN, "failed"};
  }
  const int steps = quick ? 2000 : 10000;
  const double t0 = now_seconds();
  for (int i = 0; i < steps; ++i) {
    if (!trainer.step(nullptr).is_ok()) break;
  }
  const double elapsed = now_seconds() - t0;
  Scalar mean_return = 0;
  (void)trainer.evaluate(10, &mean_return);
  *final_return = mean_return;
  char note[128];
  std::snprintf(note, sizeof(note), "%d env steps, 2x64, batch 100; final eval return %.1f (10 episodes)", steps,
                mean_return);
  return {"pendulum_sac_train", "s", elapsed, note};
}

// Minimal reader of the peer's JSON lines: "name" and "value" fields.
std::map<std::string, double> run_peer(const std::string& script, bool quick, int threads, std::string* info) {
  std::map<std::string, double> values;
  // OpenBLAS (behind Debian's torch) gets as many threads as torch, and picks
  // its kernels for this CPU itself (a core type or cache size set for
  // another machine would slow it down).
  const std::string command = "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=" +
                              std::to_string(threads) + " OMP_NUM_THREADS=" + std::to_string(threads) +
                              " /usr/bin/python3 '" + script + "'" + (quick ? " --quick" : "") + " --threads " +
                              std::to_string(threads);
  std::fprintf(stderr, "running the PyTorch peer: %s\n", command.c_str());
  std::FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return values;
  char line[4096];
  while (std::fgets(line, sizeof(line), pipe)) {
    const std::string text(line);
    auto field = [&](const char* key) -> std::string {
      const std::string pattern = std::string("\"") + key + "\":";
      auto pos = text.find(pattern);
      if (pos == std::string::npos) return "";
      pos += pattern.size();
      while (pos < text.size() && text[pos] == ' ') ++pos;
      if (pos < text.size() && text[pos] == '"') {
        auto end = text.find('"', pos + 1);
        return text.substr(pos + 1, end - pos - 1);
      }
      auto end = text.find_first_of(",}", pos);
      return text.substr(pos, end - pos);
    };
    const std::string name = field("name");
    if (name == "torch_info") {
      *info = "PyTorch " + field("version") + " (" + field("blas") + ")";
      continue;
    }
    const std::string value = field("value");
    if (!name.empty() && !value.empty()) values[name] = std::atof(value.c_str());
    const std::string final_return = field("final_eval_return");
    if (!final_return.empty()) values[name + ".final_eval_return"] = std::atof(final_return.c_str());
  }
  const int rc = pclose(pipe);
  if (rc != 0) std::fprintf(stderr, "the PyTorch peer exited with status %d\n", rc);
  return values;
}

// Thread counts from "N" or "N,M,...", each in [1, ThreadPool::kMaxWorkers].
bool parse_thread_list(const std::string& text, std::vector<int>* counts, std::string* error) {
  counts->clear();
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    char* stop = nullptr;
    const long value = item.empty() ? 0 : std::strtol(item.c_str(), &stop, 10);
    if (item.empty() || *stop != '\0' || value < 1 || value > ThreadPool::kMaxWorkers) {
      *error = "--threads takes counts between 1 and " + std::to_string(ThreadPool::kMaxWorkers) +
               " separated by commas (this machine offers " + std::to_string(available_cores()) + "), got '" +
               text + "'";
      return false;
    }
    counts->push_back(static_cast<int>(value));
    start = end + 1;
  }
  return true;
}

// Every figure at one thread count.
struct ThreadRun {
  int threads = 1;
  std::vector<Row> rows;
  double sac_gflops = 0, ensemble_gflops = 0;
};

template <typename Wanted>
ThreadRun run_benchmarks(int threads, bool quick, Wanted&& wanted) {
  ThreadRun run;
  run.threads = threads;
  ThreadPool pool;
  const Status started = pool.start(threads);
  if (!started.is_ok()) {
    std::fprintf(stderr, "usbpo bench: %s\n", started.message());
    return run;
  }
  TaskRunner* runner = &pool;
  const double seconds = quick ? 0.3 : 2.0;
  std::vector<Row>& rows = run.rows;
  double pendulum_return = 0;
  if (wanted("sac_update_hopper")) rows.push_back(bench_sac_update(seconds, runner, &run.sac_gflops));
  if (wanted("ensemble_mle_step")) rows.push_back(bench_ensemble_step(seconds, runner, &run.ensemble_gflops));
  if (wanted("ensemble_predict_100k")) {
    rows.push_back(bench_ensemble_predict(seconds, runner));
    // The same figure against the peer's grouped variant (same arithmetic as ours).
    Row grouped = rows.back();
    grouped.name = "ensemble_predict_100k_grouped";
    grouped.note = "vs the peer running each elite on its own samples too";
    rows.push_back(grouped);
  }
  if (wanted("actor_act_single")) bench_act(seconds, &rows);
  if (wanted("pendulum_sac_train")) rows.push_back(bench_pendulum_train(quick, runner, &pendulum_return));
#if defined(USBPO_HAVE_MUJOCO)
  if (wanted("env_step_")) {
    for (int i = 0; i < mujoco::task_count(); ++i) {
      const char* task = mujoco::task_names()[i];
      double ours = 0, bare = 0;
      Status s = mujoco::measure_step_throughput(task, quick ? 2000 : 20000, &ours, &bare);
      if (!s.is_ok()) {
        std::fprintf(stderr, "env step bench %s: %s\n", task, s.message());
        continue;
      }
      char note[128];
      std::snprintf(note, sizeof(note), "bare mj_step loop %.0f steps/s; wrapper overhead %+.1f %%", bare,
                    (bare / ours - 1) * 100);
      rows.push_back({std::string("env_step_") + task, "steps/s", ours, note});
    }
  }
#endif
  return run;
}

// The peer's best figure per benchmark over its thread counts, and at which.
struct PeerBest {
  double value = 0;
  int threads = 0;
};

std::string thread_label(int threads) { return std::to_string(threads) + (threads == 1 ? " thread" : " threads"); }

}  // namespace

int bench_command(int argc, char** argv) {
  Arguments args;
  std::string error;
  if (!args.parse(argc, argv, 2, {"quick", "with-peer", "help"}, &error)) {
    std::fprintf(stderr, "usbpo bench: %s\n", error.c_str());
    return 2;
  }
  if (args.has("help")) {
    std::fprintf(stderr,
                 "usage: usbpo bench [--quick] [--threads N[,M...]] [--with-peer] [--peer SCRIPT] [--only NAME,...]\n"
                 "  --quick       shorter timings (CI smoke run)\n"
                 "  --threads     thread counts to time, side by side with the speed-up of the last over the\n"
                 "                first (default: every core this process may use, here %d)\n"
                 "  --with-peer   also run the PyTorch peer (tests/bench/torch_peer.py) at each of those thread\n"
                 "                counts and compare with its best one\n"
                 "  --device      cpu (default) or cuda: with cuda, the network training steps and the Pendulum\n"
                 "                run on the CPU (one thread) and on the GPU side by side\n",
                 available_cores());
    return 0;
  }
  const bool quick = args.has("quick");
  const std::string device = args.get("device", "cpu");
  if (device != "cpu") {
    std::unique_ptr<Backend> backend, trainer_backend;
    if (!make_device_backend(device, &backend, &error) || !make_device_backend(device, &trainer_backend, &error)) {
      std::fprintf(stderr, "usbpo bench: %s\n", error.c_str());
      return 2;
    }
    if (!args.check_all_used(&error)) {
      std::fprintf(stderr, "usbpo bench: %s\n", error.c_str());
      return 2;
    }
    const int code = bench_device(*backend, *trainer_backend, device_description(backend.get()).c_str(), quick);
    std::string failure = device_error(backend.get());
    if (failure.empty()) failure = device_error(trainer_backend.get());
    if (!failure.empty()) {
      std::fprintf(stderr, "usbpo bench: %s\n", failure.c_str());
      return 1;
    }
    return code;
  }
  const bool with_peer = args.has("with-peer");
  const std::string peer_script = args.get("peer", std::string(USBPO_SOURCE_DIR) + "/tests/bench/torch_peer.py");
  const std::string only = args.get("only", "");
  std::vector<int> thread_counts;
  if (!parse_thread_list(args.get("threads", std::to_string(available_cores())), &thread_counts, &error) ||
      !args.check_all_used(&error)) {
    std::fprintf(stderr, "usbpo bench: %s\n", error.c_str());
    return 2;
  }
  // --only takes comma-separated prefixes of benchmark names.
  auto wanted = [&](const char* name) {
    if (only.empty()) return true;
    std::size_t start = 0;
    while (start <= only.size()) {
      const std::size_t end = std::min(only.find(',', start), only.size());
      const std::string prefix = only.substr(start, end - start);
      if (!prefix.empty() && std::string(name).rfind(prefix, 0) == 0) return true;
      start = end + 1;
    }
    return false;
  };

  std::vector<ThreadRun> runs;
  for (int threads : thread_counts) runs.push_back(run_benchmarks(threads, quick, wanted));
  const double peak = sgemm_peak_gflops(quick ? 0.3 : 1.0);

  std::map<std::string, PeerBest> peer;
  std::string peer_info;
  if (with_peer) {
    for (int threads : thread_counts) {
      std::string info;
      for (const auto& [name, value] : run_peer(peer_script, quick, threads, &info)) {
        PeerBest& best = peer[name];
        const bool better = name.find(".final_eval_return") == std::string::npos && value < best.value;
        if (best.threads == 0 || better) best = PeerBest{value, threads};
      }
      if (!info.empty()) peer_info = info;
    }
  }

  const ThreadRun& first = runs.front();
  const ThreadRun& last = runs.back();
  const bool several = runs.size() > 1;
  std::printf("usbpo bench (%s)%s%s\n", quick ? "quick" : "full", with_peer ? ", peer: " : "",
              with_peer ? (peer_info.empty() ? "did not run" : (peer_info + ", best of its thread counts").c_str())
                        : "");
  std::printf("| benchmark |");
  for (const ThreadRun& run : runs) std::printf(" usbpo, %s |", thread_label(run.threads).c_str());
  if (several) std::printf(" speed-up %d vs %d |", last.threads, first.threads);
  if (with_peer) std::printf(" PyTorch, best | usbpo at %d vs PyTorch |", last.threads);
  std::printf(" notes |\n|---|");
  for (std::size_t i = 0; i < runs.size() + (several ? 1 : 0) + (with_peer ? 2 : 0); ++i) std::printf("---:|");
  std::printf("---|\n");
  // Lower is better for time units, higher for throughput.
  auto speedup = [](const Row& r, double baseline) {
    return r.unit == "steps/s" ? r.value / baseline : baseline / r.value;
  };
  for (std::size_t i = 0; i < first.rows.size(); ++i) {
    const Row& r = first.rows[i];
    std::printf("| %s |", r.name.c_str());
    for (const ThreadRun& run : runs) {
      if (i < run.rows.size()) std::printf(" %.4g %s |", run.rows[i].value, r.unit.c_str());
      else std::printf(" - |");
    }
    const Row& r_last = i < last.rows.size() ? last.rows[i] : r;
    if (several) std::printf(" %.2fx |", speedup(r_last, r.value));
    if (with_peer) {
      auto it = peer.find(r.name);
      if (it != peer.end()) {
        std::printf(" %.4g %s (%s) | %.2fx |", it->second.value, r.unit.c_str(),
                    thread_label(it->second.threads).c_str(), speedup(r_last, it->second.value));
      } else {
        std::printf(" - | - |");
      }
    }
    std::printf(" %s |\n", r_last.note.c_str());
  }
  std::printf("\nkernels: %s, gemm: %s\n", ops::kernel_variant(), ops::gemm_backend());
  std::printf("sgemm peak (1024^3 through ops::gemm, one thread): %.1f GFLOP/s\n", peak);
  for (const ThreadRun& run : runs) {
    if (run.sac_gflops > 0) {
      std::printf("SAC update, %s: %.1f GFLOP/s (%.0f %% of one thread's peak)\n", thread_label(run.threads).c_str(),
                  run.sac_gflops, 100 * run.sac_gflops / peak);
    }
    if (run.ensemble_gflops > 0) {
      std::printf("ensemble MLE step, %s: %.1f GFLOP/s (%.0f %% of one thread's peak)\n",
                  thread_label(run.threads).c_str(), run.ensemble_gflops, 100 * run.ensemble_gflops / peak);
    }
  }
  if (peer.count("pendulum_sac_train.final_eval_return")) {
    std::printf("PyTorch peer pendulum: final eval return %.1f (its own Python env and loop)\n",
                peer["pendulum_sac_train.final_eval_return"].value);
  }
  return 0;
}

}  // namespace usbpo::cli
