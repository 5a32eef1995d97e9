#include <cmath>

#include "tasks/tasks.hpp"

namespace usbpo::mujoco {

void add_uniform_noise(double* values, int n, double scale, Rng& rng) {
  for (int i = 0; i < n; ++i) values[i] += -scale + 2.0 * scale * rng.uniform_double();
}

bool all_finite_double(const double* values, int n) {
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) return false;
  }
  return true;
}

}  // namespace usbpo::mujoco
