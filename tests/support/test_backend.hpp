// The backend the core tests run SAC and the trainer on, chosen by the
// environment: USBPO_TEST_BACKEND=checked gives a CheckedCpuBackend (device
// memory the host cannot touch), unset or "cpu" the internal CPU backend
// (null). ctest runs the SAC, trainer and checkpoint tests both ways.
#pragma once

#include <memory>
#include <vector>

#include "usbpo/agent/sac.hpp"
#include "usbpo/base/arena.hpp"
#include "usbpo/nn/backend.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo {
namespace testing_support {

// "checked" or "cpu" (USBPO_TEST_BACKEND; anything else fails the test run at its first use).
const char* test_backend_name();
// A fresh backend of that kind; null for the internal CPU backend.
std::unique_ptr<Backend> make_test_backend();

// A Sac with memory of its own on the test backend (or on `backend` when given).
struct SacOnBackend {
  std::unique_ptr<Backend> owned;
  Backend* backend = nullptr;  // null: the internal CPU backend
  std::vector<unsigned char> memory;
  Arena arena;
  Sac sac;
  // Init `config` with the weights drawn from rng; backend null: the test backend.
  Status init(const SacConfig& config, Rng& rng, Backend* given = nullptr);
};

// The test backend for a trainer config: owns it and points config.backend at it.
struct TrainerBackend {
  std::unique_ptr<Backend> backend;
  TrainerConfig apply(TrainerConfig config) {
    if (!backend) backend = make_test_backend();
    config.backend = backend.get();
    return config;
  }
};

}  // namespace testing_support
}  // namespace usbpo
