#include "task_defaults.hpp"

#include <cmath>

namespace usbpo::cli {

TrainerConfig task_defaults(const std::string& task, Algorithm algorithm) {
  (void)algorithm;
  TrainerConfig c;
  c.sac.hidden_layers = 2;
  c.sac.hidden_width = 256;
  c.sac.batch = 256;
  c.start_steps = 5000;
  c.update_after = 5000;
  c.epoch_length = 1000;
  c.updates_per_step = 1;
  c.eval_episodes = 5;
  if (task == "pendulum") {
    // Pendulum is the fast test bed: small networks and lr 1e-3 learn it in ~10k steps.
    c.sac.hidden_width = 64;
    c.sac.batch = 100;
    c.sac.actor_lr = c.sac.critic_lr = c.sac.alpha_lr = 1e-3f;
    c.sac.initial_alpha = 0.5f;
    c.sac.target_entropy = -1.0f;
    c.start_steps = c.update_after = 1000;
    c.replay_capacity = 100000;
    c.eval_episodes = 10;
  } else if (task == "hopper") {
    c.sac.target_entropy = -1.0f;
  } else if (task == "walker2d" || task == "half_cheetah") {
    c.sac.target_entropy = -3.0f;
  } else if (task == "ant") {
    c.sac.target_entropy = -4.0f;
  } else if (task == "humanoid") {
    c.sac.target_entropy = -2.0f;
  } else if (task == "inverted_pendulum") {
    c.sac.target_entropy = -0.05f;
    c.start_steps = c.update_after = 500;
    c.epoch_length = 250;
  }
  return c;
}

double paper_final_return(const std::string& task, Algorithm algorithm) {
  (void)task;
  (void)algorithm;
  return NAN;  // filled in with the model-based algorithms (USB-PO paper, Table / Figure 1)
}

}  // namespace usbpo::cli
