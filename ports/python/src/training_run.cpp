#include "training_run.hpp"

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <new>

#include "env_factory.hpp"
#include "output_file.hpp"
#include "resume_log.hpp"
#include "run_record.hpp"
#include "run_setup.hpp"
#include "task_defaults.hpp"
#include "timing.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/train/checkpoint.hpp"
#include "usbpo/train/dataset.hpp"
#include "usbpo/train/policy_file.hpp"

namespace usbpo::python {

// What a resume reads before the trainer exists.
struct TrainingRun::ResumeState {
  CheckpointFile checkpoint;
  cli::ResumeLogPlan log_plan;
};

namespace {

constexpr double kNan = NAN;

std::string describe_command(const std::vector<std::string>& args) {
  std::string command = "python usbpo.train";
  for (const std::string& a : args) command += " " + a;
  return command;
}

double steps_per_second(std::int64_t steps, double seconds) { return seconds > 0 ? steps / seconds : 0; }

}  // namespace

TrainingRun::TrainingRun() : lock_(std::make_unique<cli::RunLock>()), last_eval_(kNan) {}

TrainingRun::~TrainingRun() { close(); }

bool TrainingRun::start(const std::vector<std::string>& args, Env* env, Env* eval_env, std::string* error) {
  command_ = describe_command(args);
  if (!cli::parse_train_options(args, &options_, error)) return false;
  return open(env, eval_env, error);
}

bool TrainingRun::resume(const std::string& dir, const std::vector<std::string>& overrides, Env* env,
                         Env* eval_env, std::string* error) {
  command_ = describe_command({"--resume", dir});
  resuming_ = true;
  resume_ = std::make_unique<ResumeState>();
  // The lock comes first: nothing of the run is read while another process may be writing it.
  struct stat info;
  if (dir.empty() || ::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    *error = "--resume " + dir + ": no such run directory";
    return false;
  }
  if (!lock_->acquire(dir, command_, error)) return false;
  for (std::size_t i = 0; i + 1 < overrides.size(); i += 2) {
    if (!cli::is_resume_option(overrides[i])) {
      *error = "with --resume only --steps, --checkpoint-every, --max-memory and --threads may be given (the rest "
               "comes from the checkpoint), not --" + overrides[i];
      return false;
    }
  }
  const std::string path = dir + "/" + cli::kCheckpointFile;
  Status s = resume_->checkpoint.read(path.c_str());
  if (!s.is_ok()) {
    *error = s.message();
    return false;
  }
  cli::RunRecord record;
  if (!cli::decode_run_record(resume_->checkpoint.host_data(), resume_->checkpoint.host_size(), &record, error)) {
    return false;
  }
  std::vector<std::string> args = record.args;
  for (std::size_t i = 0; i + 1 < overrides.size(); i += 2) cli::set_option(&args, overrides[i], overrides[i + 1]);
  cli::set_option(&args, "out", dir);
  if (!cli::parse_train_options(args, &options_, error)) return false;
  if (options_.steps < resume_->checkpoint.env_steps()) {
    *error = "--steps " + std::to_string(options_.steps) + " is below the checkpoint's env step " +
             std::to_string(resume_->checkpoint.env_steps()) + "; a resumed run can only go on";
    return false;
  }
  if (!cli::plan_resume_log(options_.out + "/" + cli::kLogFile, record, resume_->checkpoint.env_steps(),
                            &resume_->log_plan, error)) {
    *error = "cannot resume: " + *error;
    return false;
  }
  return open(env, eval_env, error);
}

bool TrainingRun::read_init_dataset(std::vector<unsigned char>* dataset, std::string* error) {
  // As `usbpo train`: verify the file now and record its size among the run's
  // options (stores and exploration depend on it; a resume reads it there).
  DatasetInfo info;
  Status s = read_file(options_.init_dataset.c_str(), dataset);
  if (s.is_ok()) s = inspect_dataset(dataset->data(), dataset->size(), &info);
  if (s.is_ok() && options_.env_name != info.env_name) {
    s = Status::error(StatusCode::kDimensionMismatch, "%s was recorded on '%s', not '%s'",
                      options_.init_dataset.c_str(), info.env_name, options_.env_name.c_str());
  }
  if (!s.is_ok()) {
    *error = std::string("--init-dataset: ") + s.message();
    return false;
  }
  std::vector<std::string> with_count = options_.args;
  cli::set_option(&with_count, "init-dataset-transitions", std::to_string(info.count));
  const bool overwrite = options_.overwrite;
  const std::uint64_t max_memory = options_.max_memory;
  const int threads = options_.threads;
  if (!cli::parse_train_options(with_count, &options_, error)) return false;
  options_.overwrite = overwrite;  // options of this invocation only, not among args
  options_.max_memory = max_memory;
  options_.threads = threads;
  return true;
}

bool TrainingRun::open(Env* env, Env* eval_env, std::string* error) {
  std::vector<unsigned char> dataset;
  if (!resuming_ && !options_.init_dataset.empty() && !read_init_dataset(&dataset, error)) return false;
  TrainerConfig& config = options_.config;
  config.clock = cli::now_seconds;
  Status status = pool_.start(options_.threads);  // before the trainer: no thread is created after init
  if (!status.is_ok()) {
    *error = status.message();
    return false;
  }
  config.runner = &pool_;
  if (env) {
    if (!options_.mjcf_path.empty()) {
      *error = "--mjcf runs a built-in MuJoCo task's rules on a model file; it does not apply to a Python env";
      return false;
    }
    if (options_.env_name != env->name()) {
      *error = "the run's env is '" + options_.env_name + "' but the Python env is named '" + env->name() + "'";
      return false;
    }
    env_ = env;
    eval_env_ = eval_env;
  } else {
    status = cli::make_env(options_.env_name, &own_env_, options_.mjcf_path);
    if (status.is_ok()) status = cli::make_env(options_.env_name, &own_eval_env_, options_.mjcf_path);
    env_ = own_env_.get();
    eval_env_ = own_eval_env_.get();
  }
  if (!status.is_ok()) {
    *error = status.message();
    return false;
  }
  // The one allocation of the run, sized and checked against the memory there is first.
  const std::size_t bytes = Trainer::bytes_needed(config, *env_);
  if (bytes == 0) {
    *error = std::string("invalid configuration: ") + Trainer::check_config(config, *env_).message();
    return false;
  }
  if (!cli::check_run_memory(options_, bytes, error)) return false;
  if (!resuming_ && !cli::prepare_fresh_directory(options_, command_, lock_.get(), error)) return false;
  if (!cli::check_run_outputs(options_, error) || !cli::check_dataset_output(options_, error)) return false;
  try {
    memory_.resize(bytes);
  } catch (const std::bad_alloc&) {
    *error = "cannot allocate " + std::to_string(bytes) + " bytes for the trainer: out of memory";
    return false;
  }
  Arena arena(memory_.data(), memory_.size());
  status = trainer_.init(config, *env_, *eval_env_, arena);
  if (status.is_ok() && resuming_) status = restore_checkpoint(resume_->checkpoint, trainer_);
  if (status.is_ok() && !dataset.empty()) {
    int loaded = 0;
    status = trainer_.load_dataset(dataset.data(), dataset.size(), options_.env_name.c_str(), &loaded);
  }
  if (!status.is_ok()) {
    *error = status.message();
    return false;
  }
  progress_ = trainer_.progress();
  log_path_ = options_.out + "/" + cli::kLogFile;
  checkpoint_path_ = options_.out + "/" + cli::kCheckpointFile;
  policy_ = {"policy", options_.out + "/" + cli::kPolicyFile, false, ""};
  curve_ = {"learning curve", options_.out + "/" + cli::kLearningCurveFile, false, ""};
  model_plot_ = {"model diagnostics", options_.out + "/" + cli::kModelPlotFile, false, ""};
  log_.assign(cli::log_columns().size(), {});
  bool append = false;
  if (resuming_) {
    // The log continues where the checkpoint's state was (plan_resume_log checked it).
    const cli::ResumeLogPlan& plan = resume_->log_plan;
    if (!plan.note.empty()) std::fprintf(stderr, "usbpo: %s\n", plan.note.c_str());
    std::vector<std::string> columns;
    std::vector<std::vector<double>> rows;
    if (!cli::apply_resume_log(log_path_, plan, error) ||
        (!plan.start_new && (!history_.load_log(log_path_, error) ||
                             !cli::CsvLog::read(log_path_, &columns, &rows, error)))) {
      *error = "cannot continue " + log_path_ + ": " + *error;
      return false;
    }
    for (const std::vector<double>& row : rows) {
      for (std::size_t c = 0; c < log_.size() && c < row.size(); ++c) log_[c].push_back(row[c]);
    }
    append = !plan.start_new;
    checkpoint_step_ = progress_.env_steps;
    wall_before_ = history_.last_wall_s;
    if (!history_.eval_returns.empty()) last_eval_ = history_.eval_returns.back();
    resume_.reset();  // the checkpoint's memory is no longer needed
  }
  if (!csv_.open(log_path_, cli::log_columns(), append, error)) return false;
  start_time_ = cli::now_seconds();
  start_step_ = progress_.env_steps;
  return true;
}

double TrainingRun::wall_seconds() const { return wall_before_ + cli::now_seconds() - start_time_; }

void TrainingRun::report(Output& out, bool ok, const std::string& why) {
  // Writes go on through a failure (a later one may succeed); what counts is the last.
  if (!ok && (out.written || out.error != why)) std::fprintf(stderr, "usbpo: %s\n", why.c_str());
  out.written = ok;
  out.error = ok ? "" : why;
}

void TrainingRun::log_row(std::vector<double> values) {
  const TrainerTimings& t = progress_.time;
  values.insert(values.end(), {t.env, t.model, t.phase_two, t.rollouts, t.sac});
  for (std::size_t c = 0; c < log_.size() && c < values.size(); ++c) log_[c].push_back(values[c]);
  if (!csv_.row(values) && csv_.ok()) std::fprintf(stderr, "usbpo: a row of %s was not written\n", log_path_.c_str());
}

void TrainingRun::save_policy() {
  const Status s = save_policy_file(policy_.path.c_str(), describe_policy(trainer_));
  report(policy_, s.is_ok(), s.is_ok() ? "" : s.message());
}

void TrainingRun::write_curve() {
  std::string why;
  const std::string title = options_.env_name + " - " + options_.algo_name + " (seed " +
                            std::to_string(options_.config.seed) + ")";
  const double paper = cli::paper_final_return(options_.env_name, options_.algorithm);
  report(curve_, history_.write_learning_curve(curve_.path, title, paper, &why), why);
}

void TrainingRun::write_model_plot() {
  std::string why;
  const std::string title = options_.env_name + " - " + options_.algo_name + ": model diagnostics";
  report(model_plot_, history_.write_model_plot(model_plot_.path, title, uses_phase_two(options_.algorithm), &why),
         why);
}

bool TrainingRun::save_run_checkpoint() {
  const Status s = save_checkpoint("");
  if (!s.is_ok()) {
    checkpoint_error_ = s.message();
    std::fprintf(stderr, "usbpo: checkpoint not written: %s\n", s.message());
    return false;
  }
  return true;
}

Status TrainingRun::evaluate_and_log(StepOutcome* outcome) {
  Scalar eval_return = 0;
  USBPO_RETURN_IF_ERROR(trainer_.evaluate(options_.config.eval_episodes, &eval_return));
  last_eval_ = eval_return;
  outcome->evaluated = true;
  outcome->eval_return = eval_return;
  history_.eval_steps.push_back(static_cast<double>(progress_.env_steps));
  history_.eval_returns.push_back(eval_return);
  const SacStats& sac = progress_.sac;
  const double rate = steps_per_second(progress_.env_steps - start_step_, cli::now_seconds() - start_time_);
  log_row({static_cast<double>(progress_.env_steps), static_cast<double>(progress_.episodes), kNan, eval_return,
           sac.critic_loss, sac.actor_loss, sac.alpha, sac.entropy, sac.q_mean, rate, wall_seconds(), kNan, kNan,
           kNan, kNan, kNan, kNan, kNan, kNan});
  save_policy();
  write_curve();
  return Status::ok();
}

Status TrainingRun::step(StepOutcome* outcome) {
  *outcome = StepOutcome();
  if (finished_) return Status::error(StatusCode::kFailedPrecondition, "the run has finished");
  if (done()) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "the run has taken its %lld planned env steps; resume it with more steps",
                         static_cast<long long>(options_.steps));
  }
  USBPO_RETURN_IF_ERROR(trainer_.step(&progress_));
  const double rate = steps_per_second(progress_.env_steps - start_step_, cli::now_seconds() - start_time_);
  const SacStats& sac = progress_.sac;
  if (progress_.episode_finished) {
    history_.train_steps.push_back(static_cast<double>(progress_.env_steps));
    history_.train_returns.push_back(progress_.last_episode_return);
    log_row({static_cast<double>(progress_.env_steps), static_cast<double>(progress_.episodes),
             progress_.last_episode_return, kNan, sac.critic_loss, sac.actor_loss, sac.alpha, sac.entropy,
             sac.q_mean, rate, wall_seconds(), kNan, kNan, kNan, kNan, kNan, kNan, kNan, kNan});
  }
  if (progress_.model_round) {
    const ModelRoundReport& m = progress_.model;
    history_.add_model_round(static_cast<double>(progress_.env_steps), m);
    write_model_plot();
    const bool p2 = m.phase_two;
    log_row({static_cast<double>(progress_.env_steps), static_cast<double>(progress_.episodes), kNan, kNan, kNan,
             kNan, kNan, kNan, kNan, rate, wall_seconds(), m.mle.mean_holdout_mse, p2 ? m.w2.shift : kNan,
             p2 ? m.w2.bias : kNan, p2 ? m.w2.j_before : kNan, p2 ? m.w2.j_after : kNan,
             p2 ? static_cast<double>(m.w2.steps) : kNan, static_cast<double>(m.rollouts.length),
             p2 ? m.phase_two_holdout_mse : kNan});
  }
  if (progress_.epoch_finished) USBPO_RETURN_IF_ERROR(evaluate_and_log(outcome));
  if (options_.checkpoint_every > 0 && progress_.env_steps % options_.checkpoint_every == 0 && !done()) {
    save_run_checkpoint();
  }
  return Status::ok();
}

Status TrainingRun::finish(bool interrupted) {
  if (finished_) return Status::ok();
  finished_ = true;
  // As `usbpo train`: the checkpoint first (a resumed run would not have had
  // the extra evaluation of a run that ends mid-epoch), then that evaluation,
  // the policy and the plots.
  const bool checkpointed = save_run_checkpoint();
  std::string failures;
  if (!checkpointed) failures += "checkpoint at step " + std::to_string(progress_.env_steps) + ": " + checkpoint_error_;
  if (!interrupted && !progress_.epoch_finished) {
    StepOutcome outcome;
    const Status s = evaluate_and_log(&outcome);
    if (!s.is_ok()) failures += std::string(failures.empty() ? "" : "; ") + "final evaluation: " + s.message();
  }
  save_policy();
  write_curve();
  if (uses_model(options_.algorithm)) write_model_plot();
  csv_.close();
  Output log{"log", log_path_, csv_.ok(), csv_.ok() ? "" : "a write to it failed"};
  Output data{"dataset", options_.save_dataset, true, ""};
  if (!options_.save_dataset.empty()) {
    const Status s = usbpo::save_dataset(options_.save_dataset.c_str(), trainer_.real_store(),
                                         options_.env_name.c_str());
    data.written = s.is_ok();
    data.error = s.is_ok() ? "" : s.message();
  }
  std::vector<const Output*> outputs = {&policy_, &log, &curve_, &data};
  if (uses_model(options_.algorithm)) outputs.push_back(&model_plot_);
  for (const Output* out : outputs) {
    if (!out->written) {
      failures += (failures.empty() ? "" : "; ") + out->label + " " + out->path + ": " + out->error;
    }
  }
  if (failures.empty()) return Status::ok();
  return Status::error(StatusCode::kIoError, "NOT WRITTEN: %s", failures.c_str());
}

Status TrainingRun::evaluate(int episodes, double* mean_return) {
  if (episodes < 1) return Status::error(StatusCode::kInvalidArgument, "evaluate needs at least 1 episode");
  Scalar mean = 0;
  USBPO_RETURN_IF_ERROR(trainer_.evaluate(episodes, &mean));
  *mean_return = mean;
  return Status::ok();
}

Status TrainingRun::save_checkpoint(const std::string& path) {
  const bool own = path.empty();
  const std::string target = own ? checkpoint_path_ : path;
  std::string why;
  if (!own && !cli::check_output_file(target, &why)) {
    return Status::error(StatusCode::kIoError, "%s", why.c_str());
  }
  if (!csv_.ok()) return Status::error(StatusCode::kIoError, "%s could not be written", log_path_.c_str());
  cli::RunRecord record;
  record.args = options_.args;
  record.log_bytes = csv_.position();
  record.has_log_hash = true;
  record.log_hash = csv_.content_hash();
  const std::vector<unsigned char> host = cli::encode_run_record(record);
  USBPO_RETURN_IF_ERROR(usbpo::save_checkpoint(target.c_str(), trainer_, host.data(), host.size()));
  if (own) {
    checkpoint_step_ = progress_.env_steps;
    checkpoint_error_.clear();
  }
  return Status::ok();
}

Status TrainingRun::policy_bytes(std::vector<unsigned char>* bytes) {
  return serialize_policy(describe_policy(trainer_), bytes);
}

Status TrainingRun::save_dataset(const std::string& path) {
  std::string why;
  if (!cli::check_output_file(path, &why)) return Status::error(StatusCode::kIoError, "%s", why.c_str());
  return usbpo::save_dataset(path.c_str(), trainer_.real_store(), options_.env_name.c_str());
}

void TrainingRun::close() {
  csv_.close();
  lock_.reset();
}

}  // namespace usbpo::python
