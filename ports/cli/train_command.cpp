// `usbpo train`: run a Trainer with a progress bar, a CSV log, a learning-curve
// plot and the policy file, written after every epoch.
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "commands.hpp"
#include "csv_log.hpp"
#include "env_factory.hpp"
#include "progress_bar.hpp"
#include "svg_plot.hpp"
#include "task_defaults.hpp"
#include "timing.hpp"
#include "usbpo/policy_file.hpp"
#include "usbpo/trainer.hpp"

namespace usbpo::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

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

const std::vector<std::string> kLogColumns = {
    "env_steps", "episode",  "episode_return", "eval_return", "critic_loss", "actor_loss", "alpha",
    "entropy",   "q_mean",   "steps_per_s",    "wall_s",      "model_holdout_mse", "model_shift",
    "model_bias", "j_before", "j_after",       "phase2_steps", "rollout_length"};

void print_usage() {
  std::fprintf(stderr,
               "usage: usbpo train --env NAME [--algo sac] [--steps N] [--seed S] [--out DIR]\n"
               "  --env NAME             %s\n"
               "  --mjcf FILE            run a MuJoCo task's rules on your own model file\n"
               "  --algo NAME            sac, mbpo, usbpo, pmac or usbpo+pmac\n"
               "  --steps N              env steps (default 15000)\n"
               "  --seed S               seed of everything random (default 0)\n"
               "  --out DIR              output directory (default runs/<env>-<algo>-<seed>)\n"
               "  overrides of the task defaults:\n"
               "  --start-steps N --update-after N --updates-per-step G --batch N --hidden N --layers N\n"
               "  --lr X --gamma X --tau X --alpha X --target-entropy X --replay-capacity N\n"
               "  --epoch-length N --eval-episodes N\n"
               "  model-based: --rollout-batch N --model-train-freq N --real-ratio X --w2-lr X\n"
               "  --w2-terms both|shift|bias (USB-PO phase 2 ablations)\n",
               env_names().c_str());
}

// Writes the learning curve: eval return vs env steps, with the paper's value when known.
void write_learning_curve(const std::string& path, const std::string& title, const std::vector<double>& steps,
                          const std::vector<double>& returns, const std::vector<double>& train_steps,
                          const std::vector<double>& train_returns, double paper) {
  PlotSpec spec;
  spec.title = title;
  spec.x_label = "env steps";
  spec.y_label = "return";
  PlotSeries train;
  train.label = "training episodes";
  train.x = train_steps;
  train.y = train_returns;
  train.color = "#b0b0b0";
  PlotSeries eval;
  eval.label = "evaluation (deterministic)";
  eval.x = steps;
  eval.y = returns;
  eval.markers = true;
  spec.series = {train, eval};
  if (std::isfinite(paper)) spec.lines.push_back({paper, "paper", "#d62728"});
  std::string error;
  if (!write_svg_plot(path, spec, &error)) std::fprintf(stderr, "\nwarning: %s\n", error.c_str());
}

// Per-round model diagnostics (the USB-PO paper's Figures 3-4).
struct ModelHistory {
  std::vector<double> steps, holdout_mse, j_before, j_after, shift, bias;
  void add(double env_steps, const ModelRoundReport& m) {
    steps.push_back(env_steps);
    holdout_mse.push_back(m.mle.mean_holdout_mse);
    const double nan = NAN;
    j_before.push_back(m.phase_two ? m.w2.j_before : nan);
    j_after.push_back(m.phase_two ? m.w2.j_after : nan);
    shift.push_back(m.phase_two ? m.w2.shift : nan);
    bias.push_back(m.phase_two ? m.w2.bias : nan);
  }
};

// Writes the model diagnostics as a 2x2 panel SVG.
void write_model_plot(const std::string& path, const std::string& title, const ModelHistory& h, bool phase_two) {
  auto panel = [&](const char* name, std::vector<PlotSeries> series) {
    PlotSpec spec;
    spec.title = name;
    spec.x_label = "env steps";
    spec.width = 520;
    spec.height = 320;
    spec.series = std::move(series);
    return spec;
  };
  std::vector<PlotSpec> panels = {panel("model holdout MSE (elites)", {{"holdout MSE", h.steps, h.holdout_mse, "", false, true}})};
  if (phase_two) {
    panels.push_back(panel("phase-2 objective J on real pairs",
                           {{"J after phase 1", h.steps, h.j_before, "#ff7f0e", false, true},
                            {"J after phase 2", h.steps, h.j_after, "#1f77b4", false, true}}));
    panels.push_back(panel("model shift W2(M1, M2)", {{"shift", h.steps, h.shift, "#2ca02c", false, true}}));
    panels.push_back(panel("model bias (ensemble W2)", {{"bias", h.steps, h.bias, "#9467bd", false, true}}));
  }
  std::string error;
  if (!write_svg_panels(path, title, panels, 2, &error)) std::fprintf(stderr, "\nwarning: %s\n", error.c_str());
}

}  // namespace

int train_command(int argc, char** argv) {
  Arguments args;
  std::string error;
  if (!args.parse(argc, argv, 2, {"help"}, &error)) {
    std::fprintf(stderr, "usbpo train: %s\n", error.c_str());
    print_usage();
    return 2;
  }
  if (args.has("help")) {
    print_usage();
    return 0;
  }
  const std::string env_name = args.get("env", "pendulum");
  const std::string mjcf_path = args.get("mjcf", "");
  const std::string algo_name = args.get("algo", "sac");
  Algorithm algorithm;
  if (!parse_algorithm(algo_name.c_str(), &algorithm)) {
    std::fprintf(stderr, "usbpo train: unknown --algo '%s' (valid: sac, mbpo, usbpo, pmac, usbpo+pmac)\n",
                 algo_name.c_str());
    return 2;
  }
  TrainerConfig config = task_defaults(env_name, algorithm);
  const std::int64_t steps = args.get_int("steps", 15000);
  config.seed = static_cast<std::uint64_t>(args.get_int("seed", 0));
  const std::string out = args.get("out", "runs/" + env_name + "-" + algo_name + "-" + std::to_string(config.seed));
  config.start_steps = static_cast<int>(args.get_int("start-steps", config.start_steps));
  config.update_after = static_cast<int>(args.get_int("update-after", std::max<std::int64_t>(config.update_after, 0)));
  config.updates_per_step = static_cast<int>(args.get_int("updates-per-step", config.updates_per_step));
  config.replay_capacity = static_cast<int>(args.get_int("replay-capacity", config.replay_capacity));
  config.epoch_length = static_cast<int>(args.get_int("epoch-length", config.epoch_length));
  config.eval_episodes = static_cast<int>(args.get_int("eval-episodes", config.eval_episodes));
  config.sac.batch = static_cast<int>(args.get_int("batch", config.sac.batch));
  config.sac.hidden_width = static_cast<int>(args.get_int("hidden", config.sac.hidden_width));
  config.sac.hidden_layers = static_cast<int>(args.get_int("layers", config.sac.hidden_layers));
  const double lr = args.get_double("lr", config.sac.actor_lr);
  config.sac.actor_lr = config.sac.critic_lr = config.sac.alpha_lr = static_cast<Scalar>(lr);
  config.sac.gamma = static_cast<Scalar>(args.get_double("gamma", config.sac.gamma));
  config.sac.tau = static_cast<Scalar>(args.get_double("tau", config.sac.tau));
  config.sac.initial_alpha = static_cast<Scalar>(args.get_double("alpha", config.sac.initial_alpha));
  config.sac.target_entropy = static_cast<Scalar>(args.get_double("target-entropy", config.sac.target_entropy));
  config.rollout_batch = static_cast<int>(args.get_int("rollout-batch", config.rollout_batch));
  config.model_train_freq = static_cast<int>(args.get_int("model-train-freq", config.model_train_freq));
  config.real_ratio = static_cast<Scalar>(args.get_double("real-ratio", config.real_ratio));
  config.w2.learning_rate = static_cast<Scalar>(args.get_double("w2-lr", config.w2.learning_rate));
  const std::string ablation = args.get("w2-terms", "both");
  config.w2.use_shift = ablation != "bias";
  config.w2.use_bias = ablation != "shift";
  if (!args.error().empty() || !args.check_all_used(&error)) {
    std::fprintf(stderr, "usbpo train: %s\n", args.error().empty() ? error.c_str() : args.error().c_str());
    return 2;
  }
  if (steps < 1) {
    std::fprintf(stderr, "usbpo train: --steps must be >= 1\n");
    return 2;
  }

  std::unique_ptr<Env> env, eval_env;
  Status status = make_env(env_name, &env, mjcf_path);
  if (status.is_ok()) status = make_env(env_name, &eval_env, mjcf_path);
  if (!status.is_ok()) {
    std::fprintf(stderr, "usbpo train: %s\n", status.message());
    return 2;
  }
  if (!make_directories(out, &error)) {
    std::fprintf(stderr, "usbpo train: %s\n", error.c_str());
    return 1;
  }
  // The one allocation of the run: everything the trainer needs, sized up front.
  const std::size_t bytes = Trainer::bytes_needed(config, env->obs_dim(), env->act_dim());
  if (bytes == 0) {
    std::fprintf(stderr, "usbpo train: invalid configuration\n");
    return 2;
  }
  std::vector<unsigned char> memory(bytes);
  Arena arena(memory.data(), memory.size());
  Trainer trainer;
  status = trainer.init(config, *env, *eval_env, arena);
  if (!status.is_ok()) {
    std::fprintf(stderr, "usbpo train: %s\n", status.message());
    return 2;
  }
  CsvLog log;
  const std::string log_path = out + "/log.csv";
  if (!log.open(log_path, kLogColumns, false, &error)) {
    std::fprintf(stderr, "usbpo train: %s\n", error.c_str());
    return 1;
  }
  std::fprintf(stderr, "usbpo train: %s, %s, %lld steps, seed %llu, %.1f MB arena -> %s\n", env_name.c_str(),
               algo_name.c_str(), static_cast<long long>(steps), static_cast<unsigned long long>(config.seed),
               bytes / 1e6, out.c_str());
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);

  const double paper = paper_final_return(env_name, algorithm);
  const std::string policy_path = out + "/policy.usbpo";
  const std::string plot_path = out + "/learning_curve.svg";
  std::vector<double> eval_steps, eval_returns, train_steps, train_returns;
  ModelHistory model_history;
  const std::string model_plot_path = out + "/model_diagnostics.svg";
  double last_eval = NAN;
  ProgressBar bar(steps);
  const double start = now_seconds();
  TrainerProgress progress;
  auto save_policy = [&]() {
    PolicyDescription d;
    d.env_name = env_name.c_str();
    d.algorithm = algo_name.c_str();
    d.env_steps = progress.env_steps;
    d.obs_dim = env->obs_dim();
    d.act_dim = env->act_dim();
    d.actor = &trainer.sac().actor_network();
    d.actor_params = trainer.sac().actor_params();
    d.action_low = env->action_low();
    d.action_high = env->action_high();
    d.log_std_min = config.sac.log_std_min;
    d.log_std_max = config.sac.log_std_max;
    Status s = save_policy_file(policy_path.c_str(), d);
    if (!s.is_ok()) std::fprintf(stderr, "\nwarning: %s\n", s.message());
  };
  const double nan = NAN;
  while (progress.env_steps < steps && !g_interrupted) {
    status = trainer.step(&progress);
    if (!status.is_ok()) break;
    const double wall = now_seconds() - start;
    const SacStats& sac = progress.sac;
    if (progress.episode_finished) {
      train_steps.push_back(static_cast<double>(progress.env_steps));
      train_returns.push_back(progress.last_episode_return);
      log.row({static_cast<double>(progress.env_steps), static_cast<double>(progress.episodes),
               progress.last_episode_return, nan, sac.critic_loss, sac.actor_loss, sac.alpha, sac.entropy,
               sac.q_mean, bar.steps_per_second(), wall, nan, nan, nan, nan, nan, nan, nan});
    }
    if (progress.model_round) {
      const ModelRoundReport& m = progress.model;
      model_history.add(static_cast<double>(progress.env_steps), m);
      write_model_plot(model_plot_path, env_name + " - " + algo_name + ": model diagnostics", model_history,
                       uses_phase_two(algorithm));
      const bool p2 = m.phase_two;
      log.row({static_cast<double>(progress.env_steps), static_cast<double>(progress.episodes), nan, nan, nan, nan,
               nan, nan, nan, bar.steps_per_second(), wall, m.mle.mean_holdout_mse, p2 ? m.w2.shift : nan,
               p2 ? m.w2.bias : nan, p2 ? m.w2.j_before : nan, p2 ? m.w2.j_after : nan,
               p2 ? static_cast<double>(m.w2.steps) : nan, static_cast<double>(m.rollouts.length)});
    }
    if (progress.epoch_finished || progress.env_steps == steps) {
      Scalar eval_return = 0;
      status = trainer.evaluate(config.eval_episodes, &eval_return);
      if (!status.is_ok()) break;
      last_eval = eval_return;
      eval_steps.push_back(static_cast<double>(progress.env_steps));
      eval_returns.push_back(eval_return);
      log.row({static_cast<double>(progress.env_steps), static_cast<double>(progress.episodes), nan, eval_return,
               sac.critic_loss, sac.actor_loss, sac.alpha, sac.entropy, sac.q_mean, bar.steps_per_second(), wall,
               nan, nan, nan, nan, nan, nan, nan});
      save_policy();
      write_learning_curve(plot_path, env_name + " - " + algo_name + " (seed " + std::to_string(config.seed) + ")",
                           eval_steps, eval_returns, train_steps, train_returns, paper);
    }
    std::vector<std::pair<std::string, std::string>> fields = {
        {"ret", format("%.1f", progress.last_episode_return)},
        {"eval", std::isfinite(last_eval) ? format("%.1f", last_eval) : "-"}};
    if (uses_model(algorithm) && progress.model.round > 0) {
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
  log.close();
  if (!status.is_ok()) {
    std::fprintf(stderr, "usbpo train: stopped at step %lld: %s\n", static_cast<long long>(progress.env_steps),
                 status.message());
    return 1;
  }
  save_policy();
  write_learning_curve(plot_path, env_name + " - " + algo_name + " (seed " + std::to_string(config.seed) + ")",
                       eval_steps, eval_returns, train_steps, train_returns, paper);
  std::fprintf(stderr, "%s after %lld steps in %.1f s; last evaluation return %.1f\n",
               g_interrupted ? "interrupted" : "done", static_cast<long long>(progress.env_steps),
               now_seconds() - start, last_eval);
  std::fprintf(stderr, "policy: %s\nlog: %s\nlearning curve: %s\n", policy_path.c_str(), log_path.c_str(),
               plot_path.c_str());
  if (uses_model(algorithm)) std::fprintf(stderr, "model diagnostics: %s\n", model_plot_path.c_str());
  return g_interrupted ? 130 : 0;
}

}  // namespace usbpo::cli
