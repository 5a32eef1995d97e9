// A policy's deterministic act as one ONNX model: the observation normaliser
// (left out when it is the identity), the actor MLP's mean head, tanh and the
// scaling into the action bounds with the runtime's clamp, op for op as
// usbpo::Policy::act computes them.
//
// Graph: input "observation" float32 [batch, obs_dim], output "action" float32
// [batch, act_dim], batch a free dimension. The model carries the task, the
// algorithm, the env steps, the dims and the bounds as metadata_props. Unlike
// Policy::act the graph does not refuse NaN or Inf observations: a caller that
// can receive them checks its inputs.
#pragma once

#include <cstddef>
#include <string>

#include "usbpo/base/status.hpp"

namespace usbpo::onnx {

// The ONNX operator set the models are written for (ai.onnx, ONNX 1.12+).
constexpr int kOpset = 17;
// The ONNX IR version of the models (IR 8: ONNX 1.12, ONNX Runtime 1.12+).
constexpr int kIrVersion = 8;
// Names of the graph's input and output.
constexpr const char* kInputName = "observation";
constexpr const char* kOutputName = "action";

// What went into a model, for the caller's summary line.
struct PolicyOnnxSummary {
  std::string task;            // the policy's env name
  std::string algorithm;       // e.g. "usbpo"
  long long env_steps = 0;     // env steps of training behind the policy
  int obs_dim = 0, act_dim = 0;
  int hidden_layers = 0, hidden_width = 0;
  std::string activation;      // of the hidden layers: "relu", "swish" or "identity"
  bool normaliser = false;     // false when the policy's normaliser is the identity
  int nodes = 0;               // nodes in the graph
};

// Verify a policy file's bytes as Policy::load does, build its model, run the
// ONNX checker and shape inference on it, and serialise it into *model_bytes.
// summary may be null.
Status policy_to_onnx(const void* policy_blob, std::size_t size, std::string* model_bytes,
                      PolicyOnnxSummary* summary);

}  // namespace usbpo::onnx
