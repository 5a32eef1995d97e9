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
  struct Segment {
    std::size_t begin, count, member_stride;
    int members;
    Scalar decay;
  };
  AdamConfig config_;
  std::size_t n_ = 0;
  Scalar* m_ = nullptr;
  Scalar* v_ = nullptr;
  std::int64_t step_ = 0;
  Segment segments_[kMaxSegments];
  int segment_count_ = 0;
  TaskRunner* runner_ = nullptr;
  static constexpr std::size_t kChunk = 16384;  // parameters per task
};

}  // namespace usbpo
