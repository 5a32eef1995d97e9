// `usbpo train`: run a Trainer with a progress bar, a CSV log, the plots, the
// policy file and a checkpoint every N steps; `--resume DIR` continues a run
// from its checkpoint bit for bit, and Ctrl-C writes a final checkpoint.
//
// Exit status: 0 done; 2 refused before the run started (options, memory,
// paths, the directory's lock or an earlier run in it); 1 a failure during or
// after the run, including any file asked for that was not written; 130
// interrupted (SIGINT or SIGTERM) with every file written.
#include <sys/stat.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "commands.hpp"
#include "config_file.hpp"
#include "csv_log.hpp"
#include "device_backend.hpp"
#include "env_factory.hpp"
#include "progress_bar.hpp"
#include "resume_log.hpp"
#include "run_directory.hpp"
#include "run_history.hpp"
#include "run_record.hpp"
#include "run_setup.hpp"
#include "task_defaults.hpp"
#include "timing.hpp"
#include "train_options.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/thread_pool.hpp"
#include "usbpo/train/checkpoint.hpp"
#include "usbpo/train/dataset.hpp"
#include "usbpo/train/policy_file.hpp"

namespace usbpo::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

std::string format(const char* fmt, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), fmt, value);
  return buffer;
}

// The options of a resumed run: those saved in the checkpoint, with the
// resume options (--steps, --checkpoint-every, --max-memory, --threads) given now.
bool resume_options(const ResumeRequest& request, CheckpointFile* checkpoint, RunRecord* record,
                    TrainOptions* options, std::string* error) {
  const std::string path = request.dir + "/" + kCheckpointFile;
  Status s = checkpoint->read(path.c_str());
  if (!s.is_ok()) {
    *error = s.message();
    return false;
  }
  if (!decode_run_record(checkpoint->host_data(), checkpoint->host_size(), record, error)) return false;
  std::vector<std::string> args = record->args;
  for (std::size_t i = 0; i + 1 < request.overrides.size(); i += 2) {
    set_option(&args, request.overrides[i], request.overrides[i + 1]);
  }
  set_option(&args, "out", request.dir);
  return parse_train_options(args, options, error);
}

// A fresh run from a dataset: verify it now, and record its size among the
// run's options (stores and exploration depend on it; a resume reads it there).
bool read_init_dataset(TrainOptions* o, std::vector<unsigned char>* dataset, std::string* error) {
  DatasetInfo info;
  Status s = read_file(o->init_dataset.c_str(), dataset);
  if (s.is_ok()) s = inspect_dataset(dataset->data(), dataset->size(), &info);
  if (s.is_ok() && o->env_name != info.env_name) {
    s = Status::error(StatusCode::kDimensionMismatch, "%s was recorded on '%s', not '%s'", o->init_dataset.c_str(),
                      info.env_name, o->env_name.c_str());
  }
  if (!s.is_ok()) {
    *error = std::string("--init-dataset: ") + s.message();
    return false;
  }
  std::vector<std::string> with_count = o->args;
  set_option(&with_count, "init-dataset-transitions", std::to_string(info.count));
  const bool overwrite = o->overwrite;
  const std::uint64_t max_memory = o->max_memory;
  if (!parse_train_options(with_count, o, error)) return false;
  o->overwrite = overwrite;  // options of this invocation only, not among o->args
  o->max_memory = max_memory;
  return true;
}

// One output of the run: whether its last write succeeded, and why not.
struct Output {
  std::string label, path;
  bool written = false;
  std::string error;
};

}  // namespace

int train_command(int argc, char** argv) {
  std::vector<std::string> given(argv + 2, argv + argc);
  std::string command = "usbpo train";
  for (const std::string& a : given) {
    if (a == "--help" || a == "-h") {
      print_train_usage();
      return 0;
    }
    command += " " + a;
  }
  auto refuse = [](const std::string& message) {
    std::fprintf(stderr, "usbpo train: %s\n", message.c_str());
    return 2;
  };
  std::string error;
  // --config FILE: the file's options, overridden by the command line's.
  if (!expand_config_option(&given, &error)) return refuse(error);
  ResumeRequest resume;
  if (!read_resume_request(given, &resume, &error)) {
    print_train_usage();
    return refuse(error);
  }
  // The device first: without a usable GPU, --device cuda is refused before
  // anything is read, locked or written.
  std::string device;
  std::unique_ptr<Backend> backend;
  if (!find_device_option(given, &device, &error) || !make_device_backend(device, &backend, &error)) {
    return refuse(error);
  }
  const bool resuming = resume.active;
  TrainOptions o;
  CheckpointFile checkpoint;
  RunRecord record;
  RunLock lock;
  ResumeLogPlan log_plan;
  if (resuming) {
    // The lock comes first: nothing of the run is read while another process may be writing it.
    struct stat info;
    if (::stat(resume.dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
      return refuse("--resume " + resume.dir + ": no such run directory");
    }
    if (!lock.acquire(resume.dir, command, &error)) return refuse(error);
    if (!resume_options(resume, &checkpoint, &record, &o, &error)) return refuse(error);
    if (o.steps < checkpoint.env_steps()) {
      return refuse("--steps " + std::to_string(o.steps) + " is below the checkpoint's env step " +
                    std::to_string(checkpoint.env_steps()) + "; a resumed run can only go on");
    }
    if (!plan_resume_log(o.out + "/" + kLogFile, record, checkpoint.env_steps(), &log_plan, &error)) {
      return refuse("cannot resume: " + error);
    }
  } else if (!parse_train_options(given, &o, &error)) {
    print_train_usage();
    return refuse(error);
  }
  std::vector<unsigned char> dataset;
  if (!resuming && !o.init_dataset.empty() && !read_init_dataset(&o, &dataset, &error)) return refuse(error);
  TrainerConfig& config = o.config;
  config.clock = now_seconds;
  ThreadPool pool;  // started before the trainer: no thread is created after init
  Status pool_status = pool.start(o.threads);
  if (!pool_status.is_ok()) {
    std::fprintf(stderr, "usbpo train: %s\n", pool_status.message());
    return 2;
  }
  config.runner = &pool;
  config.backend = backend.get();

  std::unique_ptr<Env> env, eval_env;
  Status status = make_env(o.env_name, &env, o.mjcf_path);
  if (status.is_ok()) status = make_env(o.env_name, &eval_env, o.mjcf_path);
  if (!status.is_ok()) return refuse(status.message());
  // The one allocation of the run: everything the trainer needs, sized and
  // checked against the memory there is before anything is allocated.
  const std::size_t bytes = Trainer::bytes_needed(config, *env);
  if (bytes == 0) {
    return refuse(std::string("invalid configuration: ") + Trainer::check_config(config, *env).message());
  }
  if (!check_run_memory(o, bytes, &error)) return refuse(error);
  if (!resuming && !prepare_fresh_directory(o, command, &lock, &error)) return refuse(error);
  if (!check_run_outputs(o, &error) || !check_dataset_output(o, &error)) return refuse(error);

  std::vector<unsigned char> memory;
  try {
    memory.resize(bytes);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "usbpo train: cannot allocate %zu bytes for the trainer: out of memory\n", bytes);
    return 1;
  }
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
  if (!status.is_ok()) return refuse(status.message());
  if (backend && backend->counters().uploads == 0) {
    // A trainer that placed nothing on the device ignored TrainerConfig::backend.
    return refuse("--device " + device + ": this usbpo's Trainer does not run on a backend yet (TrainerConfig::backend)");
  }
  checkpoint = CheckpointFile();  // its memory is no longer needed

  const std::string log_path = o.out + "/" + kLogFile;
  const std::string checkpoint_path = o.out + "/" + kCheckpointFile;
  RunHistory history;
  if (resuming) {
    // The log continues where the checkpoint's state was (plan_resume_log checked it).
    if (!log_plan.note.empty()) std::fprintf(stderr, "usbpo train: %s\n", log_plan.note.c_str());
    if (!apply_resume_log(log_path, log_plan, &error) ||
        (!log_plan.start_new && !history.load_log(log_path, &error))) {
      std::fprintf(stderr, "usbpo train: cannot continue %s: %s\n", log_path.c_str(), error.c_str());
      return 1;
    }
  }
  CsvLog log;
  if (!log.open(log_path, log_columns(), resuming && !log_plan.start_new, &error)) {
    std::fprintf(stderr, "usbpo train: %s\n", error.c_str());
    return 1;
  }
  const std::int64_t steps = o.steps;
  const std::string on_device = backend ? ", " + device + " (" + device_description(backend.get()) + ")" : "";
  std::fprintf(stderr, "usbpo train: %s, %s, %lld steps, seed %llu, %d thread%s%s, %.1f MB arena -> %s%s\n",
               o.env_name.c_str(), o.algo_name.c_str(), static_cast<long long>(steps),
               static_cast<unsigned long long>(config.seed), o.threads, o.threads == 1 ? "" : "s",
               on_device.c_str(), bytes / 1e6,
               o.out.c_str(),
               resuming ? (" (resumed at step " + std::to_string(trainer.progress().env_steps) + ")").c_str() : "");
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);

  const double paper = paper_final_return(o.env_name, o.algorithm);
  Output policy{"policy", o.out + "/" + kPolicyFile, false, ""};
  Output curve{"learning curve", o.out + "/" + kLearningCurveFile, false, ""};
  Output model_plot{"model diagnostics", o.out + "/" + kModelPlotFile, false, ""};
  const std::string title = o.env_name + " - " + o.algo_name + " (seed " + std::to_string(config.seed) + ")";
  const std::string model_title = o.env_name + " - " + o.algo_name + ": model diagnostics";
  double last_eval = history.eval_returns.empty() ? NAN : history.eval_returns.back();
  ProgressBar bar(steps);
  const double start = now_seconds();
  TrainerProgress progress = trainer.progress();
  const double wall_before = history.last_wall_s;
  // The env step the newest good checkpoint holds (-1: none yet).
  std::int64_t checkpoint_step = resuming ? progress.env_steps : -1;
  std::string checkpoint_error;
  // Writes go on through a failure (a later one may succeed); what counts is the last.
  auto report = [](Output& out, bool ok, const std::string& why) {
    if (!ok && (out.written || out.error != why)) std::fprintf(stderr, "\nusbpo train: %s\n", why.c_str());
    out.written = ok;
    out.error = ok ? "" : why;
  };
  auto save_policy = [&]() {
    const Status s = save_policy_file(policy.path.c_str(), describe_policy(trainer));
    report(policy, s.is_ok(), s.is_ok() ? "" : s.message());
  };
  auto write_curve = [&]() {
    std::string why;
    report(curve, history.write_learning_curve(curve.path, title, paper, &why), why);
  };
  auto write_model_plot = [&]() {
    std::string why;
    report(model_plot, history.write_model_plot(model_plot.path, model_title, uses_phase_two(o.algorithm), &why), why);
  };
  auto save_checkpoint_now = [&]() {
    RunRecord r;
    r.args = o.args;
    r.log_bytes = log.position();
    r.has_log_hash = true;
    r.log_hash = log.content_hash();
    const std::vector<unsigned char> host = encode_run_record(r);
    const double t0 = now_seconds();
    Status s = log.ok() ? save_checkpoint(checkpoint_path.c_str(), trainer, host.data(), host.size())
                        : Status::error(StatusCode::kIoError, "%s could not be written", log_path.c_str());
    if (!s.is_ok()) {
      checkpoint_error = s.message();
      std::fprintf(stderr, "\nusbpo train: checkpoint not written: %s\n", s.message());
      return false;
    }
    checkpoint_step = progress.env_steps;
    checkpoint_error.clear();
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
    if (!log.row(values) && log.ok()) std::fprintf(stderr, "\nusbpo train: a row of %s was not written\n", log_path.c_str());
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
             nan, nan, nan, nan, nan, nan, nan, nan});
    save_policy();
    write_curve();
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
               sac.q_mean, bar.steps_per_second(), wall, nan, nan, nan, nan, nan, nan, nan, nan});
    }
    if (progress.model_round) {
      const ModelRoundReport& m = progress.model;
      history.add_model_round(static_cast<double>(progress.env_steps), m);
      write_model_plot();
      const bool p2 = m.phase_two;
      log_row({static_cast<double>(progress.env_steps), static_cast<double>(progress.episodes), nan, nan, nan, nan,
               nan, nan, nan, bar.steps_per_second(), wall, m.mle.mean_holdout_mse, p2 ? m.w2.shift : nan,
               p2 ? m.w2.bias : nan, p2 ? m.w2.j_before : nan, p2 ? m.w2.j_after : nan,
               p2 ? static_cast<double>(m.w2.steps) : nan, static_cast<double>(m.rollouts.length),
               p2 ? m.phase_two_holdout_mse : nan});
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
      // Elites' holdout MSE, after phase 1 (and after phase 2 when it ran).
      std::string mse = format("%.3g", progress.model.mle.mean_holdout_mse);
      if (progress.model.phase_two) mse += "->" + format("%.3g", progress.model.phase_two_holdout_mse);
      fields.push_back({"model", mse});
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
  auto describe_checkpoint = [&]() {
    return checkpoint_step < 0 ? std::string("no checkpoint was written")
                               : "the checkpoint " + checkpoint_path + " holds env step " +
                                     std::to_string(checkpoint_step);
  };
  if (!status.is_ok()) {
    std::fprintf(stderr, "usbpo train: stopped at step %lld: %s\n%s\n", static_cast<long long>(progress.env_steps),
                 status.message(), describe_checkpoint().c_str());
    return 1;
  }
  // The final (or interrupted) state: a checkpoint to resume from, taken before
  // the extra evaluation of a run that ends mid-epoch (a resumed run would not
  // have had it), then that evaluation, the policy and the plots.
  const bool checkpointed = save_checkpoint_now();
  bool evaluated = true;
  if (!g_interrupted && !progress.epoch_finished) {
    status = evaluate(wall_before + now_seconds() - start);
    evaluated = status.is_ok();
    if (!evaluated) std::fprintf(stderr, "usbpo train: final evaluation failed: %s\n", status.message());
  }
  save_policy();
  write_curve();
  if (uses_model(o.algorithm)) write_model_plot();
  log.close();
  Output log_output{"log", log_path, log.ok(), log.ok() ? "" : "a write to it failed"};
  Output data{"dataset", o.save_dataset, false, ""};
  if (!o.save_dataset.empty()) {
    const Status s = save_dataset(o.save_dataset.c_str(), trainer.real_store(), o.env_name.c_str());
    data.written = s.is_ok();
    data.error = s.is_ok() ? "" : s.message();
  }
  const TrainerTimings& t = progress.time;
  const double per_k = progress.env_steps > 0 ? 1000.0 / progress.env_steps : 0;
  std::fprintf(stderr, "%s after %lld steps in %.1f s; last evaluation return %.1f\n",
               g_interrupted ? "interrupted" : "done", static_cast<long long>(progress.env_steps),
               now_seconds() - start, last_eval);
  std::fprintf(stderr,
               "time per 1000 env steps: env %.2f s, model %.2f s, phase 2 %.2f s, rollouts %.2f s, SAC %.2f s\n",
               t.env * per_k, t.model * per_k, t.phase_two * per_k, t.rollouts * per_k, t.sac * per_k);
  // Only what was written is listed; everything asked for and not written is named and fails the run.
  std::vector<const Output*> outputs = {&policy, &log_output, &curve};
  if (uses_model(o.algorithm)) outputs.push_back(&model_plot);
  if (!o.save_dataset.empty()) outputs.push_back(&data);
  bool failed = !checkpointed || !evaluated;
  for (const Output* out : outputs) {
    if (out->written && out == &data) {
      std::fprintf(stderr, "dataset: %s (%d real transitions)\n", data.path.c_str(), trainer.real_store().size());
    } else if (out->written) {
      std::fprintf(stderr, "%s: %s\n", out->label.c_str(), out->path.c_str());
    } else {
      std::fprintf(stderr, "NOT WRITTEN: %s %s: %s\n", out->label.c_str(), out->path.c_str(), out->error.c_str());
      failed = true;
    }
  }
  if (checkpointed) {
    std::fprintf(stderr, "checkpoint: %s holds env step %lld (continue with: usbpo train --resume %s --steps N)\n",
                 checkpoint_path.c_str(), static_cast<long long>(checkpoint_step), o.out.c_str());
  } else {
    std::fprintf(stderr, "NOT WRITTEN: checkpoint at step %lld: %s; %s\n", static_cast<long long>(progress.env_steps),
                 checkpoint_error.c_str(), describe_checkpoint().c_str());
  }
  if (failed) return 1;
  return g_interrupted ? 130 : 0;
}

}  // namespace usbpo::cli
