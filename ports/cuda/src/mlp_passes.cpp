// The network passes of CudaBackend: each layer of all members in range is one
// cublasSgemmStridedBatched (members' weights are member_params apart, their
// activations one workspace block apart), followed by a fused epilogue kernel.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "kernels.hpp"
#include "usbpo/cuda/cuda_backend.hpp"

namespace usbpo::cuda {
namespace {

// C_b = op(A_b) op(B_b) + beta C_b for `count` members, column-major.
struct Gemm {
  bool transpose_a = false, transpose_b = false;
  int m = 0, n = 0, k = 0;
  const float* a = nullptr;
  int lda = 0;
  std::size_t stride_a = 0;
  const float* b = nullptr;
  int ldb = 0;
  std::size_t stride_b = 0;
  float beta = 0;
  float* c = nullptr;
  int ldc = 0;
  std::size_t stride_c = 0;
};

cublasStatus_t run(cublasHandle_t handle, const Gemm& g, int count) {
  if (g.m <= 0 || g.n <= 0 || count <= 0) return CUBLAS_STATUS_SUCCESS;
  const float one = 1.0f;
  return cublasSgemmStridedBatched(handle, g.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                                   g.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N, g.m, g.n, g.k, &one, g.a, g.lda,
                                   static_cast<long long>(g.stride_a), g.b, g.ldb, static_cast<long long>(g.stride_b),
                                   &g.beta, g.c, g.ldc, static_cast<long long>(g.stride_c), count);
}

}  // namespace

void CudaBackend::mlp_forward(const EnsembleMlp& net, const Scalar* params, const Scalar* input,
                              std::size_t input_member_stride, int batch, MlpWorkspace& ws, int first_member,
                              int member_count) {
  ++counters_.op_calls;
  ws.note_forward(input, input_member_stride, batch);
  // A workspace shared by all members holds one member at a time: run them in turn.
  const int group = ws.one_member_at_a_time() ? 1 : member_count;
  const std::size_t member_params = net.member_params();
  const Activation act = net.shape().activation;
  const int layers = net.num_layers();
  for (int first = first_member; first < first_member + member_count; first += group) {
    const Scalar* block = params + net.member_offset(first);
    const Scalar* x = input + input_member_stride * static_cast<std::size_t>(first);
    std::size_t x_stride = input_member_stride;
    for (int l = 0; l < layers; ++l) {
      const int out = net.layer_out(l), in = net.layer_in(l);
      Scalar* z = ws.pre_activation(l, first);
      const std::size_t z_stride = ws.member_stride_of(out);
      Gemm g;
      g.m = out, g.n = batch, g.k = in;
      g.a = block + net.weight_offset(l), g.lda = out, g.stride_a = member_params;
      g.b = x, g.ldb = in, g.stride_b = x_stride;
      g.c = z, g.ldc = out, g.stride_c = z_stride;
      if (!check_cublas(run(cublas_, g, group), "forward GEMM")) return;
      const bool hidden = l < layers - 1;
      Scalar* a = hidden ? ws.hidden(l, first) : z;
      kernels::bias_activation(stream_, z, a, z_stride, block + net.bias_offset(l), member_params, out, batch, group,
                               act, hidden);
      if (!check_cuda(cudaGetLastError(), "bias + activation")) return;
      x = a;
      x_stride = z_stride;
    }
  }
}

void CudaBackend::mlp_backward(const EnsembleMlp& net, const Scalar* params, MlpWorkspace& ws, int first_member,
                               int member_count, Scalar* grads, bool accumulate, bool input_grad) {
  ++counters_.op_calls;
  const int group = ws.one_member_at_a_time() ? 1 : member_count;
  const std::size_t member_params = net.member_params();
  const Activation act = net.shape().activation;
  const int layers = net.num_layers();
  const int batch = ws.forward_batch();
  const float beta = accumulate ? 1.0f : 0.0f;
  for (int first = first_member; first < first_member + member_count; first += group) {
    const Scalar* block = params + net.member_offset(first);
    Scalar* grad_block = grads ? grads + net.member_offset(first) : nullptr;
    const Scalar* x_in = ws.forward_input() + ws.forward_input_stride() * static_cast<std::size_t>(first);
    // dZ of the (linear) output layer is dY; its bias gradient is dY's row sums.
    const int top = layers - 1;
    Scalar* d_z = ws.output_grad(first);
    std::size_t d_stride = ws.member_stride_of(net.layer_out(top));
    if (grad_block) {
      kernels::activation_backward_bias(stream_, nullptr, 0, d_z, d_stride, net.layer_out(top), batch, group,
                                        Activation::kIdentity, grad_block + net.bias_offset(top), member_params,
                                        accumulate);
      if (!check_cuda(cudaGetLastError(), "output bias gradient")) return;
    }
    int ping = 0;
    for (int l = top; l >= 0; --l) {
      const int out = net.layer_out(l), in = net.layer_in(l);
      const Scalar* weights = block + net.weight_offset(l);
      if (grad_block) {
        // dW (out x in) (+)= dZ X^T.
        Gemm g;
        g.transpose_b = true;
        g.m = out, g.n = in, g.k = batch;
        g.a = d_z, g.lda = out, g.stride_a = d_stride;
        g.b = l == 0 ? x_in : ws.hidden(l - 1, first), g.ldb = in;
        g.stride_b = l == 0 ? ws.forward_input_stride() : ws.member_stride_of(in);
        g.beta = beta;
        g.c = grad_block + net.weight_offset(l), g.ldc = out, g.stride_c = member_params;
        if (!check_cublas(run(cublas_, g, group), "weight-gradient GEMM")) return;
      }
      // dX or dA_{l-1} (in x batch) = W^T dZ.
      Gemm g;
      g.transpose_a = true;
      g.m = in, g.n = batch, g.k = out;
      g.a = weights, g.lda = out, g.stride_a = member_params;
      g.b = d_z, g.ldb = out, g.stride_b = d_stride;
      if (l == 0) {
        if (input_grad && ws.input_grad(first)) {
          g.c = ws.input_grad(first), g.ldc = in, g.stride_c = ws.member_stride_of(in);
          check_cublas(run(cublas_, g, group), "input-gradient GEMM");
        }
        break;
      }
      Scalar* d_prev = ws.backward_scratch(ping, first);
      ping ^= 1;
      const std::size_t prev_stride = ws.scratch_member_stride();
      g.c = d_prev, g.ldc = in, g.stride_c = prev_stride;
      if (!check_cublas(run(cublas_, g, group), "backward GEMM")) return;
      // dZ_{l-1} = dA_{l-1} act'(Z_{l-1}) in place, and layer l-1's bias gradient.
      kernels::activation_backward_bias(stream_, ws.pre_activation(l - 1, first), ws.member_stride_of(in), d_prev,
                                        prev_stride, in, batch, group, act,
                                        grad_block ? grad_block + net.bias_offset(l - 1) : nullptr, member_params,
                                        accumulate);
      if (!check_cuda(cudaGetLastError(), "activation backward + bias gradient")) return;
      d_z = d_prev;
      d_stride = prev_stride;
    }
  }
}

}  // namespace usbpo::cuda
