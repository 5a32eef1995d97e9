#include "usbpo/onnx/policy_onnx.hpp"

#include <cstdio>
#include <exception>
#include <vector>

#include "graph_builder.hpp"
#include "onnx/checker.h"
#include "onnx/shape_inference/implementation.h"
#include "usbpo/base/arena.hpp"
#include "usbpo/runtime/policy.hpp"
#include "usbpo/schema/policy_generated.h"

namespace usbpo::onnx {
namespace {

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::kRelu: return "relu";
    case Activation::kSwish: return "swish";
    case Activation::kIdentity: break;
  }
  return "identity";
}

std::string format_floats(const float* values, int count) {
  std::string text;
  char number[32];
  for (int i = 0; i < count; ++i) {
    std::snprintf(number, sizeof number, "%s%.9g", i ? "," : "", static_cast<double>(values[i]));
    text += number;
  }
  return text;
}

std::string layer_name(int layer, const char* part) { return "actor/layer" + std::to_string(layer) + "/" + part; }

// True when normalising changes nothing: mean 0 and std 1 in every dimension
// (then (x - 0) * 1 is x exactly and the graph leaves the normaliser out).
bool identity_normaliser(const fb::Policy& file) {
  for (flatbuffers::uoffset_t d = 0; d < file.obs_mean()->size(); ++d) {
    if (file.obs_mean()->Get(d) != 0.0f || file.obs_std()->Get(d) != 1.0f) return false;
  }
  return true;
}

// Policy::act: normalised = (obs - mean) * (1 / std), as the runtime stores it.
std::string add_normaliser(GraphBuilder& graph, const fb::Policy& file, std::string x) {
  const int obs_dim = file.obs_dim();
  std::vector<float> mean(obs_dim), inv_std(obs_dim);
  for (int d = 0; d < obs_dim; ++d) {
    mean[d] = file.obs_mean()->Get(d);
    inv_std[d] = 1.0f / file.obs_std()->Get(d);
  }
  x = graph.node("Sub", {x, graph.constant("obs_mean", {obs_dim}, mean.data())}, "observation_centred");
  return graph.node("Mul", {x, graph.constant("obs_inv_std", {obs_dim}, inv_std.data())}, "observation_normalised");
}

// The hidden layers: Gemm with W_l stored (in x out) row-major, which is the
// runtime's column-major (out x in) W_l byte for byte, then the activation.
std::string add_hidden_layers(GraphBuilder& graph, const EnsembleMlp& net, const Scalar* params, std::string x) {
  for (int l = 0; l + 1 < net.num_layers(); ++l) {
    const std::int64_t in = net.layer_in(l), out = net.layer_out(l);
    const std::string weight = graph.constant(layer_name(l, "weight"), {in, out}, params + net.weight_offset(l));
    const std::string bias = graph.constant(layer_name(l, "bias"), {out}, params + net.bias_offset(l));
    x = graph.node("Gemm", {x, weight, bias}, layer_name(l, "linear"));
    switch (net.shape().activation) {
      case Activation::kRelu:
        x = graph.node("Relu", {x}, layer_name(l, "relu"));
        break;
      case Activation::kSwish: {  // swish(z) = z * sigmoid(z)
        const std::string sigmoid = graph.node("Sigmoid", {x}, layer_name(l, "sigmoid"));
        x = graph.node("Mul", {x, sigmoid}, layer_name(l, "swish"));
        break;
      }
      case Activation::kIdentity:
        break;
    }
  }
  return x;
}

// The output layer's mean rows only (the log-std rows only matter for sampling).
std::string add_mean_head(GraphBuilder& graph, const EnsembleMlp& net, const Scalar* params, int act_dim,
                          std::string x) {
  const int l = net.num_layers() - 1;
  const int in = net.layer_in(l), out = net.layer_out(l);
  const Scalar* w = params + net.weight_offset(l);
  std::vector<float> weight;
  weight.reserve(static_cast<std::size_t>(in) * act_dim);
  for (int i = 0; i < in; ++i) {  // row i of the (in x out) row-major matrix, its first act_dim columns
    const Scalar* row = w + static_cast<std::size_t>(i) * out;
    weight.insert(weight.end(), row, row + act_dim);
  }
  const std::string w_name = graph.constant("actor/mean/weight", {in, act_dim}, weight.data());
  const std::string b_name = graph.constant("actor/mean/bias", {act_dim}, params + net.bias_offset(l));
  return graph.node("Gemm", {x, w_name, b_name}, "actor/mean");
}

// Policy::act's finish: tanh, then low + (squashed + 1) * 0.5 * (high - low)
// in that order, clamped to [low, high] (max, then min).
void add_squash_and_scale(GraphBuilder& graph, const Policy& policy, std::string x) {
  const int act_dim = policy.act_dim();
  const float one = 1.0f, half = 0.5f;
  std::vector<float> range(act_dim);
  for (int d = 0; d < act_dim; ++d) range[d] = policy.action_high()[d] - policy.action_low()[d];
  const std::string low = graph.constant("action_low", {act_dim}, policy.action_low());
  const std::string high = graph.constant("action_high", {act_dim}, policy.action_high());
  x = graph.node("Tanh", {x}, "squashed");
  x = graph.node("Add", {x, graph.constant("one", {}, &one)}, "squashed_plus_one");
  x = graph.node("Mul", {x, graph.constant("half", {}, &half)}, "unit_action");
  x = graph.node("Mul", {x, graph.constant("action_range", {act_dim}, range.data())}, "action_offset");
  x = graph.node("Add", {low, x}, "unclamped_action");
  x = graph.node("Max", {x, low}, "action_at_least_low");
  graph.node("Min", {x, high}, kOutputName);
}

void add_metadata(::onnx::ModelProto& model, const char* key, const std::string& value) {
  ::onnx::StringStringEntryProto* entry = model.add_metadata_props();
  entry->set_key(key);
  entry->set_value(value);
}

void describe(::onnx::ModelProto& model, const Policy& policy, const PolicyOnnxSummary& s) {
  model.set_ir_version(kIrVersion);
  model.set_producer_name("usbpo");
  model.set_producer_version(USBPO_VERSION);
  model.set_model_version(1);
  model.set_doc_string(
      "usbpo policy, deterministic act: action = clamp(low + (tanh(actor_mean(normalise(observation))) + 1) * 0.5 * "
      "(high - low), low, high)");
  ::onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  add_metadata(model, "task", s.task);
  add_metadata(model, "algorithm", s.algorithm);
  add_metadata(model, "env_steps", std::to_string(s.env_steps));
  add_metadata(model, "obs_dim", std::to_string(s.obs_dim));
  add_metadata(model, "act_dim", std::to_string(s.act_dim));
  add_metadata(model, "action_low", format_floats(policy.action_low(), s.act_dim));
  add_metadata(model, "action_high", format_floats(policy.action_high(), s.act_dim));
  add_metadata(model, "actor",
               std::to_string(s.hidden_layers) + "x" + std::to_string(s.hidden_width) + " " + s.activation);
  add_metadata(model, "observation_normaliser", s.normaliser ? "yes" : "identity (left out)");
}

// The ONNX checker, then strict shape inference on a copy: every node must
// type-check and the output must come out as declared.
Status check(const ::onnx::ModelProto& model) {
  try {
    ::onnx::checker::check_model(model);
    ::onnx::ModelProto inferred = model;
    ::onnx::shape_inference::InferShapes(inferred, ::onnx::OpSchemaRegistry::Instance(),
                                         ::onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& e) {
    return Status::error(StatusCode::kFailedPrecondition, "the ONNX checker refused the exported model: %s", e.what());
  }
  return Status::ok();
}

}  // namespace

Status policy_to_onnx(const void* policy_blob, std::size_t size, std::string* model_bytes,
                      PolicyOnnxSummary* summary) {
  std::size_t need = 0;
  USBPO_RETURN_IF_ERROR(Policy::bytes_needed(policy_blob, size, &need));
  std::vector<unsigned char> memory(need);
  Arena arena(memory.data(), memory.size());
  Policy policy;
  USBPO_RETURN_IF_ERROR(policy.load(policy_blob, size, arena));
  // load verified the blob, so the FlatBuffers root and its vectors are sound.
  const fb::Policy& file = *fb::GetPolicy(policy_blob);
  const EnsembleMlp& net = policy.actor_network();

  PolicyOnnxSummary s;
  s.task = policy.env_name();
  s.algorithm = policy.algorithm();
  s.env_steps = static_cast<long long>(policy.env_steps());
  s.obs_dim = policy.obs_dim();
  s.act_dim = policy.act_dim();
  s.hidden_layers = net.shape().hidden_layers;
  s.hidden_width = net.shape().hidden_width;
  s.activation = activation_name(net.shape().activation);
  s.normaliser = !identity_normaliser(file);

  ::onnx::ModelProto model;
  ::onnx::GraphProto* graph_proto = model.mutable_graph();
  graph_proto->set_name("usbpo_policy");
  GraphBuilder graph(graph_proto);
  graph.input(kInputName, s.obs_dim);
  std::string x = kInputName;
  if (s.normaliser) x = add_normaliser(graph, file, x);
  x = add_hidden_layers(graph, net, policy.actor_params(), x);
  x = add_mean_head(graph, net, policy.actor_params(), s.act_dim, x);
  add_squash_and_scale(graph, policy, x);
  graph.output(kOutputName, s.act_dim);
  s.nodes = graph.nodes();
  describe(model, policy, s);

  USBPO_RETURN_IF_ERROR(check(model));
  model_bytes->clear();
  if (!model.SerializeToString(model_bytes)) {
    return Status::error(StatusCode::kInvalidArgument, "the ONNX model could not be serialised (over 2 GiB?)");
  }
  if (summary) *summary = s;
  return Status::ok();
}

}  // namespace usbpo::onnx
