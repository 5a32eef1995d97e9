// Shared helpers for the core tests.
#pragma once

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "usbpo/arena.hpp"
#include "usbpo/replay_store.hpp"
#include "usbpo/types.hpp"

namespace usbpo {
namespace testing_support {

// Central difference of f at x with a step scaled to x (f evaluated in float networks).
template <typename F>
double central_difference(F f, Scalar x, double relative_step = 1e-2) {
  const Scalar h = static_cast<Scalar>(relative_step * (1.0 + std::fabs(x)) * 0.1);
  const Scalar plus = x + h;
  const Scalar minus = x - h;
  return (f(plus) - f(minus)) / (static_cast<double>(plus) - static_cast<double>(minus));
}

// A ReplayStore in an arena of its own.
struct StoreInArena {
  std::vector<unsigned char> memory;
  Arena arena;
  ReplayStore store;
  StoreInArena(int capacity, int obs_dim, int act_dim) {
    ReplayConfig c;
    c.obs_dim = obs_dim;
    c.act_dim = act_dim;
    c.capacity = capacity;
    memory.resize(ReplayStore::bytes_needed(c));
    arena = Arena(memory.data(), memory.size());
    const Status s = store.place(c, arena);
    EXPECT_TRUE(s.is_ok()) << s.message();
  }
};

}  // namespace testing_support
}  // namespace usbpo
