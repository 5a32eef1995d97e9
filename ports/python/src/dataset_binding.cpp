// Dataset files (.usbpo-data) as arrays: read with every check the trainer
// makes, written only when those checks would accept the file.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "blob_source.hpp"
#include "float_arrays.hpp"
#include "output_file.hpp"
#include "status_error.hpp"
#include "usbpo/agent/replay_store.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/runtime/policy.hpp"
#include "usbpo/train/dataset.hpp"

namespace py = pybind11;

namespace usbpo::python {
namespace {

// A store placed in memory it owns; the arrays returned view it.
struct OwnedStore {
  std::vector<unsigned char> memory;
  ReplayStore store;
};

py::dict load_dataset_arrays(py::handle source) {
  BlobSource blob(source, "load_dataset");
  DatasetInfo info;
  throw_if_error(inspect_dataset(blob.data(), blob.size(), &info), "load_dataset");
  auto owned = std::make_unique<OwnedStore>();
  const ReplayConfig config{info.obs_dim, info.act_dim, info.count > 0 ? info.count : 1, 1};
  owned->memory.resize(ReplayStore::bytes_needed(config) + Arena::kAlignment);
  Arena arena(owned->memory.data(), owned->memory.size());
  throw_if_error(owned->store.place(config, arena), "load_dataset");
  int loaded = 0;
  throw_if_error(load_dataset(blob.data(), blob.size(), nullptr, owned->store, 0, &loaded), "load_dataset");
  const ReplayStore& store = owned->store;
  py::array_t<bool> terminal(loaded);
  for (int i = 0; i < loaded; ++i) terminal.mutable_data()[i] = store.terminal(i);
  // Filled from slot 0 in file order, so slot i is transition i: rows of (N x dim) arrays.
  py::capsule owner(owned.release(), [](void* p) { delete static_cast<OwnedStore*>(p); });
  auto view = [&](const float* data, const std::vector<py::ssize_t>& shape) {
    return py::array(py::dtype::of<float>(), shape, c_strides(shape), data, owner);
  };
  py::dict d;
  d["env"] = std::string(info.env_name);
  d["obs"] = view(store.obs_data(), {loaded, info.obs_dim});
  d["act"] = view(store.act_data(), {loaded, info.act_dim});
  d["reward"] = view(store.reward_data(), {loaded});
  d["next_obs"] = view(store.next_obs_data(), {loaded, info.obs_dim});
  d["terminal"] = terminal;
  return d;
}

py::object save_dataset_arrays(py::object path, const std::string& env, py::handle obs_in, py::handle act_in,
                               py::handle reward_in, py::handle next_obs_in,
                               py::array_t<std::uint8_t, py::array::c_style> terminal) {
  if (env.empty() || env.size() >= static_cast<std::size_t>(Policy::kMaxName)) {
    throw py::value_error("env must have 1 to " + std::to_string(Policy::kMaxName - 1) + " characters");
  }
  FloatArray obs = as_float_array(obs_in, "obs");
  if (obs.ndim() != 2 || obs.shape(0) < 1 || obs.shape(1) < 1) {
    throw py::value_error("obs must have shape (N, obs_dim) with N, obs_dim >= 1, got " + shape_text(obs));
  }
  const py::ssize_t n = obs.shape(0), obs_dim = obs.shape(1);
  FloatArray act = as_float_array(act_in, "act");
  if (act.ndim() != 2 || act.shape(0) != n || act.shape(1) < 1) {
    throw py::value_error("act must have shape (" + std::to_string(n) + ", act_dim), got " + shape_text(act));
  }
  FloatArray reward = as_float_array(reward_in, "reward", {n});
  FloatArray next_obs = as_float_array(next_obs_in, "next_obs", {n, obs_dim});
  if (terminal.ndim() != 1 || terminal.shape(0) != n) {
    throw py::value_error("terminal must have shape (" + std::to_string(n) + ",), got " + shape_text(terminal));
  }
  if (n > INT32_MAX || obs_dim > INT32_MAX || act.shape(1) > INT32_MAX) throw py::value_error("dataset too large");
  const ReplayConfig config{static_cast<int>(obs_dim), static_cast<int>(act.shape(1)), static_cast<int>(n), 1};
  std::vector<unsigned char> memory(ReplayStore::bytes_needed(config) + Arena::kAlignment);
  Arena arena(memory.data(), memory.size());
  ReplayStore store;
  throw_if_error(store.place(config, arena), "save_dataset");
  throw_if_error(store.store_batch(static_cast<int>(n), obs.data(), act.data(), reward.data(), next_obs.data(),
                                   terminal.data(), 0),
                 "save_dataset");
  std::vector<unsigned char> bytes;
  throw_if_error(serialize_dataset(store, env.c_str(), &bytes), "save_dataset");
  DatasetInfo info;  // every check a reader makes (actions in [-1, 1], binary terminals, ...)
  throw_if_error(inspect_dataset(bytes.data(), bytes.size(), &info), "save_dataset");
  if (path.is_none()) return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::string target = py::str(py::module_::import("os").attr("fspath")(path));
  std::string why;
  if (!cli::check_output_file(target, &why)) throw UsbpoError(StatusCode::kIoError, "save_dataset: " + why);
  throw_if_error(write_file_atomically(target.c_str(), bytes.data(), bytes.size()), "save_dataset");
  return py::none();
}

}  // namespace

void bind_dataset(py::module_& m) {
  m.def("_load_dataset", &load_dataset_arrays, py::arg("path_or_bytes"));
  m.def("_save_dataset", &save_dataset_arrays, py::arg("path"), py::arg("env"), py::arg("obs"), py::arg("act"),
        py::arg("reward"), py::arg("next_obs"), py::arg("terminal"));
}

}  // namespace usbpo::python
