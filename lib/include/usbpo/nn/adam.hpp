// Adam optimiser over a flat parameter buffer, with per-segment L2 decay
// (MBPO decays each layer's weights differently and never the biases).
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/base/arena.hpp"
#include "usbpo/base/state_visitor.hpp"
#include "usbpo/base/status.hpp"
#include "usbpo/base/types.hpp"

namespace usbpo {

class EnsembleMlp;
class TaskRunner;

struct AdamConfig {
  Scalar learning_rate = 3e-4f;
  Scalar beta1 = 0.9f;
  Scalar beta2 = 0.999f;
  Scalar epsilon = 1e-8f;
};

// One decayed span of an Adam buffer: parameters [begin, begin + count) of each
// of `members` blocks member_stride apart get L2 decay `decay`.
struct AdamSegment {
  std::size_t begin = 0, count = 0, member_stride = 0;
  int members = 1;
  Scalar decay = 0;
};

// One Adam step (ops::adam_step) at step count `step` over n parameters: spans
// in `segments` (in member order, all with the same member count) get their
// decay, the rest none; without segments the buffer is cut into fixed chunks
// for runner (null: here). The results depend on neither the cut nor the runner.
void adam_step_segments(TaskRunner* runner, Scalar* theta, const Scalar* grad, Scalar* m, Scalar* v, std::size_t n,
                        const AdamConfig& config, const AdamSegment* segments, int segment_count,
                        std::int64_t step);

class Adam {
 public:
  static constexpr int kMaxSegments = 16;

  // Moments for n parameters, carved from the arena and zeroed.
  Status place(std::size_t n, const AdamConfig& config, Arena& arena);
  // Bytes place takes for n parameters (0 when that overflows size_t).
  static std::size_t bytes_needed(std::size_t n);

  // L2 decay `decay` on parameters [begin, begin + count) of every ensemble
  // member (a segment inside the member block, repeated with member stride).
  Status add_decay(std::size_t begin, std::size_t count, std::size_t member_stride, int members,
                   Scalar decay);
  // MBPO's per-layer weight decay for an ensemble: decays[l] on W_l, none on biases.
  Status set_layer_decays(const EnsembleMlp& net, const Scalar* decays, int count);

  // theta -= Adam(grad) over all n parameters; counts one step.
  void step(Scalar* theta, const Scalar* grad);
  // Run later steps in fixed chunks through runner (null: here); same results.
  void set_runner(TaskRunner* runner) { runner_ = runner; }
  // Zero the moments and the step count.
  void reset();

  std::size_t size() const { return n_; }
  std::int64_t steps() const { return step_; }
  void set_steps(std::int64_t steps) { step_ = steps; }
  // The step count itself (a backend's Adam op may count in it when device memory is host memory).
  std::int64_t* step_counter() { return &step_; }
  // Moments and step count (the configuration and decays come from init).
  void visit_state(StateVisitor& v, const char* prefix) {
    v.value(prefix, "step", &step_);
    v.value(prefix, "m", m_, n_);
    v.value(prefix, "v", v_, n_);
  }
  AdamConfig& config() { return config_; }
  Scalar* first_moment() { return m_; }   // (n)
  Scalar* second_moment() { return v_; }  // (n)

 private:
  AdamConfig config_;
  std::size_t n_ = 0;
  Scalar* m_ = nullptr;
  Scalar* v_ = nullptr;
  std::int64_t step_ = 0;
  AdamSegment segments_[kMaxSegments];
  int segment_count_ = 0;
  TaskRunner* runner_ = nullptr;
};

}  // namespace usbpo
