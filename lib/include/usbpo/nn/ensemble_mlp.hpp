// EnsembleMlp: B independent MLPs evaluated side by side (B = 7 for dynamics,
// B = 2 for twin critics, B = 1 for the actor: one code path).
//
// Parameters of the whole ensemble live in one flat buffer, member-major: member
// b's block is [W_0, b_0, W_1, b_1, ..., W_L, b_L] with W_l (out_l x in_l)
// column-major. Gradients, Adam moments and Polyak targets mirror that buffer.
// The shape (this class) holds no memory; activations live in an MlpWorkspace.
#pragma once

#include <cstddef>

#include "usbpo/base/arena.hpp"
#include "usbpo/base/rng.hpp"
#include "usbpo/base/status.hpp"
#include "usbpo/base/types.hpp"
#include "usbpo/nn/ops.hpp"

namespace usbpo {

class TaskRunner;

// Shape of every member of an ensemble.
struct MlpShape {
  int members = 1;       // B
  int input_dim = 0;     // features in
  int output_dim = 0;    // features out (linear output layer)
  int hidden_layers = 2; // number of hidden layers
  int hidden_width = 256;
  Activation activation = Activation::kRelu;  // of the hidden layers
};

// Weight initialisation schemes (biases start at 0 unless stated).
enum class MlpInit {
  kTruncatedNormal,  // MBPO: N(0, (1 / (2 sqrt(fan_in)))^2) truncated at 2 std
  kUniformFanIn,     // PyTorch nn.Linear default: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  kGlorotUniform,    // Keras Dense default (softlearning's SAC): W ~ U(+-sqrt(6 / (fan_in + fan_out))), b = 0
};

class EnsembleMlp {
 public:
  static constexpr int kMaxLayers = 9;  // hidden + output
  // Largest input, output or hidden width (2^24): sums and doubles of widths
  // stay in int, and such a layer already holds 2^48 weights.
  static constexpr int kMaxWidth = 1 << 24;

  // Validate the shape and compute the parameter layout.
  Status configure(const MlpShape& shape);

  const MlpShape& shape() const { return shape_; }
  int members() const { return shape_.members; }
  int num_layers() const { return shape_.hidden_layers + 1; }
  int layer_in(int layer) const { return layer == 0 ? shape_.input_dim : shape_.hidden_width; }
  int layer_out(int layer) const {
    return layer == shape_.hidden_layers ? shape_.output_dim : shape_.hidden_width;
  }
  int max_width() const;  // largest of input, hidden and output widths
  // Parameters per member and in total.
  std::size_t member_params() const { return member_params_; }
  // (SIZE_MAX when the layout does not fit in size_t: no arena can place it.)
  std::size_t total_params() const { return size_product(member_params_, static_cast<std::size_t>(shape_.members)); }
  // Offset of W_l / b_l inside a member's block.
  std::size_t weight_offset(int layer) const { return weight_offset_[layer]; }
  std::size_t bias_offset(int layer) const { return weight_offset_[layer] + static_cast<std::size_t>(layer_out(layer)) * layer_in(layer); }
  // Start of member b's block in a flat buffer.
  std::size_t member_offset(int member) const { return member_params_ * static_cast<std::size_t>(member); }

  // Fill a flat parameter buffer (total_params) with fresh weights.
  void init_params(Scalar* params, MlpInit init, Rng& rng) const;

 private:
  MlpShape shape_;
  std::size_t member_params_ = 0;
  std::size_t weight_offset_[kMaxLayers] = {};
};

// Activations and backward scratch for one EnsembleMlp at up to max_batch
// columns per member. One workspace per concurrent caller.
class MlpWorkspace {
 public:
  // Carve buffers for `net` out of the arena; with_input_grad reserves dX.
  // one_member_at_a_time shares one set of buffers among all members (for
  // callers that run a single member per pass, e.g. rollouts by elite).
  Status place(const EnsembleMlp& net, int max_batch, bool with_input_grad, Arena& arena,
               bool one_member_at_a_time = false);
  // Bytes place() takes for this configuration (0 when that overflows size_t).
  static std::size_t bytes_needed(const EnsembleMlp& net, int max_batch, bool with_input_grad,
                                  bool one_member_at_a_time = false);

  int max_batch() const { return max_batch_; }
  // Output of member b after forward: (output_dim x batch), leading dim output_dim.
  Scalar* output(int member) const { return layer_buffer(z_, net_->num_layers() - 1, member); }
  // Input gradient of member b after backward with d_input: (input_dim x batch).
  Scalar* input_grad(int member) const;
  // Gradient w.r.t. the output of member b, to be filled by the caller before backward.
  Scalar* output_grad(int member) const { return d_out_ + member_stride(net_->shape().output_dim, member); }
  // Hidden activation after layer l for member b (hidden_width x batch).
  Scalar* hidden(int layer, int member) const { return layer_buffer(a_, layer, member); }

  // For backends that run the passes themselves (nn/backend.hpp), all in
  // device memory: the pre-activation Z of layer l of member b (out_l x batch;
  // hidden(l, b) for ReLU and the output layer), member b's backward ping-pong
  // buffer p (max_width x batch), the floats between two members' buffers of
  // each kind (0 when one_member_at_a_time), and the last forward's input.
  Scalar* pre_activation(int layer, int member) const { return layer_buffer(z_, layer, member); }
  Scalar* backward_scratch(int p, int member) const {
    return scratch_[p] + (shared_slot_ ? 0 : scratch_stride_ * static_cast<std::size_t>(member));
  }
  std::size_t member_stride_of(int rows) const { return member_stride(rows, 1); }
  std::size_t scratch_member_stride() const { return shared_slot_ ? 0 : scratch_stride_; }
  bool one_member_at_a_time() const { return shared_slot_; }
  void note_forward(const Scalar* input, std::size_t input_member_stride, int batch) {
    input_ = input;
    input_stride_ = input_member_stride;
    batch_ = batch;
  }
  const Scalar* forward_input() const { return input_; }
  std::size_t forward_input_stride() const { return input_stride_; }
  int forward_batch() const { return batch_; }

 private:
  friend class MlpOps;
  Scalar* layer_buffer(Scalar* const* buffers, int layer, int member) const {
    return buffers[layer] + member_stride(net_->layer_out(layer), member);
  }
  std::size_t member_stride(int rows, int member) const {
    return shared_slot_ ? 0 : static_cast<std::size_t>(rows) * max_batch_ * static_cast<std::size_t>(member);
  }

  const EnsembleMlp* net_ = nullptr;
  int max_batch_ = 0;
  bool shared_slot_ = false;
  Scalar* z_[EnsembleMlp::kMaxLayers] = {};  // pre-activations (out_l x batch) per member
  Scalar* a_[EnsembleMlp::kMaxLayers] = {};  // activations of hidden layers
  Scalar* d_out_ = nullptr;                  // dL/dOutput per member
  Scalar* scratch_[2] = {};                  // backward ping-pong (max_width x batch) per member
  std::size_t scratch_stride_ = 0;           // floats between members' ping-pong buffers (64-byte multiple)
  Scalar* d_input_ = nullptr;                // dL/dX per member, optional
  // Set by forward, read by backward.
  const Scalar* input_ = nullptr;
  std::size_t input_stride_ = 0;
  int batch_ = 0;
};

// Forward and backward passes of an ensemble over members [first, first + count).
class MlpOps {
 public:
  // Y_b = f_b(X_b) for each member b in range; X_b = input + b * input_member_stride
  // ((input_dim x batch), stride 0 shares one input). Outputs in ws.output(b).
  // The input must stay alive until backward.
  static void forward(const EnsembleMlp& net, const Scalar* params, const Scalar* input,
                      std::size_t input_member_stride, int batch, MlpWorkspace& ws,
                      int first_member, int member_count);
  // Backpropagate ws.output_grad(b) through the members of the last forward.
  // grads (total_params) receives dL/dtheta when non-null (accumulate selects +=);
  // with input_grad, ws.input_grad(b) receives dL/dX_b.
  static void backward(const EnsembleMlp& net, const Scalar* params, MlpWorkspace& ws,
                       int first_member, int member_count, Scalar* grads, bool accumulate,
                       bool input_grad);

  // The same passes cut into tasks for `runner` (null: run here), with the
  // same results bit for bit for every runner: the forward pass by member and
  // column panel (ColumnPanels), the backward pass layer by layer by member
  // (parameter gradients) and column panel (input gradients). Not part of
  // usbpo::runtime (mlp_tasks.cpp).
  static void forward(TaskRunner* runner, const EnsembleMlp& net, const Scalar* params, const Scalar* input,
                      std::size_t input_member_stride, int batch, MlpWorkspace& ws, int first_member,
                      int member_count);
  static void backward(TaskRunner* runner, const EnsembleMlp& net, const Scalar* params, MlpWorkspace& ws,
                       int first_member, int member_count, Scalar* grads, bool accumulate, bool input_grad);
};

}  // namespace usbpo
