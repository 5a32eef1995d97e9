// Rng: our own seeded generator (xoshiro256++ seeded by splitmix64), so that a
// seed gives the same numbers with every standard library and on every target.
#pragma once

#include <cstdint>

#include "usbpo/base/state_visitor.hpp"
#include "usbpo/base/types.hpp"

namespace usbpo {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) { seed_with(seed); }

  // Restart the stream from a seed.
  void seed_with(std::uint64_t seed);
  // Next raw 64 random bits.
  std::uint64_t next_u64();
  // Uniform in [0, 1) with 24 random bits (exactly representable as float).
  Scalar uniform();
  // Uniform in [low, high).
  Scalar uniform(Scalar low, Scalar high) { return low + (high - low) * uniform(); }
  // Uniform integer in [0, n), unbiased (Lemire); n > 0.
  std::uint32_t uniform_int(std::uint32_t n);
  // Standard normal (Box-Muller on double, both values used).
  Scalar normal();
  // Standard normal in double precision (for simulators that need it).
  double normal_double();
  // Uniform double in [0, 1) with 53 random bits.
  double uniform_double();
  // A new independent generator seeded from this one (for sub-streams).
  Rng split();

  // Full state, for checkpoints: 4 words of xoshiro state + cached normal.
  struct State {
    std::uint64_t s[4];
    double cached_normal;
    std::uint32_t has_cached_normal;
  };
  State state() const;
  void set_state(const State& state);
  void visit_state(StateVisitor& v, const char* prefix) {
    v.value(prefix, "s", s_, 4);
    v.value(prefix, "cached_normal", &cached_normal_);
    v.value(prefix, "has_cached_normal", &has_cached_normal_);
  }

 private:
  std::uint64_t s_[4];
  double cached_normal_ = 0.0;
  bool has_cached_normal_ = false;
};

}  // namespace usbpo
