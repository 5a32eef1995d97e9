#include "usbpo/nn/ensemble_mlp.hpp"

#include <algorithm>
#include <cmath>

namespace usbpo {

Status EnsembleMlp::configure(const MlpShape& shape) {
  if (shape.members < 1 || shape.members > 64) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble members must be in [1, 64], got %d", shape.members);
  }
  if (shape.input_dim < 1 || shape.output_dim < 1 || shape.input_dim > kMaxWidth || shape.output_dim > kMaxWidth) {
    return Status::error(StatusCode::kInvalidArgument, "MLP input (%d) and output (%d) dims must be in [1, %d]",
                         shape.input_dim, shape.output_dim, kMaxWidth);
  }
  if (shape.hidden_layers < 0 || shape.hidden_layers > kMaxLayers - 1) {
    return Status::error(StatusCode::kInvalidArgument, "MLP hidden layers must be in [0, %d], got %d",
                         kMaxLayers - 1, shape.hidden_layers);
  }
  if (shape.hidden_layers > 0 && (shape.hidden_width < 1 || shape.hidden_width > kMaxWidth)) {
    return Status::error(StatusCode::kInvalidArgument, "MLP hidden width must be in [1, %d], got %d", kMaxWidth,
                         shape.hidden_width);
  }
  shape_ = shape;
  std::size_t offset = 0;
  for (int l = 0; l < num_layers(); ++l) {
    weight_offset_[l] = offset;
    offset = size_sum(offset, size_product(layer_out(l), size_sum(layer_in(l), 1)));
  }
  member_params_ = offset;
  return Status::ok();
}

int EnsembleMlp::max_width() const {
  int width = std::max(shape_.input_dim, shape_.output_dim);
  if (shape_.hidden_layers > 0) width = std::max(width, shape_.hidden_width);
  return width;
}

void EnsembleMlp::init_params(Scalar* params, MlpInit init, Rng& rng) const {
  for (int b = 0; b < members(); ++b) {
    Scalar* block = params + member_offset(b);
    for (int l = 0; l < num_layers(); ++l) {
      const int fan_in = layer_in(l);
      const std::size_t n_w = static_cast<std::size_t>(layer_out(l)) * fan_in;
      Scalar* w = block + weight_offset(l);
      Scalar* bias = block + bias_offset(l);
      if (init == MlpInit::kTruncatedNormal) {
        const Scalar std = 1.0f / (2.0f * std::sqrt(static_cast<Scalar>(fan_in)));
        for (std::size_t i = 0; i < n_w; ++i) {
          Scalar x;
          do {
            x = rng.normal();
          } while (std::fabs(x) > 2.0f);
          w[i] = x * std;
        }
        std::fill(bias, bias + layer_out(l), 0.0f);
      } else if (init == MlpInit::kGlorotUniform) {
        const Scalar bound = std::sqrt(6.0f / static_cast<Scalar>(fan_in + layer_out(l)));
        for (std::size_t i = 0; i < n_w; ++i) w[i] = rng.uniform(-bound, bound);
        std::fill(bias, bias + layer_out(l), 0.0f);
      } else {
        const Scalar bound = 1.0f / std::sqrt(static_cast<Scalar>(fan_in));
        for (std::size_t i = 0; i < n_w; ++i) w[i] = rng.uniform(-bound, bound);
        for (int i = 0; i < layer_out(l); ++i) bias[i] = rng.uniform(-bound, bound);
      }
    }
  }
}

Status MlpWorkspace::place(const EnsembleMlp& net, int max_batch, bool with_input_grad, Arena& arena,
                          bool one_member_at_a_time) {
  if (max_batch < 1) {
    return Status::error(StatusCode::kInvalidArgument, "MLP workspace batch must be >= 1, got %d", max_batch);
  }
  net_ = &net;
  max_batch_ = max_batch;
  shared_slot_ = one_member_at_a_time;
  const std::size_t members = one_member_at_a_time ? 1 : static_cast<std::size_t>(net.members());
  const std::size_t cols = static_cast<std::size_t>(max_batch);
  for (int l = 0; l < net.num_layers(); ++l) {
    const std::size_t n = size_product(net.layer_out(l), cols, members);
    z_[l] = arena.allocate<Scalar>(n);
    // Swish needs Z and A; ReLU and the output layer keep only one buffer.
    const bool separate_a = l < net.num_layers() - 1 && net.shape().activation == Activation::kSwish;
    a_[l] = separate_a ? arena.allocate<Scalar>(n) : z_[l];
  }
  d_out_ = arena.allocate<Scalar>(size_product(net.shape().output_dim, cols, members));
  // Each member's backward ping-pong starts 64-byte aligned, so member-parallel
  // passes see the same alignment (and thus the same arithmetic) as member 0.
  const std::size_t scratch = size_product(net.max_width(), cols);
  const std::size_t align = Arena::kAlignment / sizeof(Scalar);
  scratch_stride_ = members > 1 ? size_product(size_sum(scratch, align - 1) / align, align) : 0;
  const std::size_t scratch_total = members > 1 ? size_product(scratch_stride_, members) : scratch;
  scratch_[0] = arena.allocate<Scalar>(scratch_total);
  scratch_[1] = arena.allocate<Scalar>(scratch_total);
  d_input_ = with_input_grad
                 ? arena.allocate<Scalar>(size_product(net.shape().input_dim, cols, members))
                 : nullptr;
  if (arena.exhausted()) {
    return Status::error(StatusCode::kOutOfMemory, "arena too small for MLP workspace (%zu bytes used of %zu)",
                         arena.used(), arena.capacity());
  }
  return Status::ok();
}

std::size_t MlpWorkspace::bytes_needed(const EnsembleMlp& net, int max_batch, bool with_input_grad,
                                       bool one_member_at_a_time) {
  Arena measure;
  MlpWorkspace ws;
  (void)ws.place(net, max_batch, with_input_grad, measure, one_member_at_a_time);
  return measure.overflowed() ? 0 : measure.used();
}

Scalar* MlpWorkspace::input_grad(int member) const {
  return d_input_ ? d_input_ + member_stride(net_->shape().input_dim, member) : nullptr;
}

void MlpOps::forward(const EnsembleMlp& net, const Scalar* params, const Scalar* input,
                     std::size_t input_member_stride, int batch, MlpWorkspace& ws, int first_member,
                     int member_count) {
  ws.input_ = input;
  ws.input_stride_ = input_member_stride;
  ws.batch_ = batch;
  const int layers = net.num_layers();
  for (int b = first_member; b < first_member + member_count; ++b) {
    const Scalar* block = params + net.member_offset(b);
    const Scalar* x = input + input_member_stride * static_cast<std::size_t>(b);
    for (int l = 0; l < layers; ++l) {
      const int out = net.layer_out(l);
      Scalar* z = ws.layer_buffer(ws.z_, l, b);
      ops::linear_forward(block + net.weight_offset(l), block + net.bias_offset(l), x, out, net.layer_in(l),
                          batch, z);
      if (l < layers - 1) {
        Scalar* a = ws.layer_buffer(ws.a_, l, b);
        ops::activation_forward(net.shape().activation, z, a, static_cast<std::size_t>(out) * batch);
        x = a;
      }
    }
  }
}

void MlpOps::backward(const EnsembleMlp& net, const Scalar* params, MlpWorkspace& ws, int first_member,
                      int member_count, Scalar* grads, bool accumulate, bool input_grad) {
  const int layers = net.num_layers();
  const int batch = ws.batch_;
  for (int b = first_member; b < first_member + member_count; ++b) {
    const Scalar* block = params + net.member_offset(b);
    Scalar* grad_block = grads ? grads + net.member_offset(b) : nullptr;
    const Scalar* x_in = ws.input_ + ws.input_stride_ * static_cast<std::size_t>(b);
    // dZ of the output layer is dY (identity output).
    const Scalar* d_z = ws.output_grad(b);
    int ping = 0;
    for (int l = layers - 1; l >= 0; --l) {
      const int out = net.layer_out(l);
      const int in = net.layer_in(l);
      const Scalar* x = l == 0 ? x_in : ws.layer_buffer(ws.a_, l - 1, b);
      if (grad_block) {
        ops::linear_backward_params(d_z, x, out, in, batch, accumulate, grad_block + net.weight_offset(l),
                                    grad_block + net.bias_offset(l));
      }
      if (l == 0) {
        if (input_grad && ws.d_input_) {
          ops::linear_backward_input(block + net.weight_offset(0), d_z, out, in, batch, ws.input_grad(b));
        }
        break;
      }
      // dA_{l-1} = W_l^T dZ_l, then dZ_{l-1} = dA_{l-1} * act'(Z_{l-1}) in place.
      Scalar* d_prev = ws.scratch_[ping];
      ping ^= 1;
      ops::linear_backward_input(block + net.weight_offset(l), d_z, out, in, batch, d_prev);
      ops::activation_backward(net.shape().activation, ws.layer_buffer(ws.z_, l - 1, b), d_prev, d_prev,
                               static_cast<std::size_t>(in) * batch);
      d_z = d_prev;
    }
  }
}

}  // namespace usbpo
