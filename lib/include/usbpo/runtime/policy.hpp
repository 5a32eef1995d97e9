// Policy: the deployable actor. Loads a verified policy blob (FlatBuffers,
// identifier "USBP", ending with a checksum) into memory the caller gives, then
// acts in microseconds with no allocation, no exception and no printing.
//
// Threads and memory (the same rules hold for the C ABI, usbpo/usbpo.h):
// - load() places everything in the caller's arena: the weights, the normaliser,
//   the bounds and one scratch block for act(obs, action). Nothing is allocated
//   on the heap, then or later; the blob may be freed after load().
// - act(obs, action) uses that scratch block, so one caller at a time: a call
//   that overlaps another on the same policy (a second thread, an interrupt)
//   returns kFailedPrecondition and leaves its action untouched; it never
//   returns ok with a wrong action.
// - act(obs, action, scratch, scratch_size) only reads the policy: any number
//   of threads may act on one policy at once, each with its own scratch of
//   scratch_bytes() bytes (any alignment). It is the one to use from several
//   threads or from an interrupt handler.
// - load() must not overlap any act on the same object.
// - A loaded policy keeps a check value over the fields act relies on; act
//   verifies it first, so an object the caller overwrote returns
//   kFailedPrecondition instead of following garbage pointers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "usbpo/base/arena.hpp"
#include "usbpo/base/rng.hpp"
#include "usbpo/base/status.hpp"
#include "usbpo/nn/ensemble_mlp.hpp"

namespace usbpo {

class Policy {
 public:
  static constexpr std::uint32_t kFormatVersion = 2;  // 2: files end with a checksum (usbpo/file_checksum.hpp)
  static constexpr int kMaxName = 64;

  Policy() = default;
  // Not copyable: the fields point into the arena of one load, and the check value covers them.
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  // Verify blob and report the bytes load() takes from an arena.
  static Status bytes_needed(const void* blob, std::size_t size, std::size_t* bytes);
  // Verify (checksum, identifier, version, FlatBuffers verifier, dimensions,
  // finite weights) and copy everything into the arena; the blob may be freed after.
  Status load(const void* blob, std::size_t size, Arena& arena);

  // Deterministic action: tanh of the mean, scaled to the action bounds.
  // obs (obs_dim), action (act_dim). Rejects non-finite observations. One
  // caller at a time (see above).
  Status act(const Scalar* obs, Scalar* action);
  // The same, reentrant: scratch (scratch_bytes(), any alignment) is the caller's.
  Status act(const Scalar* obs, Scalar* action, void* scratch, std::size_t scratch_size) const;
  // Stochastic action from the tanh-Gaussian with the caller's generator.
  Status act_stochastic(const Scalar* obs, Scalar* action, Rng& rng);
  // The same, reentrant, with the caller's scratch.
  Status act_stochastic(const Scalar* obs, Scalar* action, Rng& rng, void* scratch, std::size_t scratch_size) const;

  // Bytes of scratch the reentrant act needs (0 before load).
  std::size_t scratch_bytes() const { return scratch_bytes_; }
  // Whether load() succeeded on this object.
  bool loaded() const { return magic_ == kLoadedMagic; }
  // Loaded, and the fields act relies on are as load() left them.
  bool intact() const { return loaded() && check_ == field_check(); }

  int obs_dim() const { return obs_dim_; }
  int act_dim() const { return act_dim_; }
  const char* env_name() const { return env_name_; }
  const char* algorithm() const { return algorithm_; }
  std::int64_t env_steps() const { return env_steps_; }
  const Scalar* action_low() const { return action_low_; }
  const Scalar* action_high() const { return action_high_; }
  const EnsembleMlp& actor_network() const { return actor_net_; }
  const Scalar* actor_params() const { return actor_params_; }

 private:
  static constexpr std::uint32_t kLoadedMagic = 0x55534250u;  // "USBP"

  Status place(const void* blob, std::size_t size, Arena& arena, bool copy);
  Status check_intact() const;
  // Act on the caller's scratch: the actor's output, then finish(output, action).
  template <typename Finish>
  Status run(const Scalar* obs, Scalar* action, void* scratch, std::size_t scratch_size, Finish finish) const;
  // run() on the policy's own scratch, refused while another call holds it.
  template <typename Finish>
  Status run_exclusive(const Scalar* obs, Scalar* action, Finish finish);
  void mean_action(const Scalar* out, Scalar* action) const;
  void sampled_action(const Scalar* out, Scalar* action, Rng& rng) const;
  Scalar scale(int d, Scalar squashed) const;
  std::size_t field_check() const;

  EnsembleMlp actor_net_;
  Scalar* actor_params_ = nullptr;   // (actor_net_.total_params())
  Scalar* obs_mean_ = nullptr;       // (obs_dim)
  Scalar* obs_inv_std_ = nullptr;    // (obs_dim)
  Scalar* action_low_ = nullptr;     // (act_dim)
  Scalar* action_high_ = nullptr;    // (act_dim)
  void* scratch_ = nullptr;          // (scratch_bytes_) act's own, for act without scratch
  std::size_t scratch_bytes_ = 0;
  Scalar log_std_min_ = -20, log_std_max_ = 2;
  int obs_dim_ = 0, act_dim_ = 0;
  std::int64_t env_steps_ = 0;
  char env_name_[kMaxName] = {};
  char algorithm_[kMaxName] = {};
  std::uint32_t magic_ = 0;          // kLoadedMagic once loaded
  std::size_t check_ = 0;            // field_check() at load
  std::atomic_flag busy_ = ATOMIC_FLAG_INIT;  // set while act uses scratch_
};

}  // namespace usbpo
