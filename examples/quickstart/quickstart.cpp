// Quickstart: train SAC on the built-in Pendulum through the library API, then evaluate.
#include <cstdio>
#include <vector>

#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

int main() {
  usbpo::Pendulum env, eval_env;  // separate instances: evaluation never cuts training episodes
  usbpo::TrainerConfig config;    // SAC defaults: Adam 3e-4, gamma 0.99, tau 5e-3, learned alpha
  config.start_steps = config.update_after = 1000;
  config.sac.hidden_width = 64;
  config.sac.batch = 128;
  std::vector<unsigned char> memory(usbpo::Trainer::bytes_needed(config, env));
  usbpo::Arena arena(memory.data(), memory.size());  // the only allocation: nothing after init
  usbpo::Trainer trainer;
  usbpo::Status status = trainer.init(config, env, eval_env, arena);
  for (int step = 0; status.is_ok() && step < 4000; ++step) status = trainer.step(nullptr);
  usbpo::Scalar mean_return = 0;
  if (status.is_ok()) status = trainer.evaluate(5, &mean_return);
  if (!status.is_ok()) return std::fprintf(stderr, "usbpo: %s\n", status.message()), 1;
  std::printf("mean evaluation return after 4000 steps: %.1f\n", mean_return);
  return 0;
}
