// GraphBuilder: appends to an ONNX graph the few things a policy graph is
// made of: float32 constants (initializers), nodes with unique names, and an
// input and an output of shape [batch, width] with a free batch dimension.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace usbpo::onnx {

class GraphBuilder {
 public:
  // Builds into *graph (borrowed; it must outlive the builder).
  explicit GraphBuilder(::onnx::GraphProto* graph) : graph_(graph) {}

  // A float32 initializer called name, of shape dims, holding the product of
  // dims values (row-major); returns name.
  std::string constant(const std::string& name, const std::vector<std::int64_t>& dims, const float* values);
  // A node op(inputs) writing the tensor called output; returns output.
  std::string node(const char* op, const std::vector<std::string>& inputs, const std::string& output);
  // The graph's float32 input called name, [batch, width].
  void input(const std::string& name, int width);
  // The graph's float32 output called name, [batch, width].
  void output(const std::string& name, int width);
  // Nodes added so far.
  int nodes() const { return graph_->node_size(); }

 private:
  ::onnx::GraphProto* graph_;
};

}  // namespace usbpo::onnx
