// Train USB-PO on your own Env through the library API (no CLI): a cart-pole
// defined in cart_pole.hpp, a small configuration that learns in under a
// minute, evaluation after each 1000 steps, and the policy file at the end.
//   custom_env [STEPS] [POLICY_FILE]
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cart_pole.hpp"
#include "usbpo/train/policy_file.hpp"
#include "usbpo/train/trainer.hpp"

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 8000;  // holds 500 from about 8000 (seed 1)
  const char* policy_path = argc > 2 ? argv[2] : "cart_pole.usbpo";
  CartPole env, eval_env;  // separate instances: evaluation never cuts a training episode

  usbpo::TrainerConfig config;
  config.algorithm = usbpo::Algorithm::kUsbpo;
  config.seed = 1;
  config.start_steps = config.update_after = 500;  // uniform-random exploration first
  config.updates_per_step = 10;                     // G
  config.epoch_length = 1000;
  config.planned_steps = steps;                     // sizes the stores for this run
  config.sac.hidden_width = 64;
  config.sac.target_entropy = -0.05f;
  config.model.hidden_layers = 3;                   // a small ensemble for a 4-state task
  config.model.hidden_width = 64;
  config.rollout_batch = 5000;                      // branched rollouts per model round
  config.rollout_schedule = {1, 15, 1, 1};          // [epoch_a, epoch_b, k_min, k_max]
  config.w2.batch = 256;                            // USB-PO phase 2 minibatch

  std::vector<unsigned char> memory(usbpo::Trainer::bytes_needed(config, env));
  if (memory.empty()) return std::fprintf(stderr, "custom_env: %s\n", usbpo::Trainer::check_config(config, env).message()), 1;
  usbpo::Arena arena(memory.data(), memory.size());  // the one allocation: training never touches the heap
  usbpo::Trainer trainer;
  usbpo::Status status = trainer.init(config, env, eval_env, arena);
  std::printf("custom_env: USB-PO on cart_pole, %d steps, %.1f MB arena\n", steps, memory.size() / 1e6);
  usbpo::TrainerProgress progress;
  for (int step = 0; status.is_ok() && step < steps; ++step) {
    status = trainer.step(&progress);
    if (status.is_ok() && progress.epoch_finished) {
      usbpo::Scalar mean_return = 0;
      status = trainer.evaluate(5, &mean_return);
      std::printf("steps %6lld  eval return %6.1f  (max 500)  model rounds %lld\n",
                  static_cast<long long>(progress.env_steps), mean_return,
                  static_cast<long long>(progress.model.round));
    }
  }
  // The deployable file: the actor, its observation normaliser, the action bounds.
  const usbpo::PolicyDescription policy = usbpo::describe_policy(trainer);
  if (status.is_ok()) status = usbpo::save_policy_file(policy_path, policy);
  if (!status.is_ok()) return std::fprintf(stderr, "custom_env: %s\n", status.message()), 1;
  std::printf("policy: %s\n", policy_path);
  return 0;
}
