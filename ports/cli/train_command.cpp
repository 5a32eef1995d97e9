// `usbpo train`: run a Trainer with a progress bar, a CSV log, the plots, the
// policy file and a checkpoint every N steps; `--resume DIR` continues a run
// from its checkpoint bit for bit, and Ctrl-C writes a final checkpoint.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "csv_log.hpp"
#include "env_factory.hpp"
#include "progress_bar.hpp"
#include "run_history.hpp"
#include "run_record.hpp"
#include "task_defaults.hpp"
#include "timing.hpp"
#include "train_options.hpp"
#include "usbpo/checkpoint.hpp"
#include "usbpo/dataset.hpp"
#include "usbpo/file_io.hpp"
#include "usbpo/policy_file.hpp"
#include "usbpo/thread_pool.hpp"

namespace usbpo::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

const char kCheckpointName[] = "checkpoint.usbpo-ckpt";

bool make_directories(const std::string& path, std::string* error) {
  std::string partial;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!partial.empty() && ::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
        *error = "cannot create directory " + partial + ": " + std::strerror(errno);
        return false;
      }
    }
    if (i < path.size()) partial += path[i];
  }
  return true;
}

std::string format(const char* fmt, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), fmt, value);
  return buffer;
}

// The options of a resumed run: those saved in the checkpoint, with --steps,
// --checkpoint-every and --threads replaced when given now. Other options cannot change.
bool resume_options(const std::vector<std::string>& given, const std::string& dir, CheckpointFile* checkpoint,
                    RunRecord* record, TrainOptions* options, std::string* error) {
  std::vector<std::string> overrides;
  for (std::size_t i = 0; i < given.size(); i += 2) {
    const std::string& key = given[i];
    if (key == "--resume") continue;
    if ((key != "--steps" && key != "--checkpoint-every" && key != "--threads") || i + 1 >= given.size()) {
      *error = "with --resume only --steps, --checkpoint-every and --threads may be given (the rest comes from the "
               "checkpoint), not " + key;
      return false;
    }
    overrides.push_back(key.substr(2));
    overrides.push_back(given[i + 1]);
  }
  const std::string path = dir + "/" + kCheckpointName;
  Status s = checkpoint->read(path.c_str());
  if (!s.is_ok()) {
    *error = s.message();
    return false;
  }
  if (!decode_run_record(checkpoint->host_data(), checkpoint->host_size(), record, error)) return false;
  std::vector<std::string> args = record->args;
  for (std::size_t i = 0; i < overrides.size(); i += 2) set_option(&args, overrides[i], overrides[i + 1]);
  set_option(&args, "out", dir);
  return parse_train_options(args, options, error);
}

}  // namespace

int train_command(int argc, char** argv) {
  std::vector<std::string> given(argv + 2, argv + argc);
  for (const std::string& a : given) {
    if (a == "--help" || a == "-h") {
      print_train_usage();
      return 0;
    }
  }
  std::string resume_dir;
  for (std::size_t i = 0; i + 1 < given.size(); ++i) {
    if (given[i] == "--resume") resume_dir = given[i + 1];
  }
  TrainOptions o;
  CheckpointFile checkpoint;
  RunRecord record;
  std::string error;
  const bool resuming = !resume_dir.empty();
  const bool parsed = resuming ? resume_options(given, resume_dir, &checkpoint, &record, &o, &error)
                               : parse_train_options(given, &o, &error);
  if (!parsed) {
    std::fprintf(stderr, "usbpo train: %s\n", error.c_str());
    if (!resuming) print_train_usage();
    return 2;
  }
  // A fresh run from a dataset: verify it now, and record its size among the
  // run's options (stores and exploration depend on it; a resume reads it there).
  std::vector<unsigned char> dataset;
  if (!resuming && !o.init_dataset.empty()) {
    DatasetInfo info;
    Status s = read_file(o.init_dataset.c_str(), &dataset);
    if (s.is_ok()) s = inspect_dataset(dataset.data(), dataset.size(), &info);
    if (s.is_ok() && o.env_name != info.env_name) {
      s = Status::error(StatusCode::kDimensionMismatch, "%s was recorded on '%s', not '%s'", o.init_dataset.c_str(),
                        info.env_name, o.env_name.c_str());
    }
    if (!s.is_ok()) {
      std::fprintf(stderr, "usbpo train: --init-dataset: %s\n", s.message());
      return 2;
    }
    std::vector<std::string> with_count = o.args;
    set_option(&with_count, "init-dataset-transitions", std::to_string(info.count));
    if (!parse_train_options(with_count, &o, &error)) {
      std::fprintf(stderr, "usbpo train: %s\n", error.c_str());
      return 2;
    }
  }
  TrainerConfig& config = o.config;
  config.clock = now_seconds;
  ThreadPool pool;  // started before the trainer: no thread is created after init
  Status pool_status = pool.start(o.threads);
  if (!pool_status.is_ok()) {
    std::fprintf(stderr, "usbpo train: %s\n", pool_status.message());
    return 2;
  }
  config.runner = &pool;

  std::unique_ptr<Env> env, eval_env;
  Status status = make_env(o.env_name, &env, o.mjcf_path);
  if (status.is_ok()) status = make_env(o.env_name, &eval_env, o.mjcf_path);
  if (!status.is_ok()) {
    std::fprintf(stderr, "usbpo train: %s\n", status.message());
    return 2;
  }
  if (!make_directories(o.out, &error)) {
    std::fprintf(stderr, "usbpo train: %s\n", error.c_str());
    return 1;
  }
  // The one allocation of the run: everything the trainer needs, sized up front.
  const std::size_t bytes = Trainer::bytes_needed(config, *env);
  if (bytes == 0) {
    std::fprintf(stderr, "usbpo train: invalid configuration: %s\n", Trainer::check_config(config, *env).message());
    return 2;
  }
  std::vector<unsigned char> memory(bytes);
  Arena arena(memory.data(), memory.size());
  Trainer trainer;
  status = trainer.init(config, *env, *eval_env, arena);
  if (status.is_ok() && resuming) status = restore_checkpoint(checkpoint, trainer);
  if (status.is_ok() && !dataset.empty()) {
    int loaded = 0;
    status = trainer.load_dataset(dataset.data(), dataset.size(), o.env_name.c_str(), &loaded);
    if (status.is_ok()) {
      std::fprintf(stderr, "usbpo train: %d real transitions from %s%s\n", loaded, o.init_dataset.c_str(),
                   uses_model(o.algorithm) ? ", model fitted to them" : "");
    }
    dataset = std::vector<unsigned char>();
  }
  if (!status.is_ok()) {
    std::fprintf(stderr, "usbpo train: %s\n", status.message());
    return 2;
  }
  checkpoint = CheckpointFile();  // its memory is no longer needed

  const std::string log_path = o.out + "/log.csv";
  const std::string checkpoint_path = o.out + "/" + kCheckpointName;
  RunHistory history;
  if (resuming) {
    // The log continues where the checkpoint's state was; later rows are dropped.
    if (::truncate(log_path.c_str(), static_cast<off_t>(record.log_bytes)) != 0 ||
        !history.load_log(log_path, &error)) {
      std::fprintf(stderr, "usbpo train: cannot continue %s: %s\n", log_path.c_str(),
                   error.empty() ? std::strerror(errno) : error.c_str());
      return 1;
    }
  }
  CsvLog log;
  if (!log.open(log_path, log_columns(), resuming, &error)) {
    std::fprintf(stderr, "usbpo train: %s\n", error.c_str());
    return 1;
  }
  const std::int64_t steps = o.steps;
  std::fprintf(stderr, "usbpo train: %s, %s, %lld steps, seed %llu, %d thread%s, %.1f MB arena -> %s%s\n",
               o.env_name.c_str(), o.algo_name.c_str(), static_cast<long long>(steps),
               static_cast<unsigned long long>(config.seed), o.threads, o.threads == 1 ? "" : "s", bytes / 1e6,
               o.out.c_str(),
               resuming ? (" (resumed at step " + std::to_string(trainer.progress().env_steps) + ")").c_str() : "");
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);

  const double paper = paper_final_return(o.env_name, o.algorithm);
  const std::string policy_path = o.out + "/policy.usbpo";
  const std::string plot_path = o.out + "/learning_curve.svg";
  const std::string model_plot_path = o.out + "/model_diagnostics.svg";
  const std::string title = o.env_name + " - " + o.algo_name + " (seed " + std::to_string(config.seed) + ")";
  double last_eval = history.eval_returns.empty() ? NAN : history.eval_returns.back();
  ProgressBar bar(steps);
  const double start = now_seconds();
  TrainerProgress progress = trainer.progress();
  const double wall_before = history.last_wall_s;
  auto save_policy = [&]() {
    Status s = save_policy_file(policy_path.c_str(), describe_policy(trainer));
    if (!s.is_ok()) std::fprintf(stderr, "\nwarning: %s\n", s.message());
  };
  auto save_checkpoint_now = [&]() {
    RunRecord r;
    r.args = o.args;
    r.log_bytes = log.position();
    const std::vector<unsigned char> host = encode_run_record(r);
    const double t0 = now_seconds();
    Status s = save_checkpoint(checkpoint_path.c_str(), trainer, host.data(), host.size());
    if (!s.is_ok()) {
      std::fprintf(stderr, "\nusbpo train: checkpoint not written: %s\n", s.message());
      return false;
    }
    if (now_seconds() - t0 > 5) std::fprintf(stderr, "\ncheckpoint took %.1f s\n", now_seconds() - t0);
    return true;
  };
  const double nan = NAN;
  auto times = [](const TrainerTimings& t) {
    return std::vector<double>{t.env, t.model, t.phase_two, t.rollouts, t.sac};
  };
  auto log_row = [&](std::vector<double> values) {
    const std::vector<double> t = times(progress.time);
    values.insert(values.end(), t.begin(), t.end());
    log.row(values);
  };
  auto evaluate = [&](double wall) {
    Scalar eval_return = 0;
    USBPO_RETURN_IF_ERROR(trainer.evaluate(config.eval_episodes, &eval_return));
    last_eval = eval_return;
    history.eval_steps.push_back(static_cast<double>(progress.env_steps));
    history.eval_returns.push_back(eval_return);
    const SacStats& sac = progress.sac;
    log_row({static_cast<double>(progress.env_steps), static_cast<double>(progress.episodes), nan, eval_return,
             sac.critic_loss, sac.actor_loss, sac.alpha, sac.entropy, sac.q_mean, bar.steps_per_second(), wall,
             nan, nan, nan, nan, nan, nan, nan});
    save_policy();
    history.write_learning_curve(plot_path, title, paper);
    return Status::ok();
  };
  while (progress.env_steps < steps && !g_interrupted) {
    status = trainer.step(&progress);
    if (!status.is_ok()) break;
    const double wall = wall_before + now_seconds() - start;
    const SacStats& sac = progress.sac;
    if (progress.episode_finished) {
      history.train_steps.push_back(static_cast<double>(progress.env_steps));
      history.train_returns.push_back(progress.last_episode_return);
      log_row({static_cast<double>(progress.env_steps), static_cast<double>(progress.episodes),
               progress.last_episode_return, nan, sac.critic_loss, sac.actor_loss, sac.alpha, sac.entropy,
               sac.q_mean, bar.steps_per_second(), wall, nan, nan, nan, nan, nan, nan, nan});
    }
    if (progress.model_round) {
      const ModelRoundReport& m = progress.model;
      history.add_model_round(static_cast<double>(progress.env_steps), m);
      history.write_model_plot(model_plot_path, o.env_name + " - " + o.algo_name + ": model diagnostics",
                               uses_phase_two(o.algorithm));
      const bool p2 = m.phase_two;
      log_row({static_cast<double>(progress.env_steps), static_cast<double>(progress.episodes), nan, nan, nan, nan,
               nan, nan, nan, bar.steps_per_second(), wall, m.mle.mean_holdout_mse, p2 ? m.w2.shift : nan,
               p2 ? m.w2.bias : nan, p2 ? m.w2.j_before : nan, p2 ? m.w2.j_after : nan,
               p2 ? static_cast<double>(m.w2.steps) : nan, static_cast<double>(m.rollouts.length)});
    }
    if (progress.epoch_finished) {
      status = evaluate(wall);
      if (!status.is_ok()) break;
    }
    if (o.checkpoint_every > 0 && progress.env_steps % o.checkpoint_every == 0 && progress.env_steps < steps) {
      save_checkpoint_now();
    }
    std::vector<std::pair<std::string, std::string>> fields = {
        {"ret", format("%.1f", progress.last_episode_return)},
        {"eval", std::isfinite(last_eval) ? format("%.1f", last_eval) : "-"}};
    if (uses_model(o.algorithm) && progress.model.round > 0) {
      fields.push_back({"model", format("%.3g", progress.model.mle.mean_holdout_mse)});
      if (progress.model.phase_two) {
        fields.push_back({"shift/bias", format("%.3g", progress.model.w2.shift) + "/" +
                                            format("%.3g", progress.model.w2.bias)});
      }
    }
    fields.push_back({"critic", format("%.3g", sac.critic_loss)});
    fields.push_back({"actor", format("%.3g", sac.actor_loss)});
    fields.push_back({"alpha", format("%.3g", sac.alpha)});
    bar.update(progress.env_steps, fields, progress.epoch_finished || progress.model_round);
  }
  bar.finish();
  if (!status.is_ok()) {
    std::fprintf(stderr, "usbpo train: stopped at step %lld: %s\n", static_cast<long long>(progress.env_steps),
                 status.message());
    return 1;
  }
  // The final (or interrupted) state: a checkpoint to resume from, taken before
  // the extra evaluation of a run that ends mid-epoch (a resumed run would not
  // have had it), then that evaluation, the policy and the plots.
  const bool checkpointed = save_checkpoint_now();
  if (!g_interrupted && !progress.epoch_finished) {
    status = evaluate(wall_before + now_seconds() - start);
    if (!status.is_ok()) std::fprintf(stderr, "usbpo train: final evaluation failed: %s\n", status.message());
  }
  save_policy();
  history.write_learning_curve(plot_path, title, paper);
  log.close();
  if (!o.save_dataset.empty()) {
    const Status s = save_dataset(o.save_dataset.c_str(), trainer.real_store(), o.env_name.c_str());
    if (s.is_ok()) {
      std::fprintf(stderr, "dataset: %s (%d real transitions)\n", o.save_dataset.c_str(), trainer.real_store().size());
    } else {
      std::fprintf(stderr, "usbpo train: --save-dataset: %s\n", s.message());
    }
  }
  const TrainerTimings& t = progress.time;
  const double per_k = progress.env_steps > 0 ? 1000.0 / progress.env_steps : 0;
  std::fprintf(stderr, "%s after %lld steps in %.1f s; last evaluation return %.1f\n",
               g_interrupted ? "interrupted" : "done", static_cast<long long>(progress.env_steps),
               now_seconds() - start, last_eval);
  std::fprintf(stderr,
               "time per 1000 env steps: env %.2f s, model %.2f s, phase 2 %.2f s, rollouts %.2f s, SAC %.2f s\n",
               t.env * per_k, t.model * per_k, t.phase_two * per_k, t.rollouts * per_k, t.sac * per_k);
  std::fprintf(stderr, "policy: %s\nlog: %s\nlearning curve: %s\n", policy_path.c_str(), log_path.c_str(),
               plot_path.c_str());
  if (uses_model(o.algorithm)) std::fprintf(stderr, "model diagnostics: %s\n", model_plot_path.c_str());
  if (checkpointed) {
    std::fprintf(stderr, "checkpoint: %s (continue with: usbpo train --resume %s --steps N)\n",
                 checkpoint_path.c_str(), o.out.c_str());
  }
  if (!checkpointed) return 1;
  return g_interrupted ? 130 : 0;
}

}  // namespace usbpo::cli
