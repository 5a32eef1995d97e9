#include "train_options.hpp"

#include <algorithm>
#include <limits>
#include <cmath>
#include <cstdint>
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
               "       usbpo train --config FILE [options]   options from a YAML file (key: value lines; see\n"
               "                                             usbpo sweep --help); options given here override it\n"
               "  --env NAME             %s\n"
               "  --mjcf FILE            run a MuJoCo task's rules on your own model file\n"
               "  --algo NAME            sac, mbpo, usbpo, pmac or usbpo+pmac\n"
               "  --steps N              env steps in all (default 15000)\n"
               "  --seed S               seed of everything random (default 0)\n"
               "  --out DIR              output directory (default runs/<env>-<algo>-<seed>); created with its\n"
               "                         parents if missing; refused if it holds a run (checkpoint, policy or log)\n"
               "  --overwrite            replace the run in --out (its checkpoint, policy, log and plots are removed)\n"
               "  --max-memory SIZE      refuse a configuration that needs more (e.g. 8G, 500M; default: this\n"
               "                         machine's physical memory or cgroup limit)\n"
               "  --checkpoint-every N   env steps between checkpoints (default: one epoch; 0: only at the end)\n"
               "  --resume DIR           continue the run in DIR from its checkpoint, bit for bit (then only\n"
               "                         --steps, --checkpoint-every, --max-memory and --threads may be given)\n"
               "  --init-dataset FILE    start from logged real transitions (a usbpo dataset file); exploration\n"
               "                         is shortened by their number and model-based runs fit a model at once\n"
               "  --save-dataset FILE    write the real transitions of the run as a dataset file at the end\n"
               "  --threads N            worker threads (default: every core this process may use, here %d);\n"
               "                         the results are bit-identical for every N\n"
               "  --device cpu|cuda      where SAC trains (default cpu); cuda needs a CUDA GPU and a usbpo built\n"
               "                         with USBPO_WITH_CUDA; a run may resume on the other device\n"
               "  overrides of the task defaults:\n"
               "  --start-steps N --update-after N --updates-per-step G --batch N --hidden N --layers N\n"
               "  --lr X --gamma X --tau X --alpha X --target-entropy X --replay-capacity N\n"
               "  --epoch-length N --eval-episodes N\n"
               "  model-based (refused with --algo sac): --rollout-batch N --model-train-freq N --real-ratio X\n"
               "  --ensemble B --elites N --model-hidden N --model-layers N --model-batch N\n"
               "  --model-patience N (stop after more than N epochs without holdout improvement)\n"
               "  --model-max-epochs N (0: no cap)\n"
               "  USB-PO phase 2 (only with --algo usbpo and usbpo+pmac): --w2-lr X --w2-batch N --w2-max-steps N\n"
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

bool is_resume_option(const std::string& key) {
  return key == "steps" || key == "checkpoint-every" || key == "max-memory" || key == "threads" || key == "device";
}

namespace {

// Options that only the model-based algorithms use, and those only phase 2 uses.
const char* const kModelOptions[] = {"rollout-batch", "model-train-freq", "real-ratio", "ensemble",
                                     "elites", "model-hidden", "model-layers", "model-batch",
                                     "model-patience", "model-max-epochs"};
const char* const kPhaseTwoOptions[] = {"w2-lr", "w2-batch", "w2-max-steps", "w2-terms"};

bool check_applicable(const Arguments& args, Algorithm algorithm, const std::string& algo_name, std::string* error) {
  auto refuse = [&](const char* key, const char* used_by) {
    *error = "--" + std::string(key) + " does not apply to --algo " + algo_name + " (" + used_by + ")";
    return false;
  };
  if (!uses_model(algorithm)) {
    for (const char* key : kModelOptions) {
      if (args.given(key)) return refuse(key, "it is used by mbpo, usbpo, pmac and usbpo+pmac");
    }
  }
  if (!uses_phase_two(algorithm)) {
    for (const char* key : kPhaseTwoOptions) {
      if (args.given(key)) return refuse(key, "it is USB-PO's phase 2: usbpo and usbpo+pmac");
    }
  }
  return true;
}

}  // namespace

bool option_applies(const std::string& key, Algorithm algorithm) {
  for (const char* model_key : kModelOptions) {
    if (key == model_key) return uses_model(algorithm);
  }
  for (const char* phase_two_key : kPhaseTwoOptions) {
    if (key == phase_two_key) return uses_phase_two(algorithm);
  }
  return true;
}

bool parse_train_options(const std::vector<std::string>& list, TrainOptions* o, std::string* error) {
  std::vector<char*> argv;
  for (const std::string& a : list) argv.push_back(const_cast<char*>(a.c_str()));
  Arguments args;
  if (!args.parse(static_cast<int>(argv.size()), argv.data(), 0, {"overwrite"}, error)) return false;
  o->args.clear();
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i] == "--overwrite" || list[i].rfind("--overwrite=", 0) == 0 || list[i].rfind("--max-memory=", 0) == 0) {
      continue;
    }
    if (list[i] == "--max-memory") {
      ++i;
      continue;
    }
    o->args.push_back(list[i]);
  }
  o->env_name = args.get("env", "pendulum");
  o->mjcf_path = args.get("mjcf", "");
  o->algo_name = args.get("algo", "sac");
  if (!parse_algorithm(o->algo_name.c_str(), &o->algorithm)) {
    *error = "unknown --algo '" + o->algo_name + "' (valid: sac, mbpo, usbpo, pmac, usbpo+pmac)";
    return false;
  }
  if (!check_applicable(args, o->algorithm, o->algo_name, error)) return false;
  const std::int64_t kInt = INT32_MAX;  // TrainerConfig holds int
  TrainerConfig& c = o->config;
  c = task_defaults(o->env_name, o->algorithm);
  o->steps = args.get_int("steps", 15000, 1, kInt);
  c.seed = args.get_uint64("seed", 0);
  o->out = args.get("out", "runs/" + o->env_name + "-" + o->algo_name + "-" + std::to_string(c.seed));
  o->overwrite = args.has("overwrite");
  o->max_memory = args.get_size("max-memory", 0);
  auto get_int = [&](const char* key, int fallback, int min) {
    return static_cast<int>(args.get_int(key, fallback, min, kInt));
  };
  c.start_steps = get_int("start-steps", c.start_steps, 0);
  c.update_after = get_int("update-after", c.update_after, 1);
  c.updates_per_step = get_int("updates-per-step", c.updates_per_step, 0);
  c.replay_capacity = get_int("replay-capacity", c.replay_capacity, 1);
  c.epoch_length = get_int("epoch-length", c.epoch_length, 1);
  c.eval_episodes = get_int("eval-episodes", c.eval_episodes, 0);
  c.sac.batch = get_int("batch", c.sac.batch, 1);
  c.sac.hidden_width = get_int("hidden", c.sac.hidden_width, 1);
  c.sac.hidden_layers = static_cast<int>(args.get_int("layers", c.sac.hidden_layers, 0, EnsembleMlp::kMaxLayers - 1));
  const double inf = INFINITY;
  const double lr = args.get_scalar("lr", c.sac.actor_lr, 0, inf, true);
  c.sac.actor_lr = c.sac.critic_lr = c.sac.alpha_lr = static_cast<Scalar>(lr);
  c.sac.gamma = static_cast<Scalar>(args.get_scalar("gamma", c.sac.gamma, 0, 1));
  c.sac.tau = static_cast<Scalar>(args.get_scalar("tau", c.sac.tau, 0, 1));
  c.sac.initial_alpha = static_cast<Scalar>(args.get_scalar("alpha", c.sac.initial_alpha, 0, inf, true));
  c.sac.target_entropy = static_cast<Scalar>(args.get_scalar("target-entropy", c.sac.target_entropy, -inf, inf));
  c.rollout_batch = get_int("rollout-batch", c.rollout_batch, 1);
  c.model_train_freq = get_int("model-train-freq", c.model_train_freq, 1);
  c.real_ratio = static_cast<Scalar>(args.get_scalar("real-ratio", c.real_ratio, 0, 1));
  c.model.members = static_cast<int>(args.get_int("ensemble", c.model.members, 1, 64));
  c.model.elites = static_cast<int>(args.get_int("elites", c.model.elites, 1, 64));
  c.model.hidden_width = get_int("model-hidden", c.model.hidden_width, 1);
  c.model.hidden_layers =
      static_cast<int>(args.get_int("model-layers", c.model.hidden_layers, 0, EnsembleMlp::kMaxLayers - 1));
  c.model.batch = get_int("model-batch", c.model.batch, 1);
  c.model.max_epochs = get_int("model-max-epochs", c.model.max_epochs, 0);
  c.model.patience = get_int("model-patience", c.model.patience, 1);
  c.w2.learning_rate = static_cast<Scalar>(args.get_scalar("w2-lr", c.w2.learning_rate, 0, inf, true));
  c.w2.batch = get_int("w2-batch", c.w2.batch, 1);
  c.w2.max_steps = get_int("w2-max-steps", c.w2.max_steps, 0);
  const std::string ablation = args.get("w2-terms", "both");
  if (ablation != "both" && ablation != "shift" && ablation != "bias") {
    *error = "--w2-terms must be both, shift or bias";
    return false;
  }
  c.w2.use_shift = ablation != "bias";
  c.w2.use_bias = ablation != "shift";
  o->checkpoint_every = args.get_int("checkpoint-every", c.epoch_length, 0, kInt);
  o->init_dataset = args.get("init-dataset", "");
  o->save_dataset = args.get("save-dataset", "");
  // Range-checked below with a message that names this machine's cores.
  const std::int64_t threads = args.get_int("threads", available_cores(), std::numeric_limits<std::int64_t>::min(),
                                            std::numeric_limits<std::int64_t>::max());
  // Set by usbpo itself after reading the dataset, so that a resumed run sizes
  // its stores and its exploration exactly as the first one did.
  o->device = args.get("device", "cpu");
  o->dataset_transitions = args.get_int("init-dataset-transitions", 0, 0, kInt);
  if (o->dataset_transitions > 0 && o->init_dataset.empty()) {
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
  if (o->out.empty()) {
    *error = "--out must not be empty";
    return false;
  }
  if (args.given("save-dataset") && o->save_dataset.empty()) {
    *error = "--save-dataset must not be empty";
    return false;
  }
  if (threads < 1 || threads > ThreadPool::kMaxWorkers) {
    *error = "--threads must be between 1 and " + std::to_string(ThreadPool::kMaxWorkers) + " (this machine offers " +
             std::to_string(available_cores()) + "), got " + std::to_string(threads);
    return false;
  }
  if (o->device != "cpu" && o->device != "cuda") {
    *error = "--device must be cpu or cuda, got '" + o->device + "'";
    return false;
  }
  o->threads = static_cast<int>(threads);
  // The thread count changes nothing in the run, so checkpoints do not record
  // it; nor the device, so that a run may resume on the other one.
  for (std::size_t i = 0; i < o->args.size();) {
    const std::string& a = o->args[i];
    const bool pair = a == "--threads" || a == "--device";
    const bool joined = a.rfind("--threads=", 0) == 0 || a.rfind("--device=", 0) == 0;
    const std::size_t n = pair ? 2 : joined ? 1 : 0;
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
