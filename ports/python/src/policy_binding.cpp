// usbpo.Policy: a policy file loaded with the core's verification, acting on
// one observation or a batch, float32 in and out.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "blob_source.hpp"
#include "float_arrays.hpp"
#include "status_error.hpp"
#include "usbpo/runtime/policy.hpp"

namespace py = pybind11;

namespace usbpo::python {
namespace {

// Batches at least this long are acted on with the GIL released.
constexpr py::ssize_t kReleaseGilRows = 64;

class PyPolicy {
 public:
  static std::unique_ptr<PyPolicy> load(py::handle source) {
    BlobSource blob(source, "Policy.load");
    auto self = std::make_unique<PyPolicy>();
    std::size_t bytes = 0;
    throw_if_error(Policy::bytes_needed(blob.data(), blob.size(), &bytes), "Policy.load");
    self->memory_.resize(bytes + Arena::kAlignment);  // the arena aligns inside it
    Arena arena(self->memory_.data(), self->memory_.size());
    throw_if_error(self->policy_.load(blob.data(), blob.size(), arena), "Policy.load");
    return self;
  }

  py::array act(py::handle obs_in, py::handle out) {
    FloatArray obs = as_float_array(obs_in, "obs");
    const py::ssize_t obs_dim = policy_.obs_dim(), act_dim = policy_.act_dim();
    const bool one = obs.ndim() == 1 && obs.shape(0) == obs_dim;
    if (!one && !(obs.ndim() == 2 && obs.shape(1) == obs_dim)) {
      throw py::value_error("obs must have shape (" + std::to_string(obs_dim) + ",) or (N, " +
                            std::to_string(obs_dim) + ") for this policy (task " + policy_.env_name() + "), got " +
                            shape_text(obs));
    }
    const py::ssize_t rows = one ? 1 : obs.shape(0);
    const std::vector<py::ssize_t> shape = one ? std::vector<py::ssize_t>{act_dim}
                                               : std::vector<py::ssize_t>{rows, act_dim};
    FloatArray action = out.is_none() ? FloatArray(shape) : output_array(out, shape);
    const float* o = obs.data();
    float* a = action.mutable_data();
    if (one) {
      throw_if_error(policy_.act(o, a), "act");  // the policy's own scratch: the GIL keeps callers apart
      return std::move(action);
    }
    // Batches use the reentrant act with their own scratch, so that other
    // threads may act on this policy while the GIL is released.
    std::vector<unsigned char> scratch(policy_.scratch_bytes());
    Status status;
    py::ssize_t row = 0;
    {
      std::unique_ptr<py::gil_scoped_release> release;
      if (rows >= kReleaseGilRows) release = std::make_unique<py::gil_scoped_release>();
      for (; row < rows && status.is_ok(); ++row) {
        status = policy_.act(o + row * obs_dim, a + row * act_dim, scratch.data(), scratch.size());
      }
    }
    throw_if_error(status, "act: observation " + std::to_string(row - 1));
    return std::move(action);
  }

  const Policy& policy() const { return policy_; }

 private:
  // out= must be float32, C-ordered, writable and of exactly the result's shape.
  static FloatArray output_array(py::handle out, const std::vector<py::ssize_t>& shape) {
    if (!py::isinstance<py::array_t<float>>(out)) throw py::type_error("out must be a float32 NumPy array");
    auto array = py::reinterpret_borrow<py::array>(out);
    if (!(array.flags() & py::array::c_style) || !array.writeable()) {
      throw py::value_error("out must be C-ordered and writable");
    }
    bool fits = array.ndim() == static_cast<py::ssize_t>(shape.size());
    for (std::size_t i = 0; fits && i < shape.size(); ++i) fits = array.shape(i) == shape[i];
    if (!fits) throw py::value_error("out must have shape " + shape_text(shape) + ", got " + shape_text(array));
    return py::reinterpret_borrow<FloatArray>(out);
  }

  std::vector<unsigned char> memory_;  // the policy's arena
  Policy policy_;
};

}  // namespace

void bind_policy(py::module_& m) {
  py::class_<PyPolicy>(m, "Policy",
                       "A deployable policy: a usbpo policy file (policy.usbpo) verified and loaded as the C++ "
                       "runtime loads it (usbpo::Policy); act() gives the deterministic action.")
      .def_static("load", &PyPolicy::load, py::arg("path_or_bytes"),
                  "Load a policy from a file path or from bytes. Everything is verified first (checksum, "
                  "FlatBuffers verifier, version, dimensions, finite weights); a bad file raises usbpo.Error.")
      .def("act", &PyPolicy::act, py::arg("obs"), py::arg("out") = py::none(),
           "Deterministic action(s) in the action bounds. obs: (obs_dim,) or (N, obs_dim) floats (float32 in C "
           "order is used without a copy, other floats are converted); returns (act_dim,) or (N, act_dim) float32, "
           "written into out= when given (float32, C-ordered, that shape). Non-finite observations raise "
           "usbpo.Error.")
      .def_property_readonly("task", [](const PyPolicy& p) { return std::string(p.policy().env_name()); },
                             "The task the policy was trained on, e.g. 'hopper'.")
      .def_property_readonly("algorithm", [](const PyPolicy& p) { return std::string(p.policy().algorithm()); },
                             "The algorithm that trained it, e.g. 'usbpo'.")
      .def_property_readonly("env_steps", [](const PyPolicy& p) { return p.policy().env_steps(); },
                             "Env steps of training behind it.")
      .def_property_readonly("obs_dim", [](const PyPolicy& p) { return p.policy().obs_dim(); })
      .def_property_readonly("act_dim", [](const PyPolicy& p) { return p.policy().act_dim(); })
      .def_property_readonly(
          "action_low",
          [](py::object self) {
            const Policy& p = self.cast<const PyPolicy&>().policy();
            return read_only_view(p.action_low(), {p.act_dim()}, self);
          },
          "Lower action bounds (act_dim,), a read-only view of the loaded policy.")
      .def_property_readonly(
          "action_high",
          [](py::object self) {
            const Policy& p = self.cast<const PyPolicy&>().policy();
            return read_only_view(p.action_high(), {p.act_dim()}, self);
          },
          "Upper action bounds (act_dim,), a read-only view of the loaded policy.")
      .def("__repr__", [](const PyPolicy& p) {
        const Policy& q = p.policy();
        return "<usbpo.Policy task='" + std::string(q.env_name()) + "' algorithm='" + q.algorithm() +
               "' obs_dim=" + std::to_string(q.obs_dim()) + " act_dim=" + std::to_string(q.act_dim()) +
               " env_steps=" + std::to_string(q.env_steps()) + ">";
      });
}

}  // namespace usbpo::python
