#include "usbpo/nn/adam.hpp"

#include <algorithm>

#include "usbpo/base/parallel.hpp"
#include "usbpo/nn/ensemble_mlp.hpp"
#include "usbpo/nn/ops.hpp"

namespace usbpo {

Status Adam::place(std::size_t n, const AdamConfig& config, Arena& arena) {
  config_ = config;
  n_ = n;
  m_ = arena.allocate<Scalar>(n);
  v_ = arena.allocate<Scalar>(n);
  segment_count_ = 0;
  if (arena.exhausted()) {
    return Status::error(StatusCode::kOutOfMemory, "arena too small for Adam moments of %zu parameters", n);
  }
  if (!arena.measuring()) reset();
  return Status::ok();
}

std::size_t Adam::bytes_needed(std::size_t n) {
  const std::size_t moments = size_product(2, Arena::padded(size_product(n, sizeof(Scalar))));
  return moments == SIZE_MAX ? 0 : moments;
}

Status Adam::add_decay(std::size_t begin, std::size_t count, std::size_t member_stride, int members,
                       Scalar decay) {
  if (segment_count_ >= kMaxSegments) {
    return Status::error(StatusCode::kInvalidArgument, "Adam supports at most %d decay segments", kMaxSegments);
  }
  if (members < 1 || begin + count + member_stride * static_cast<std::size_t>(members - 1) > n_) {
    return Status::error(StatusCode::kDimensionMismatch, "Adam decay segment [%zu, +%zu) x %d outside %zu params",
                         begin, count, members, n_);
  }
  segments_[segment_count_++] = AdamSegment{begin, count, member_stride, members, decay};
  return Status::ok();
}

Status Adam::set_layer_decays(const EnsembleMlp& net, const Scalar* decays, int count) {
  if (count != net.num_layers()) {
    return Status::error(StatusCode::kDimensionMismatch, "got %d layer decays for a %d-layer network", count,
                         net.num_layers());
  }
  segment_count_ = 0;
  for (int l = 0; l < count; ++l) {
    const std::size_t n_w = static_cast<std::size_t>(net.layer_out(l)) * net.layer_in(l);
    USBPO_RETURN_IF_ERROR(add_decay(net.weight_offset(l), n_w, net.member_params(), net.members(), decays[l]));
  }
  return Status::ok();
}

void adam_step_segments(TaskRunner* runner, Scalar* theta, const Scalar* grad, Scalar* m, Scalar* v, std::size_t n,
                        const AdamConfig& c, const AdamSegment* segments, int segment_count, std::int64_t step) {
  if (segment_count == 0) {
    // Element-wise: fixed chunks (a multiple of the vector width) compute what one call would.
    constexpr std::size_t kChunk = 16384;  // parameters per task
    const Chunks chunks{n, kChunk};
    run_tasks(runner, chunks.count(), 4.0 * static_cast<double>(n), [&](int i) {
      const std::size_t b = chunks.begin(i);
      ops::adam_step(theta + b, grad + b, m + b, v + b, chunks.end(i) - b, c.learning_rate, c.beta1, c.beta2,
                     c.epsilon, 0, step);
    });
    return;
  }
  // Decayed segments get their own calls; the rest of the buffer none.
  // Segments are visited in member order so each call covers a contiguous run.
  std::size_t cursor = 0;
  auto plain = [&](std::size_t end) {
    if (end > cursor) {
      ops::adam_step(theta + cursor, grad + cursor, m + cursor, v + cursor, end - cursor, c.learning_rate, c.beta1,
                     c.beta2, c.epsilon, 0, step);
    }
  };
  const int members = segments[0].members;
  for (int b = 0; b < members; ++b) {
    for (int s = 0; s < segment_count; ++s) {
      const AdamSegment& seg = segments[s];
      const std::size_t begin = seg.begin + seg.member_stride * static_cast<std::size_t>(b);
      plain(begin);
      ops::adam_step(theta + begin, grad + begin, m + begin, v + begin, seg.count, c.learning_rate, c.beta1,
                     c.beta2, c.epsilon, seg.decay, step);
      cursor = begin + seg.count;
    }
  }
  plain(n);
}

void Adam::step(Scalar* theta, const Scalar* grad) {
  ++step_;
  adam_step_segments(runner_, theta, grad, m_, v_, n_, config_, segments_, segment_count_, step_);
}

void Adam::reset() {
  std::fill(m_, m_ + n_, 0.0f);
  std::fill(v_, v_ + n_, 0.0f);
  step_ = 0;
}

}  // namespace usbpo
