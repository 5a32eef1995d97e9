#include "python_env.hpp"

#include <pybind11/numpy.h>

#include <cmath>
#include <cstring>

#include "float_arrays.hpp"
#include "usbpo/runtime/policy.hpp"

namespace py = pybind11;

namespace usbpo::python {
namespace {

// The length of a 1-D space's shape, or a TypeError naming the space.
int space_length(py::handle env, const char* space_name) {
  if (!py::hasattr(env, space_name)) {
    throw py::type_error(std::string("the env has no ") + space_name + " (a Gymnasium env has one)");
  }
  py::object shape = env.attr(space_name).attr("shape");
  py::tuple dims = py::tuple(shape);
  if (dims.size() != 1 || dims[0].cast<long long>() < 1) {
    throw py::value_error(std::string(space_name) + ".shape must be (n,) with n >= 1, got " +
                          std::string(py::str(shape)));
  }
  return dims[0].cast<int>();
}

std::string env_name(py::handle env) {
  std::string name;
  if (py::hasattr(env, "name") && py::isinstance<py::str>(env.attr("name"))) {
    name = env.attr("name").cast<std::string>();
  } else if (py::hasattr(env, "spec") && !env.attr("spec").is_none() && py::hasattr(env.attr("spec"), "id")) {
    name = py::str(env.attr("spec").attr("id"));
  } else {
    name = py::str(py::type::of(env).attr("__name__"));
  }
  if (name.empty() || name.size() >= static_cast<std::size_t>(Policy::kMaxName)) {
    throw py::value_error("the env's name must have 1 to " + std::to_string(Policy::kMaxName - 1) +
                          " characters, got '" + name + "'");
  }
  return name;
}

int episode_limit(py::handle env) {
  py::object limit = py::none();
  if (py::hasattr(env, "max_episode_steps")) limit = env.attr("max_episode_steps");
  if (limit.is_none() && py::hasattr(env, "spec") && !env.attr("spec").is_none() &&
      py::hasattr(env.attr("spec"), "max_episode_steps")) {
    limit = env.attr("spec").attr("max_episode_steps");
  }
  if (limit.is_none()) {
    throw py::type_error("the env needs max_episode_steps (an attribute, or spec.max_episode_steps): evaluation "
                         "episodes end there");
  }
  const long long steps = limit.cast<long long>();
  if (steps < 1 || steps > INT32_MAX) throw py::value_error("max_episode_steps must be at least 1");
  return static_cast<int>(steps);
}

}  // namespace

PythonEnv::PythonEnv(py::object env) : env_(std::move(env)) {
  name_ = env_name(env_);
  obs_dim_ = space_length(env_, "observation_space");
  act_dim_ = space_length(env_, "action_space");
  max_episode_steps_ = episode_limit(env_);
  py::object space = env_.attr("action_space");
  for (const char* bound : {"low", "high"}) {
    if (!py::hasattr(space, bound)) throw py::type_error(std::string("action_space has no ") + bound);
    FloatArray values = as_float_array(py::module_::import("numpy").attr("broadcast_to")(space.attr(bound), act_dim_),
                                       (std::string("action_space.") + bound).c_str(), {act_dim_});
    std::vector<Scalar>& out = bound[0] == 'l' ? low_ : high_;
    out.assign(values.data(), values.data() + act_dim_);
  }
  for (int d = 0; d < act_dim_; ++d) {
    if (!std::isfinite(low_[d]) || !std::isfinite(high_[d]) || !(low_[d] < high_[d])) {
      throw py::value_error("action_space bounds must be finite with low < high; dimension " + std::to_string(d) +
                            " has [" + std::to_string(low_[d]) + ", " + std::to_string(high_[d]) + "]");
    }
  }
  has_is_terminal_ = py::hasattr(env_, "is_terminal") && PyCallable_Check(env_.attr("is_terminal").ptr());
}

PythonEnv::~PythonEnv() {
  py::gil_scoped_acquire gil;
  error_.reset();
  env_ = py::object();
}

Status PythonEnv::keep_error(const char* call, py::error_already_set& error) const {
  const std::string what = error.what();
  error_ = std::make_unique<py::error_already_set>(std::move(error));
  return Status::error(StatusCode::kFailedPrecondition, "the Python env's %s raised %s", call, what.c_str());
}

void PythonEnv::read_obs(py::handle value, const char* call, Scalar* obs) const {
  FloatArray array = as_float_array(value, (std::string("the observation from ") + call).c_str(), {obs_dim_});
  std::memcpy(obs, array.data(), sizeof(Scalar) * static_cast<std::size_t>(obs_dim_));
}

Status PythonEnv::reset(std::uint64_t seed, Scalar* obs) {
  py::gil_scoped_acquire gil;
  try {
    py::object out = env_.attr("reset")(py::arg("seed") = seed);
    if (!py::isinstance<py::tuple>(out) || py::len(out) != 2) {
      return Status::error(StatusCode::kInvalidArgument, "the Python env's reset() must return (obs, info)");
    }
    read_obs(py::tuple(out)[0], "reset()", obs);
  } catch (py::error_already_set& e) {
    return keep_error("reset()", e);
  } catch (const std::exception& e) {
    return Status::error(StatusCode::kInvalidArgument, "the Python env's reset(): %s", e.what());
  }
  return Status::ok();
}

Status PythonEnv::step(const Scalar* action, Scalar* next_obs, StepResult* result) {
  py::gil_scoped_acquire gil;
  try {
    py::object out = env_.attr("step")(copy_to_array(action, {act_dim_}));
    if (!py::isinstance<py::tuple>(out) || py::len(out) != 5) {
      return Status::error(StatusCode::kInvalidArgument,
                           "the Python env's step() must return (obs, reward, terminated, truncated, info)");
    }
    py::tuple t(out);
    read_obs(t[0], "step()", next_obs);
    result->reward = static_cast<Scalar>(py::float_(t[1]).cast<double>());
    result->terminated = py::bool_(t[2]);
    result->truncated = py::bool_(t[3]);
  } catch (py::error_already_set& e) {
    return keep_error("step()", e);
  } catch (const std::exception& e) {
    return Status::error(StatusCode::kInvalidArgument, "the Python env's step(): %s", e.what());
  }
  return Status::ok();
}

bool PythonEnv::is_terminal(const Scalar* next_obs) const {
  if (!has_is_terminal_) return false;
  py::gil_scoped_acquire gil;
  if (error_) return false;  // an earlier call failed: the binding raises it after this step
  try {
    return py::bool_(env_.attr("is_terminal")(copy_to_array(next_obs, {obs_dim_})));
  } catch (py::error_already_set& e) {
    keep_error("is_terminal()", e);
  } catch (const std::exception& e) {
    py::value_error wrapped(std::string("the Python env's is_terminal(): ") + e.what());
    wrapped.set_error();
    py::error_already_set kept;
    keep_error("is_terminal()", kept);
  }
  return false;
}

std::unique_ptr<py::error_already_set> PythonEnv::take_error() { return std::move(error_); }

bool PythonEnv::interrupted() const { return error_ && error_->matches(PyExc_KeyboardInterrupt); }

}  // namespace usbpo::python
