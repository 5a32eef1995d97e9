#include "graph_builder.hpp"

namespace usbpo::onnx {
namespace {

// The batch dimension's symbolic name in every input and output.
constexpr const char* kBatchDimension = "batch";

void set_batch_by_width(::onnx::ValueInfoProto* value, const std::string& name, int width) {
  value->set_name(name);
  ::onnx::TypeProto_Tensor* tensor = value->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(::onnx::TensorProto::FLOAT);
  ::onnx::TensorShapeProto* shape = tensor->mutable_shape();
  shape->add_dim()->set_dim_param(kBatchDimension);
  shape->add_dim()->set_dim_value(width);
}

}  // namespace

std::string GraphBuilder::constant(const std::string& name, const std::vector<std::int64_t>& dims,
                                   const float* values) {
  ::onnx::TensorProto* tensor = graph_->add_initializer();
  tensor->set_name(name);
  tensor->set_data_type(::onnx::TensorProto::FLOAT);
  std::int64_t count = 1;
  for (std::int64_t d : dims) {
    tensor->add_dims(d);
    count *= d;
  }
  tensor->mutable_float_data()->Add(values, values + count);
  return name;
}

std::string GraphBuilder::node(const char* op, const std::vector<std::string>& inputs, const std::string& output) {
  ::onnx::NodeProto* node = graph_->add_node();
  node->set_op_type(op);
  node->set_name(output);  // each tensor is written once, so its name names the node too
  for (const std::string& in : inputs) node->add_input(in);
  node->add_output(output);
  return output;
}

void GraphBuilder::input(const std::string& name, int width) { set_batch_by_width(graph_->add_input(), name, width); }

void GraphBuilder::output(const std::string& name, int width) {
  set_batch_by_width(graph_->add_output(), name, width);
}

}  // namespace usbpo::onnx
