// usbpo._Trainer: a TrainingRun driven from Python (usbpo.Trainer and
// usbpo.train wrap it). The GIL is released while the core works; a Python
// env takes it for each of its calls only. Between steps the loop checks for
// signals with the GIL held, so Ctrl-C stops a run the way it stops
// `usbpo train`: checkpoint, policy, plots and log written, then
// KeyboardInterrupt raised.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "python_env.hpp"
#include "run_history.hpp"
#include "status_error.hpp"
#include "training_run.hpp"

namespace py = pybind11;

namespace usbpo::python {
namespace {

class PyTrainer {
 public:
  // args: `usbpo train` options; env/eval_env: Python envs (both or neither);
  // resume: a run directory to continue (then args holds only resume options).
  PyTrainer(const std::vector<std::string>& args, py::object env, py::object eval_env, py::object resume) {
    if (!env.is_none()) {
      if (eval_env.is_none()) throw py::value_error("a Python env needs a second instance for evaluation");
      python_env_ = std::make_unique<PythonEnv>(env);
      python_eval_env_ = std::make_unique<PythonEnv>(eval_env);
    }
    std::vector<std::string> options = args;
    if (python_env_ && resume.is_none() && std::find(args.begin(), args.end(), "--env") == args.end()) {
      options.insert(options.begin(), {"--env", python_env_->name()});  // the run is named after the Python env
    }
    const bool resuming = !resume.is_none();
    const std::string resume_dir = resuming ? resume.cast<std::string>() : "";
    std::string error;
    bool ok = false;
    {
      // A Python env is asked for its first observation with the GIL taken again.
      py::gil_scoped_release release;
      ok = resuming ? run_.resume(resume_dir, options, python_env_.get(), python_eval_env_.get(), &error)
                    : run_.start(options, python_env_.get(), python_eval_env_.get(), &error);
    }
    if (!ok) {
      // A Python env's exception comes first.
      raise_env_error();
      throw UsbpoError(StatusCode::kInvalidArgument, error);
    }
  }


  py::dict step() {
    StepOutcome outcome;
    Status status;
    {
      py::gil_scoped_release release;
      status = run_.step(&outcome);
    }
    raise_env_error();
    throw_if_error(status, "step");
    py::dict d = progress();
    if (outcome.evaluated) d["eval_return"] = outcome.eval_return;
    return d;
  }

  // Steps until `until` env steps (the run's planned steps when negative) or a
  // signal; a KeyboardInterrupt finishes the run (checkpoint written) before it is raised.
  void run(std::int64_t until, py::object callback) {
    const std::int64_t stop = until < 0 ? run_.options().steps : std::min(until, run_.options().steps);
    Status status;
    std::unique_ptr<py::error_already_set> pending;
    while (run_.progress().env_steps < stop) {
      StepOutcome outcome;
      {
        py::gil_scoped_release release;
        status = run_.step(&outcome);
      }
      pending = take_env_error();
      if (pending || !status.is_ok()) break;
      if (PyErr_CheckSignals() != 0) {
        pending = std::make_unique<py::error_already_set>();
        break;
      }
      if (outcome.evaluated && !callback.is_none()) {
        try {
          py::dict d = progress();
          d["eval_return"] = outcome.eval_return;
          callback(d);
        } catch (py::error_already_set& e) {
          pending = std::make_unique<py::error_already_set>(std::move(e));
          break;
        }
      }
    }
    const bool interrupted = pending && pending->matches(PyExc_KeyboardInterrupt);
    if (interrupted) {
      Status finished;
      {
        py::gil_scoped_release release;
        finished = run_.finish(true);
      }
      take_env_error();  // the env's own exceptions after the interrupt change nothing
      py::print("usbpo: interrupted at env step", run_.progress().env_steps, "; the checkpoint",
                run_.checkpoint_path(), "holds env step", run_.checkpoint_step(),
                finished.is_ok() ? "" : std::string("; ") + finished.message(), py::arg("sep") = " ",
                py::arg("file") = py::module_::import("sys").attr("stderr"));
    }
    if (pending) throw std::move(*pending);
    if (!status.is_ok()) {
      throw UsbpoError(status.code(), std::string("stopped at env step ") + std::to_string(run_.progress().env_steps) +
                                          ": " + status.message() + "; " + describe_checkpoint());
    }
  }

  void finish(bool interrupted) {
    Status status;
    {
      py::gil_scoped_release release;
      status = run_.finish(interrupted);
    }
    raise_env_error();
    throw_if_error(status, "finish");
  }

  double evaluate(py::object episodes) {
    const int n = episodes.is_none() ? run_.options().config.eval_episodes : episodes.cast<int>();
    double mean = 0;
    Status status;
    {
      py::gil_scoped_release release;
      status = run_.evaluate(n, &mean);
    }
    raise_env_error();
    throw_if_error(status, "evaluate");
    return mean;
  }

  std::string save_checkpoint(py::object path) {
    const std::string target = path.is_none() ? "" : py::str(py::module_::import("os").attr("fspath")(path));
    Status status;
    {
      py::gil_scoped_release release;
      status = run_.save_checkpoint(target);
    }
    throw_if_error(status, "save_checkpoint");
    return target.empty() ? run_.checkpoint_path() : target;
  }

  py::bytes policy_bytes() {
    std::vector<unsigned char> bytes;
    throw_if_error(run_.policy_bytes(&bytes), "policy_bytes");
    return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

  void save_dataset(py::object path) {
    const std::string target = py::str(py::module_::import("os").attr("fspath")(path));
    throw_if_error(run_.save_dataset(target), "save_dataset");
  }

  py::dict log() const {
    py::dict d;
    const std::vector<std::string>& names = cli::log_columns();
    for (std::size_t c = 0; c < names.size(); ++c) {
      const std::vector<double>& column = run_.log()[c];
      py::array_t<double> values(static_cast<py::ssize_t>(column.size()));
      std::copy(column.begin(), column.end(), values.mutable_data());
      d[py::str(names[c])] = values;
    }
    return d;
  }

  py::dict progress() const {
    const TrainerProgress& p = run_.progress();
    py::dict d;
    d["env_steps"] = p.env_steps;
    d["steps"] = run_.options().steps;
    d["episodes"] = p.episodes;
    d["gradient_updates"] = p.gradient_updates;
    d["episode_return"] = p.episode_return;
    d["last_episode_return"] = p.last_episode_return;
    d["episode_finished"] = p.episode_finished;
    d["epoch_finished"] = p.epoch_finished;
    d["model_round"] = p.model_round;
    d["last_eval_return"] = run_.last_eval_return();
    d["critic_loss"] = p.sac.critic_loss;
    d["actor_loss"] = p.sac.actor_loss;
    d["alpha"] = p.sac.alpha;
    d["wall_s"] = run_.wall_seconds();
    py::dict time;
    time["env"] = p.time.env;
    time["model"] = p.time.model;
    time["phase2"] = p.time.phase_two;
    time["rollouts"] = p.time.rollouts;
    time["sac"] = p.time.sac;
    d["time_s"] = time;
    return d;
  }

  const TrainingRun& training() const { return run_; }
  void close() { run_.close(); }

 private:
  std::unique_ptr<py::error_already_set> take_env_error() {
    for (PythonEnv* env : {python_env_.get(), python_eval_env_.get()}) {
      if (!env) continue;
      if (auto error = env->take_error()) return error;
    }
    return nullptr;
  }
  void raise_env_error() {
    if (auto error = take_env_error()) throw std::move(*error);
  }
  std::string describe_checkpoint() const {
    return run_.checkpoint_step() < 0 ? "no checkpoint was written"
                                      : "the checkpoint " + run_.checkpoint_path() + " holds env step " +
                                            std::to_string(run_.checkpoint_step());
  }

  // The Python envs outlive the run, which steps them.
  std::unique_ptr<PythonEnv> python_env_, python_eval_env_;
  TrainingRun run_;
};

}  // namespace

void bind_trainer(py::module_& m) {
  py::class_<PyTrainer>(m, "_Trainer", "A training run; use usbpo.Trainer or usbpo.train.")
      .def(py::init<const std::vector<std::string>&, py::object, py::object, py::object>(), py::arg("args"),
           py::arg("env") = py::none(), py::arg("eval_env") = py::none(), py::arg("resume") = py::none())
      .def("step", &PyTrainer::step)
      .def("run", &PyTrainer::run, py::arg("until") = -1, py::arg("callback") = py::none())
      .def("finish", &PyTrainer::finish, py::arg("interrupted") = false)
      .def("evaluate", &PyTrainer::evaluate, py::arg("episodes") = py::none())
      .def("save_checkpoint", &PyTrainer::save_checkpoint, py::arg("path") = py::none())
      .def("policy_bytes", &PyTrainer::policy_bytes)
      .def("save_dataset", &PyTrainer::save_dataset, py::arg("path"))
      .def("close", &PyTrainer::close)
      .def_property_readonly("log", &PyTrainer::log)
      .def_property_readonly("progress", &PyTrainer::progress)
      .def_property_readonly("finished", [](const PyTrainer& t) { return t.training().finished(); })
      .def_property_readonly("done", [](const PyTrainer& t) { return t.training().done(); })
      .def_property_readonly("env_name", [](const PyTrainer& t) { return t.training().options().env_name; })
      .def_property_readonly("algorithm", [](const PyTrainer& t) { return t.training().options().algo_name; })
      .def_property_readonly("steps", [](const PyTrainer& t) { return t.training().options().steps; })
      .def_property_readonly("seed", [](const PyTrainer& t) { return t.training().options().config.seed; })
      .def_property_readonly("out", [](const PyTrainer& t) { return t.training().options().out; })
      .def_property_readonly("threads", [](const PyTrainer& t) { return t.training().options().threads; })
      .def_property_readonly("options", [](const PyTrainer& t) { return t.training().options().args; })
      .def_property_readonly("arena_bytes", [](const PyTrainer& t) { return t.training().arena_bytes(); })
      .def_property_readonly("checkpoint_step", [](const PyTrainer& t) { return t.training().checkpoint_step(); })
      .def_property_readonly("checkpoint_path", [](const PyTrainer& t) { return t.training().checkpoint_path(); });
}

}  // namespace usbpo::python
