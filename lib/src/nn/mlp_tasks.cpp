// MlpOps's passes cut into tasks for a TaskRunner (see ensemble_mlp.hpp).
//
// Every task computes exactly what the serial pass computes for its member
// and columns: a product's columns do not depend on the other columns (the
// blocking over the inner dimension is the same), and element-wise kernels see
// the same 64-byte alignment at every panel start, so their vectorised and
// scalar code paths fall on the same elements. Nothing is summed across tasks.
// Forward and backward cut a batch alike (member-major, then column panels),
// so a pool that hands each thread the same tasks every time keeps each
// member's and panel's activations in one thread's cache.
#include <cstdint>

#include "usbpo/base/parallel.hpp"
#include "usbpo/nn/ensemble_mlp.hpp"

namespace usbpo {
namespace {

bool aligned(const Scalar* p) { return reinterpret_cast<std::uintptr_t>(p) % Arena::kAlignment == 0; }

// A weight gradient (out x in) cut into `pieces` slices of input features
// (columns of dW): boundaries at multiples of 16, as many as the column
// panels where the layer is wide enough, else one.
int weight_pieces(int in, int panels) {
  const int most = in / 16;
  return most < 1 ? 1 : (panels < most ? panels : most);
}
int piece_begin(int in, int pieces, int q) { return q >= pieces ? in : 16 * (in / 16 * q / pieces); }

// Multiply-adds of one member's layer at `batch` columns.
double layer_work(const EnsembleMlp& net, int layer, int batch) {
  return static_cast<double>(net.layer_in(layer)) * net.layer_out(layer) * batch;
}

}  // namespace

void MlpOps::forward(TaskRunner* runner, const EnsembleMlp& net, const Scalar* params, const Scalar* input,
                     std::size_t input_member_stride, int batch, MlpWorkspace& ws, int first_member,
                     int member_count) {
  ws.input_ = input;
  ws.input_stride_ = input_member_stride;
  ws.batch_ = batch;
  const int layers = net.num_layers();
  // Activations are element-wise kernels whose vector/scalar split follows the
  // buffer's alignment: cut columns only where every hidden buffer of every
  // member starts aligned (so for the usual widths), else keep whole members.
  bool cut = true;
  double work = 0;
  for (int l = 0; l < layers; ++l) {
    work += layer_work(net, l, batch) * member_count;
    for (int b = first_member; l < layers - 1 && b < first_member + member_count; ++b) {
      cut = cut && aligned(ws.layer_buffer(ws.z_, l, b)) && aligned(ws.layer_buffer(ws.a_, l, b));
    }
  }
  const ColumnPanels panels(batch, cut ? member_count : 0);
  const Activation act = net.shape().activation;
  run_tasks(runner, member_count * panels.panels, work, [&](int task) {
    const int b = first_member + task / panels.panels;
    const int c0 = panels.begin(task % panels.panels);
    const int n = panels.end(task % panels.panels) - c0;
    const Scalar* block = params + net.member_offset(b);
    const Scalar* x = input + input_member_stride * static_cast<std::size_t>(b) +
                      static_cast<std::size_t>(net.layer_in(0)) * c0;
    for (int l = 0; l < layers; ++l) {
      const int out = net.layer_out(l);
      Scalar* z = ws.layer_buffer(ws.z_, l, b) + static_cast<std::size_t>(out) * c0;
      ops::linear_forward(block + net.weight_offset(l), block + net.bias_offset(l), x, out, net.layer_in(l), n, z);
      if (l < layers - 1) {
        Scalar* a = ws.layer_buffer(ws.a_, l, b) + static_cast<std::size_t>(out) * c0;
        ops::activation_forward(act, z, a, static_cast<std::size_t>(out) * n);
        x = a;
      }
    }
  });
}

void MlpOps::backward(TaskRunner* runner, const EnsembleMlp& net, const Scalar* params, MlpWorkspace& ws,
                      int first_member, int member_count, Scalar* grads, bool accumulate, bool input_grad) {
  const int layers = net.num_layers();
  const int batch = ws.batch_;
  const Activation act = net.shape().activation;
  const bool first_layer_input = input_grad && ws.d_input_;
  const ColumnPanels panels(batch, member_count);
  // dZ of layer l for member b: the output gradient, then the ping-pong buffer
  // the serial pass would use (layer l writes dZ of l - 1 into buffer (L-1-l) & 1).
  auto d_z_of = [&](int l, int b) -> Scalar* {
    if (l == layers - 1) return ws.output_grad(b);
    return ws.scratch_[(layers - 2 - l) & 1] + ws.scratch_stride_ * static_cast<std::size_t>(b);
  };
  // dX of layer l (dZ of l - 1 after the activation, or the input gradient) on columns [c0, c0 + n).
  auto input_side = [&](int l, int b, int c0, int n) {
    const int out = net.layer_out(l), in = net.layer_in(l);
    const Scalar* w = params + net.member_offset(b) + net.weight_offset(l);
    const Scalar* d_z = d_z_of(l, b) + static_cast<std::size_t>(out) * c0;
    if (l == 0) {
      ops::linear_backward_input(w, d_z, out, in, n, ws.input_grad(b) + static_cast<std::size_t>(in) * c0);
      return;
    }
    Scalar* d_prev = d_z_of(l - 1, b) + static_cast<std::size_t>(in) * c0;
    ops::linear_backward_input(w, d_z, out, in, n, d_prev);
    ops::activation_backward(act, ws.layer_buffer(ws.z_, l - 1, b) + static_cast<std::size_t>(in) * c0, d_prev,
                             d_prev, static_cast<std::size_t>(in) * n);
  };
  const int lowest = first_layer_input ? 0 : 1;  // last layer whose input side is needed
  if (!grads) {
    // Input gradients only: every column's chain is independent, one region.
    double work = 0;
    for (int l = lowest; l < layers; ++l) work += layer_work(net, l, batch) * member_count;
    run_tasks(runner, member_count * panels.panels, work, [&](int task) {
      const int b = first_member + task / panels.panels;
      const int c0 = panels.begin(task % panels.panels);
      const int n = panels.end(task % panels.panels) - c0;
      for (int l = layers - 1; l >= lowest; --l) input_side(l, b, c0, n);
    });
    return;
  }
  // Layer by layer, with the forward pass's tasks: task (b, p) takes the
  // input side of member b on column panel p and a slice of the member's
  // weight gradient (input features q of `pieces`, plus the bias on p = 0),
  // so each thread keeps working on the members and columns it computed.
  const int tasks = member_count * panels.panels;
  for (int l = layers - 1; l >= 0; --l) {
    const int out = net.layer_out(l), in = net.layer_in(l);
    const bool input_side_needed = l >= lowest;
    const int pieces = weight_pieces(in, panels.panels);
    const double work = layer_work(net, l, batch) * member_count * (input_side_needed ? 2 : 1);
    run_tasks(runner, tasks, work, [&](int task) {
      const int b = first_member + task / panels.panels;
      const int p = task % panels.panels;
      if (p < pieces) {
        const Scalar* x = l == 0 ? ws.input_ + ws.input_stride_ * static_cast<std::size_t>(b)
                                 : ws.layer_buffer(ws.a_, l - 1, b);
        Scalar* g = grads + net.member_offset(b);
        const Scalar* d_z = d_z_of(l, b);
        ops::linear_backward_weights(d_z, x, out, in, batch, piece_begin(in, pieces, p), piece_begin(in, pieces, p + 1),
                                     accumulate, g + net.weight_offset(l));
        if (p == 0) ops::linear_backward_bias(d_z, out, batch, accumulate, g + net.bias_offset(l));
      }
      if (input_side_needed) {
        const int c0 = panels.begin(p);
        input_side(l, b, c0, panels.end(p) - c0);
      }
    });
  }
}

}  // namespace usbpo
