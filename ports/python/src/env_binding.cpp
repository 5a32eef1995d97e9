// usbpo._TaskEnv: a built-in task (the MuJoCo port's, or Pendulum) stepped
// from Python; usbpo.make_env wraps it in the Gymnasium calling convention.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "env_factory.hpp"
#include "float_arrays.hpp"
#include "status_error.hpp"

namespace py = pybind11;

namespace usbpo::python {
namespace {

class TaskEnv {
 public:
  TaskEnv(const std::string& name, const std::string& mjcf) : mjcf_(mjcf) {
    throw_if_error(cli::make_env(name, &env_, mjcf));
    obs_.resize(static_cast<std::size_t>(env_->obs_dim()));
  }

  FloatArray reset(std::uint64_t seed) {
    throw_if_error(env_->reset(seed, obs_.data()), "reset");
    started_ = true;
    return copy_to_array(obs_.data(), {env_->obs_dim()});
  }

  py::tuple step(py::handle action_in) {
    if (!started_) throw UsbpoError(StatusCode::kFailedPrecondition, "call reset() before step()");
    FloatArray action = as_float_array(action_in, "action", {env_->act_dim()});
    StepResult result;
    throw_if_error(env_->step(action.data(), obs_.data(), &result), "step");
    return py::make_tuple(copy_to_array(obs_.data(), {env_->obs_dim()}), static_cast<double>(result.reward),
                          result.terminated, result.truncated);
  }

  bool is_terminal(py::handle obs_in) const {
    FloatArray obs = as_float_array(obs_in, "obs", {env_->obs_dim()});
    return env_->is_terminal(obs.data());
  }

  const Env& env() const { return *env_; }
  const std::string& mjcf() const { return mjcf_; }

 private:
  std::unique_ptr<Env> env_;
  std::string mjcf_;
  std::vector<float> obs_;
  bool started_ = false;
};

}  // namespace

void bind_env(py::module_& m) {
  m.def("env_names", [] { return cli::env_names(); },
        "The built-in task names, comma-separated (pendulum, and the MuJoCo tasks when built with MuJoCo).");
  py::class_<TaskEnv>(m, "_TaskEnv", "A built-in task; use usbpo.make_env.")
      .def(py::init<const std::string&, const std::string&>(), py::arg("name"), py::arg("mjcf") = "")
      .def("reset", &TaskEnv::reset, py::arg("seed"), "Start an episode from the seed; returns obs (float32).")
      .def("step", &TaskEnv::step, py::arg("action"),
           "Apply action (act_dim,); returns (obs, reward, terminated, truncated).")
      .def("is_terminal", &TaskEnv::is_terminal, py::arg("obs"),
           "The task's static termination function on an observation (what model rollouts use).")
      .def_property_readonly("name", [](const TaskEnv& e) { return std::string(e.env().name()); })
      .def_property_readonly("mjcf", &TaskEnv::mjcf)
      .def_property_readonly("obs_dim", [](const TaskEnv& e) { return e.env().obs_dim(); })
      .def_property_readonly("act_dim", [](const TaskEnv& e) { return e.env().act_dim(); })
      .def_property_readonly("max_episode_steps", [](const TaskEnv& e) { return e.env().max_episode_steps(); })
      .def_property_readonly("can_terminate", [](const TaskEnv& e) { return e.env().can_terminate(); })
      .def_property_readonly("action_low",
                             [](const TaskEnv& e) { return copy_to_array(e.env().action_low(), {e.env().act_dim()}); })
      .def_property_readonly("action_high", [](const TaskEnv& e) {
        return copy_to_array(e.env().action_high(), {e.env().act_dim()});
      });
}

}  // namespace usbpo::python
