#include "train_options.hpp"

#include <algorithm>
#include <cstdio>

#include "arguments.hpp"
#include "env_factory.hpp"
#include "task_defaults.hpp"
#include "usbpo/thread_pool.hpp"

namespace usbpo::cli {

void print_train_usage() {
  std::fprintf(stderr,
               "usage: usbpo train --env NAME [--algo sac] [--steps N] [--seed S] [--out DIR]\n"
               "       usbpo train --resume DIR [--steps N]\n"
               "  --env NAME             %s\n"
               "  --mjcf FILE            run a MuJoCo task's rules on your own model file\n"
               "  --algo NAME            sac, mbpo, usbpo, pmac or usbpo+pmac\n"
               "  --steps N              env steps in all (default 15000)\n"
               "  --seed S               seed of everything random (default 0)\n"
               "  --out DIR              output directory (default runs/<env>-<algo>-<seed>)\n"
               "  --checkpoint-every N   env steps between checkpoints (default: one epoch; 0: only at the end)\n"
               "  --resume DIR           continue the run in DIR from its checkpoint, bit for bit\n"
               "  --init-dataset FILE    start from logged real transitions (a usbpo dataset file); exploration\n"
               "                         is shortened by their number and model-based runs fit a model at once\n"
               "  --save-dataset FILE    write the real transitions of the run as a dataset file at the end\n"
               "  --threads N            worker threads (default: every core this process may use, here %d);\n"
               "                         the results are bit-identical for every N\n"
               "  overrides of the task defaults:\n"
               "  --start-steps N --update-after N --updates-per-step G --batch N --hidden N --layers N\n"
               "  --lr X --gamma X --tau X --alpha X --target-entropy X --replay-capacity N\n"
               "  --epoch-length N --eval-episodes N\n"
               "  model-based: --rollout-batch N --model-train-freq N --real-ratio X\n"
               "  --ensemble B --elites N --model-hidden N --model-layers N --model-batch N\n"
               "  --model-patience N (epochs without holdout improvement before stopping)\n"
               "  --model-max-epochs N (0: no cap)\n"
               "  USB-PO phase 2: --w2-lr X --w2-batch N --w2-max-steps N\n"
               "  --w2-terms both|shift|bias (the paper's ablations)\n",
               env_names().c_str(), available_cores());
}

void set_option(std::vector<std::string>* args, const std::string& key, const std::string& value) {
  for (std::size_t i = 0; i + 1 < args->size(); ++i) {
    if ((*args)[i] == "--" + key) {
      (*args)[i + 1] = value;
      return;
    }
  }
  args->push_back("--" + key);
  args->push_back(value);
}

bool parse_train_options(const std::vector<std::string>& list, TrainOptions* o, std::string* error) {
  std::vector<char*> argv;
  for (const std::string& a : list) argv.push_back(const_cast<char*>(a.c_str()));
  Arguments args;
  if (!args.parse(static_cast<int>(argv.size()), argv.data(), 0, {}, error)) return false;
  o->args = list;
  o->env_name = args.get("env", "pendulum");
  o->mjcf_path = args.get("mjcf", "");
  o->algo_name = args.get("algo", "sac");
  if (!parse_algorithm(o->algo_name.c_str(), &o->algorithm)) {
    *error = "unknown --algo '" + o->algo_name + "' (valid: sac, mbpo, usbpo, pmac, usbpo+pmac)";
    return false;
  }
  TrainerConfig& c = o->config;
  c = task_defaults(o->env_name, o->algorithm);
  o->steps = args.get_int("steps", 15000);
  c.seed = static_cast<std::uint64_t>(args.get_int("seed", 0));
  o->out = args.get("out", "runs/" + o->env_name + "-" + o->algo_name + "-" + std::to_string(c.seed));
  c.start_steps = static_cast<int>(args.get_int("start-steps", c.start_steps));
  c.update_after = static_cast<int>(args.get_int("update-after", c.update_after));
  c.updates_per_step = static_cast<int>(args.get_int("updates-per-step", c.updates_per_step));
  c.replay_capacity = static_cast<int>(args.get_int("replay-capacity", c.replay_capacity));
  c.epoch_length = static_cast<int>(args.get_int("epoch-length", c.epoch_length));
  c.eval_episodes = static_cast<int>(args.get_int("eval-episodes", c.eval_episodes));
  c.sac.batch = static_cast<int>(args.get_int("batch", c.sac.batch));
  c.sac.hidden_width = static_cast<int>(args.get_int("hidden", c.sac.hidden_width));
  c.sac.hidden_layers = static_cast<int>(args.get_int("layers", c.sac.hidden_layers));
  const double lr = args.get_double("lr", c.sac.actor_lr);
  c.sac.actor_lr = c.sac.critic_lr = c.sac.alpha_lr = static_cast<Scalar>(lr);
  c.sac.gamma = static_cast<Scalar>(args.get_double("gamma", c.sac.gamma));
  c.sac.tau = static_cast<Scalar>(args.get_double("tau", c.sac.tau));
  c.sac.initial_alpha = static_cast<Scalar>(args.get_double("alpha", c.sac.initial_alpha));
  c.sac.target_entropy = static_cast<Scalar>(args.get_double("target-entropy", c.sac.target_entropy));
  c.rollout_batch = static_cast<int>(args.get_int("rollout-batch", c.rollout_batch));
  c.model_train_freq = static_cast<int>(args.get_int("model-train-freq", c.model_train_freq));
  c.real_ratio = static_cast<Scalar>(args.get_double("real-ratio", c.real_ratio));
  c.model.members = static_cast<int>(args.get_int("ensemble", c.model.members));
  c.model.elites = static_cast<int>(args.get_int("elites", c.model.elites));
  c.model.hidden_width = static_cast<int>(args.get_int("model-hidden", c.model.hidden_width));
  c.model.hidden_layers = static_cast<int>(args.get_int("model-layers", c.model.hidden_layers));
  c.model.batch = static_cast<int>(args.get_int("model-batch", c.model.batch));
  c.model.max_epochs = static_cast<int>(args.get_int("model-max-epochs", c.model.max_epochs));
  c.model.patience = static_cast<int>(args.get_int("model-patience", c.model.patience));
  c.w2.learning_rate = static_cast<Scalar>(args.get_double("w2-lr", c.w2.learning_rate));
  c.w2.batch = static_cast<int>(args.get_int("w2-batch", c.w2.batch));
  c.w2.max_steps = static_cast<int>(args.get_int("w2-max-steps", c.w2.max_steps));
  const std::string ablation = args.get("w2-terms", "both");
  if (ablation != "both" && ablation != "shift" && ablation != "bias") {
    *error = "--w2-terms must be both, shift or bias";
    return false;
  }
  c.w2.use_shift = ablation != "bias";
  c.w2.use_bias = ablation != "shift";
  o->checkpoint_every = args.get_int("checkpoint-every", c.epoch_length);
  o->init_dataset = args.get("init-dataset", "");
  o->save_dataset = args.get("save-dataset", "");
  const std::int64_t threads = args.get_int("threads", available_cores());
  // Set by usbpo itself after reading the dataset, so that a resumed run sizes
  // its stores and its exploration exactly as the first one did.
  o->dataset_transitions = args.get_int("init-dataset-transitions", 0);
  if (o->dataset_transitions < 0 || (o->dataset_transitions > 0 && o->init_dataset.empty())) {
    *error = "--init-dataset-transitions is set by usbpo with --init-dataset";
    return false;
  }
  // Logged data replaces as much random exploration; the real store holds it too.
  c.start_steps = static_cast<int>(std::max<std::int64_t>(0, c.start_steps - o->dataset_transitions));
  c.planned_steps = o->steps + o->dataset_transitions;  // stores sized for this run; a resume may grow them
  if (!args.error().empty()) {
    *error = args.error();
    return false;
  }
  if (!args.check_all_used(error)) return false;
  if (o->steps < 1) {
    *error = "--steps must be >= 1";
    return false;
  }
  if (o->checkpoint_every < 0) {
    *error = "--checkpoint-every must be >= 0";
    return false;
  }
  if (threads < 1 || threads > ThreadPool::kMaxWorkers) {
    *error = "--threads must be between 1 and " + std::to_string(ThreadPool::kMaxWorkers) + " (this machine offers " +
             std::to_string(available_cores()) + "), got " + std::to_string(threads);
    return false;
  }
  o->threads = static_cast<int>(threads);
  // The thread count changes nothing in the run, so checkpoints do not record it.
  for (std::size_t i = 0; i < o->args.size();) {
    const std::string& a = o->args[i];
    const std::size_t n = a == "--threads" ? 2 : a.rfind("--threads=", 0) == 0 ? 1 : 0;
    if (n == 0 || i + n > o->args.size()) {
      ++i;
      continue;
    }
    const auto first = o->args.begin() + static_cast<std::ptrdiff_t>(i);
    o->args.erase(first, first + static_cast<std::ptrdiff_t>(n));
  }
  return true;
}

}  // namespace usbpo::cli
