// CudaBackend: device, stream, memory, transfers, graphs and the op calls that
// are one kernel each (the network passes are in mlp_passes.cpp).
#include "usbpo/cuda/cuda_backend.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>
#include <new>

#include "kernels.hpp"

namespace usbpo::cuda {
namespace {

static_assert(Adam::kMaxSegments <= kernels::AdamSegments::kMax, "Adam's segments must fit the kernel's");

// Device scratch of the backend itself: Adam's factors of the step in progress.
constexpr std::size_t kScratchBytes = 256;

Status no_device(const char* reason) {
  return Status::error(StatusCode::kFailedPrecondition, "no CUDA device: %s", reason);
}

std::size_t round_up(std::size_t bytes, std::size_t to) { return (bytes + to - 1) / to * to; }

}  // namespace

Status CudaBackend::create(const CudaBackendOptions& options, std::unique_ptr<CudaBackend>* out) {
  out->reset();
  char reason[Status::kMaxMessage];
  int count = 0;
  const cudaError_t counted = cudaGetDeviceCount(&count);
  if (counted != cudaSuccess) {
    int driver = 0;
    (void)cudaDriverGetVersion(&driver);
    std::snprintf(reason, sizeof(reason), "%s (%s)%s", cudaGetErrorString(counted), cudaGetErrorName(counted),
                  driver == 0 ? "; no NVIDIA driver is loaded" : "");
    return no_device(reason);
  }
  if (count == 0) return no_device("the driver reports no CUDA device");
  if (options.device < 0 || options.device >= count) {
    std::snprintf(reason, sizeof(reason), "device %d asked for, the driver reports %d (0 to %d)", options.device,
                  count, count - 1);
    return no_device(reason);
  }
  cudaDeviceProp props;
  cudaError_t e = cudaSetDevice(options.device);
  if (e == cudaSuccess) e = cudaGetDeviceProperties(&props, options.device);
  std::size_t free_bytes = 0, total_bytes = 0;
  if (e == cudaSuccess) e = cudaMemGetInfo(&free_bytes, &total_bytes);
  if (e != cudaSuccess) {
    std::snprintf(reason, sizeof(reason), "device %d: %s (%s)", options.device, cudaGetErrorString(e),
                  cudaGetErrorName(e));
    return no_device(reason);
  }
  if (props.major < 7 || (props.major == 7 && props.minor < 5)) {
    std::snprintf(reason, sizeof(reason), "%.80s is compute capability %d.%d; usbpo's CUDA port needs 7.5 or newer",
                  props.name, props.major, props.minor);
    return no_device(reason);
  }
  if (free_bytes < options.min_free_bytes) {
    std::snprintf(reason, sizeof(reason), "%.80s has too little memory: %.0f MiB free of %.0f MiB, at least %.0f MiB needed",
                  props.name, free_bytes / 1048576.0, total_bytes / 1048576.0, options.min_free_bytes / 1048576.0);
    return no_device(reason);
  }

  std::unique_ptr<CudaBackend> backend(new (std::nothrow) CudaBackend());
  if (!backend) return Status::error(StatusCode::kOutOfMemory, "cannot allocate the CUDA backend");
  CudaBackend& b = *backend;
  b.options_ = options;
  std::snprintf(b.device_name_, sizeof(b.device_name_), "%.95s", props.name);
  cudaStream_t stream = nullptr;
  if (!b.check_cuda(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "creating the stream")) {
    return b.error_;
  }
  b.stream_ = stream;
  cublasHandle_t handle = nullptr;
  if (!b.check_cublas(cublasCreate(&handle), "creating the cuBLAS handle")) return b.error_;
  b.cublas_ = handle;
  const std::size_t workspace = round_up(options.cublas_workspace_bytes, 256);
  bool ok = b.check_cublas(cublasSetStream(handle, stream), "cublasSetStream") &&
            // FP32 as asked: no TF32 tensor-core products, no reduced-precision tricks.
            b.check_cublas(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode") &&
            b.check_cuda(cudaMalloc(&b.init_block_, workspace + kScratchBytes), "allocating the cuBLAS workspace");
  if (ok) {
    b.adam_factors_ = static_cast<unsigned char*>(b.init_block_) + workspace;
    ok = b.check_cublas(cublasSetWorkspace(handle, b.init_block_, workspace), "cublasSetWorkspace");
  }
  void* staging = nullptr;
  if (ok) ok = b.check_cuda(cudaMallocHost(&staging, options.staging_bytes), "allocating the pinned staging buffer");
  if (!ok) return b.error_;
  b.staging_ = static_cast<unsigned char*>(staging);
  *out = std::move(backend);
  return Status::ok();
}

CudaBackend::~CudaBackend() {
  if (stream_) (void)cudaStreamSynchronize(stream_);
  for (CUgraphExec_st*& graph : graphs_) {
    if (graph) (void)cudaGraphExecDestroy(graph);
  }
  if (cublas_) (void)cublasDestroy(cublas_);
  if (device_block_) (void)cudaFree(device_block_);
  if (init_block_) (void)cudaFree(init_block_);
  if (staging_) (void)cudaFreeHost(staging_);
  if (stream_) (void)cudaStreamDestroy(stream_);
}

bool CudaBackend::check(bool ok, const char* what, const char* reason) {
  if (!ok && error_.is_ok()) {
    error_ = Status::error(StatusCode::kFailedPrecondition, "CUDA backend (%s), %s: %s", device_name_, what, reason);
  }
  return ok;
}

bool CudaBackend::check_cuda(int cuda_error, const char* what) {
  const auto e = static_cast<cudaError_t>(cuda_error);
  return check(e == cudaSuccess, what, e == cudaSuccess ? "" : cudaGetErrorString(e));
}

bool CudaBackend::check_cublas(int cublas_status, const char* what) {
  const auto s = static_cast<cublasStatus_t>(cublas_status);
  return check(s == CUBLAS_STATUS_SUCCESS, what, s == CUBLAS_STATUS_SUCCESS ? "" : cublasGetStatusString(s));
}

void CudaBackend::launched(const char* what) {
  ++counters_.op_calls;
  check_cuda(cudaGetLastError(), what);
}

// ---- Memory ---------------------------------------------------------------

Status CudaBackend::reserve_device(std::size_t bytes) {
  if (device_block_) {
    return Status::error(StatusCode::kFailedPrecondition, "the CUDA backend's device block is reserved once (%zu bytes)",
                         device_bytes_);
  }
  if (capturing_) return Status::error(StatusCode::kFailedPrecondition, "reserve_device while capturing a graph");
  const std::size_t size = bytes > 0 ? bytes : Arena::kAlignment;
  void* block = nullptr;
  const cudaError_t e = cudaMalloc(&block, size);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();  // not sticky: the caller may try a smaller configuration
    std::size_t free_bytes = 0, total_bytes = 0;
    (void)cudaMemGetInfo(&free_bytes, &total_bytes);
    return Status::error(StatusCode::kOutOfMemory, "cannot reserve %.1f MiB on %s: %s (%.1f MiB free)",
                         size / 1048576.0, device_name_, cudaGetErrorString(e), free_bytes / 1048576.0);
  }
  device_block_ = block;
  device_bytes_ = size;
  arena_ = Arena(block, size);
  // Zeroed, so that a run never depends on what the memory held before.
  if (!check_cuda(cudaMemsetAsync(block, 0, size, stream_), "zeroing the device block")) return error_;
  return Status::ok();
}

void CudaBackend::drain_staging() {
  check_cuda(cudaStreamSynchronize(stream_), "waiting for the staged copies");
  staging_used_ = 0;
}

void CudaBackend::upload(void* device_dst, const void* host_src, std::size_t bytes) {
  if (!check(!capturing_, "upload", "not allowed while capturing a graph")) return;
  ++counters_.uploads;
  counters_.upload_bytes += static_cast<std::int64_t>(bytes);
  auto* dst = static_cast<unsigned char*>(device_dst);
  const auto* src = static_cast<const unsigned char*>(host_src);
  while (bytes > 0) {
    const std::size_t chunk = bytes < options_.staging_bytes ? bytes : options_.staging_bytes;
    if (staging_used_ + chunk > options_.staging_bytes) drain_staging();
    unsigned char* stage = staging_ + staging_used_;
    std::memcpy(stage, src, chunk);
    if (!check_cuda(cudaMemcpyAsync(dst, stage, chunk, cudaMemcpyHostToDevice, stream_), "upload")) return;
    staging_used_ += round_up(chunk, Arena::kAlignment);
    dst += chunk;
    src += chunk;
    bytes -= chunk;
  }
}

void CudaBackend::download(void* host_dst, const void* device_src, std::size_t bytes) {
  if (!check(!capturing_, "download", "not allowed while capturing a graph")) return;
  ++counters_.downloads;
  counters_.download_bytes += static_cast<std::int64_t>(bytes);
  auto* dst = static_cast<unsigned char*>(host_dst);
  const auto* src = static_cast<const unsigned char*>(device_src);
  // The copy into staging runs after every earlier op on the stream, the
  // pending uploads from staging included.
  do {
    const std::size_t chunk = bytes < options_.staging_bytes ? bytes : options_.staging_bytes;
    if (chunk > 0 && !check_cuda(cudaMemcpyAsync(staging_, src, chunk, cudaMemcpyDeviceToHost, stream_), "download")) {
      return;
    }
    drain_staging();
    if (chunk > 0) std::memcpy(dst, staging_, chunk);
    dst += chunk;
    src += chunk;
    bytes -= chunk;
  } while (bytes > 0);
}

void CudaBackend::synchronize() {
  ++counters_.synchronizations;
  if (!check(!capturing_, "synchronize", "not allowed while capturing a graph")) return;
  drain_staging();
}

void CudaBackend::fill(Scalar* device_dst, Scalar value, std::size_t count) {
  kernels::fill(stream_, device_dst, value, count);
  launched("fill");
}

void CudaBackend::copy(void* device_dst, const void* device_src, std::size_t bytes) {
  ++counters_.op_calls;
  if (bytes > 0) {
    check_cuda(cudaMemcpyAsync(device_dst, device_src, bytes, cudaMemcpyDeviceToDevice, stream_), "copy");
  }
}

// ---- Graphs ---------------------------------------------------------------

Status CudaBackend::begin_capture(int slot) {
  if (slot < 0 || slot >= kMaxGraphs) {
    return Status::error(StatusCode::kInvalidArgument, "graph slot %d outside [0, %d)", slot, kMaxGraphs);
  }
  if (capturing_) return Status::error(StatusCode::kFailedPrecondition, "already capturing graph %d", capture_slot_);
  if (!error_.is_ok()) return error_;
  if (!check_cuda(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal), "beginning a graph capture")) {
    return error_;
  }
  capturing_ = true;
  capture_slot_ = slot;
  return Status::ok();
}

Status CudaBackend::end_capture(int slot) {
  if (!capturing_ || slot != capture_slot_) {
    return Status::error(StatusCode::kFailedPrecondition, "end_capture(%d) without begin_capture(%d)", slot, slot);
  }
  capturing_ = false;
  capture_slot_ = -1;
  cudaGraph_t graph = nullptr;
  const bool captured = check_cuda(cudaStreamEndCapture(stream_, &graph), "ending a graph capture");
  if (!captured || !error_.is_ok()) {
    if (graph) (void)cudaGraphDestroy(graph);
    return error_;
  }
  if (graphs_[slot]) {
    (void)cudaGraphExecDestroy(graphs_[slot]);
    graphs_[slot] = nullptr;
  }
  cudaGraphExec_t exec = nullptr;
  const bool ok = check_cuda(cudaGraphInstantiate(&exec, graph, 0), "instantiating a graph");
  (void)cudaGraphDestroy(graph);
  if (!ok) return error_;
  graphs_[slot] = exec;
  return Status::ok();
}

Status CudaBackend::replay(int slot, int times) {
  if (slot < 0 || slot >= kMaxGraphs || !graphs_[slot]) {
    return Status::error(StatusCode::kFailedPrecondition, "no graph captured in slot %d", slot);
  }
  if (capturing_) return Status::error(StatusCode::kFailedPrecondition, "replay while capturing a graph");
  for (int t = 0; t < times; ++t) {
    if (!check_cuda(cudaGraphLaunch(graphs_[slot], stream_), "launching a graph")) return error_;
  }
  counters_.graph_replays += times > 0 ? times : 0;
  return error_;
}

// ---- Optimisation -----------------------------------------------------------

void CudaBackend::adam(Scalar* theta, const Scalar* grad, Scalar* m, Scalar* v, std::size_t n,
                       const AdamConfig& config, const AdamSegment* segments, int segment_count,
                       std::int64_t* step) {
  if (!check(segment_count >= 0 && segment_count <= kernels::AdamSegments::kMax, "adam", "too many decay segments")) {
    return;
  }
  kernels::AdamSegments spans{};
  spans.count = segment_count;
  for (int s = 0; s < segment_count; ++s) {
    const AdamSegment& g = segments[s];
    spans.items[s] = kernels::AdamSpan{g.begin, g.count, g.member_stride, g.members, g.decay};
  }
  auto* factors = static_cast<element::AdamFactors*>(adam_factors_);
  kernels::adam_prepare(stream_, step, config.learning_rate, config.beta1, config.beta2, config.epsilon, factors);
  kernels::adam(stream_, theta, grad, m, v, n, config.beta1, config.beta2, spans, factors);
  launched("adam");
}

void CudaBackend::polyak(Scalar* target, const Scalar* source, std::size_t n, Scalar tau) {
  kernels::polyak(stream_, target, source, n, tau);
  launched("polyak");
}

// ---- SAC --------------------------------------------------------------------

void CudaBackend::stack_rows(const Scalar* a, int rows_a, const Scalar* b, int rows_b, int n, Scalar* dst) {
  kernels::stack_rows(stream_, a, rows_a, b, rows_b, n, dst);
  launched("stack_rows");
}

void CudaBackend::tanh_gaussian_sample(const Scalar* output, const Scalar* eps, int act, int n, Scalar log_std_min,
                                       Scalar log_std_max, Scalar* action, Scalar* log_pi) {
  kernels::tanh_gaussian_sample(stream_, output, eps, act, n, log_std_min, log_std_max, action, log_pi);
  launched("tanh_gaussian_sample");
}

void CudaBackend::tanh_mean(const Scalar* output, int act, int n, Scalar* action) {
  kernels::tanh_mean(stream_, output, act, n, action);
  launched("tanh_mean");
}

void CudaBackend::sac_td_target(const Scalar* q1_target, const Scalar* q2_target, const Scalar* log_pi,
                                const Scalar* reward, const Scalar* not_done, const Scalar* log_alpha, Scalar gamma,
                                int n, Scalar* y) {
  kernels::sac_td_target(stream_, q1_target, q2_target, log_pi, reward, not_done, log_alpha, gamma, n, y);
  launched("sac_td_target");
}

void CudaBackend::sac_critic_loss(const Scalar* q1, const Scalar* q2, const Scalar* y, int n, Scalar* dq1,
                                  Scalar* dq2, double* loss) {
  kernels::sac_critic_loss(stream_, q1, q2, y, n, dq1, dq2, loss);
  launched("sac_critic_loss");
}

void CudaBackend::sac_actor_min_q(const Scalar* q1, const Scalar* q2, const Scalar* log_pi, const Scalar* log_alpha,
                                  int n, int* argmin, Scalar* dq1, Scalar* dq2, double* loss, double* sum_log_pi) {
  kernels::sac_actor_min_q(stream_, q1, q2, log_pi, log_alpha, n, argmin, dq1, dq2, loss, sum_log_pi);
  launched("sac_actor_min_q");
}

void CudaBackend::select_action_grad(const Scalar* input_grad0, const Scalar* input_grad1, const int* argmin,
                                     int in_dim, int obs_dim, int act, int n, Scalar* dq_da) {
  kernels::select_action_grad(stream_, input_grad0, input_grad1, argmin, in_dim, obs_dim, act, n, dq_da);
  launched("select_action_grad");
}

void CudaBackend::tanh_gaussian_backward(const Scalar* output, const Scalar* eps, const Scalar* dq_da, int act, int n,
                                         Scalar log_std_min, Scalar log_std_max, const Scalar* log_alpha,
                                         Scalar* d_output) {
  kernels::tanh_gaussian_backward(stream_, output, eps, dq_da, act, n, log_std_min, log_std_max, log_alpha, d_output);
  launched("tanh_gaussian_backward");
}

void CudaBackend::sac_alpha_grad(const double* sum_log_pi, int n, Scalar target_entropy, const Scalar* log_alpha,
                                 Scalar* grad, double* loss) {
  kernels::sac_alpha_grad(stream_, sum_log_pi, n, target_entropy, log_alpha, grad, loss);
  launched("sac_alpha_grad");
}

void CudaBackend::sum(const Scalar* q, int n, double* sum) {
  kernels::sum(stream_, q, n, sum);
  launched("sum");
}

namespace {
// Floats between member b and b + 1 of a per-member workspace buffer.
std::size_t member_stride(const Scalar* first, const Scalar* second, int members) {
  return members > 1 ? static_cast<std::size_t>(second - first) : 0;
}
}  // namespace

void CudaBackend::transition_batch(const Scalar* raw, int obs_dim, int act_dim, int n, const Scalar* mean,
                                   const Scalar* std, Scalar* inputs, Scalar* targets) {
  kernels::transition_batch(stream_, raw, obs_dim, act_dim, n, mean, std, inputs, targets);
  launched("transition_batch");
}

void CudaBackend::ensemble_nll(const EnsembleMlp& net, MlpWorkspace& ws, int members, const Scalar* targets,
                               const Scalar* max_lv, const Scalar* min_lv, int n, bool with_gradients,
                               Scalar* scratch, std::size_t scratch_stride, Scalar* d_max, Scalar* d_min,
                               double* member_loss) {
  const int out = net.shape().output_dim / 2;
  kernels::ensemble_nll(stream_, ws.output(0), member_stride(ws.output(0), ws.output(1), members), targets, max_lv,
                        min_lv, members, out, n, with_gradients, ws.output_grad(0),
                        member_stride(ws.output_grad(0), ws.output_grad(1), members), scratch, scratch_stride, d_max,
                        d_min, member_loss);
  launched("ensemble_nll");
}

void CudaBackend::ensemble_regularise(const EnsembleMlp& net, const Scalar* params, Scalar* grads,
                                      const Scalar* decays, Scalar coef, const double* member_loss,
                                      double* decay_terms, double* loss) {
  static_assert(kernels::EnsembleLayers::kMax >= EnsembleMlp::kMaxLayers, "room for every layer");
  kernels::EnsembleLayers layers;
  layers.count = net.num_layers();
  for (int l = 0; l < layers.count; ++l) {
    layers.weight_offset[l] = net.weight_offset(l);
    layers.weights[l] = static_cast<std::size_t>(net.layer_out(l)) * net.layer_in(l);
    layers.decay[l] = decays[l];
  }
  kernels::ensemble_regularise(stream_, params, grads, layers, net.member_params(), net.total_params(),
                               net.shape().members, net.shape().output_dim / 2, coef, member_loss, decay_terms, loss);
  launched("ensemble_regularise");
}

void CudaBackend::ensemble_squared_error(const MlpWorkspace& ws, int members, const Scalar* targets, int out, int n,
                                         bool accumulate, double* sums) {
  kernels::ensemble_squared_error(stream_, ws.output(0), member_stride(ws.output(0), ws.output(1), members), targets,
                                  members, out, n, accumulate, sums);
  launched("ensemble_squared_error");
}

void CudaBackend::normalise_columns(const Scalar* raw, int dim, int n, const Scalar* mean, const Scalar* std,
                                    Scalar* out) {
  kernels::normalise_columns(stream_, raw, dim, n, mean, std, out);
  launched("normalise_columns");
}

void CudaBackend::w2_m1_moments(const MlpWorkspace& ws, const int* k1, const Scalar* max_lv, const Scalar* min_lv,
                                int out, int n, Scalar* p_mu, Scalar* p_sd) {
  // (Phase 2 has at least two members.)
  kernels::w2_m1_moments(stream_, ws.output(0), member_stride(ws.output(0), ws.output(1), 2), k1, max_lv,
                         min_lv, out, n, p_mu, p_sd);
  launched("w2_m1_moments");
}

void CudaBackend::w2_m2_moments(const MlpWorkspace& ws, int members, const Scalar* max_lv, const Scalar* min_lv,
                                int out, int n, bool with_gradients, Scalar* lv, Scalar* sd, Scalar* d_mu,
                                Scalar* d_sd) {
  kernels::w2_m2_moments(stream_, ws.output(0), member_stride(ws.output(0), ws.output(1), members), members, max_lv,
                         min_lv, out, n, with_gradients, lv, sd, d_mu, d_sd);
  launched("w2_m2_moments");
}

void CudaBackend::w2_terms(const MlpWorkspace& ws, const Scalar* p_mu, const Scalar* p_sd, const Scalar* sd,
                           const int* k2, int members, int out, int n, Scalar eps, bool use_shift, bool use_bias,
                           bool with_gradients, Scalar* d_mu, Scalar* d_sd, double* sample_shift,
                           double* sample_bias, double* terms) {
  kernels::w2_terms(stream_, ws.output(0), member_stride(ws.output(0), ws.output(1), members), p_mu, p_sd, sd, k2,
                    members, out, n, eps, use_shift, use_bias, with_gradients, d_mu, d_sd, sample_shift, sample_bias,
                    terms);
  launched("w2_terms");
}

void CudaBackend::w2_backward(MlpWorkspace& ws, int members, const Scalar* max_lv, const Scalar* min_lv,
                              const Scalar* sd, int out, int n, Scalar* d_mu, Scalar* d_sd, Scalar* d_max,
                              Scalar* d_min) {
  kernels::w2_backward(stream_, ws.output(0), member_stride(ws.output(0), ws.output(1), members), ws.output_grad(0),
                       member_stride(ws.output_grad(0), ws.output_grad(1), members), members, max_lv, min_lv, sd,
                       out, n, d_mu, d_sd, d_max, d_min);
  launched("w2_backward");
}

void CudaBackend::all_finite(const Scalar* x, std::size_t n, double* flag) {
  kernels::all_finite(stream_, x, n, flag);
  launched("all_finite");
}

// ---- Replay stores on the device (issue 15) ----------------------------------

static_assert(kernels::kHeaderIndex == kUpdateBlockIndex && kernels::kHeaderRealCount == kUpdateBlockRealCount,
              "the kernels read the update block's header as backend.hpp lays it out");

namespace {
kernels::StoreArrays store_arrays(const StoreColumns& c) {
  return kernels::StoreArrays{c.obs, c.act, c.reward, c.next_obs, c.terminal};
}
}  // namespace

void CudaBackend::gather_sac_batch(const StoreColumns& real, const StoreColumns& model, const std::int32_t* header,
                                   const int* slots, const Scalar* noise, int obs_dim, int act_dim, int batch,
                                   const SacBatchColumns& dst) {
  const kernels::SacBatchArrays out{dst.obs,      dst.act,      dst.reward,   dst.next_obs,
                                    dst.not_done, dst.eps_next, dst.eps_actor};
  kernels::gather_sac_batch(stream_, store_arrays(real), store_arrays(model), header, slots, noise, obs_dim, act_dim,
                            batch, out);
  launched("gather_sac_batch");
}

void CudaBackend::advance_update_index(std::int32_t* header) {
  kernels::advance_update_index(stream_, header);
  launched("advance_update_index");
}

// ---- Model rollouts on the device (issue 15) ----------------------------------

void CudaBackend::gather_transitions(const StoreColumns& store, const int* slots, std::size_t slot_stride,
                                     int members, int n, int obs_dim, int act_dim, Scalar* raw) {
  kernels::gather_transitions(stream_, store_arrays(store), slots, slot_stride, members, n, obs_dim, act_dim, raw);
  launched("gather_transitions");
}

void CudaBackend::normalizer_fit(const StoreColumns& store, const int* slots, int n, int obs_dim, int act_dim,
                                 Scalar* mean, Scalar* std, Scalar* inv_std) {
  kernels::normalizer_fit(stream_, store_arrays(store), slots, n, obs_dim, act_dim, mean, std, inv_std);
  launched("normalizer_fit");
}

void CudaBackend::gather_columns(const Scalar* src, int rows, const int* index, int n, Scalar* dst) {
  kernels::gather_columns(stream_, src, rows, index, n, dst);
  launched("gather_columns");
}

void CudaBackend::ensemble_draw(const Scalar* output, const Scalar* max_lv, const Scalar* min_lv, const int* index,
                                int k, const Scalar* noise, const Scalar* obs, int obs_dim, Scalar* logvar,
                                Scalar* next_obs, Scalar* reward) {
  kernels::ensemble_draw(stream_, output, max_lv, min_lv, index, k, noise, obs, obs_dim, logvar, next_obs, reward);
  launched("ensemble_draw");
}

Status make_cuda_backend(const CudaBackendOptions& options, std::unique_ptr<Backend>* out) {
  std::unique_ptr<CudaBackend> backend;
  USBPO_RETURN_IF_ERROR(CudaBackend::create(options, &backend));
  *out = std::move(backend);
  return Status::ok();
}

}  // namespace usbpo::cuda
