// `usbpo export`: take the policy out of a checkpoint into a policy file, or
// out of a checkpoint or a policy file into an ONNX model (--format onnx).
//
// The output is written atomically (a temporary file renamed over it) and
// only as a regular file: never over the input, over any checkpoint, onto a
// directory, device, FIFO or socket, nor through a symbolic link (refused:
// the rename would replace the link, not the file it points to). An ONNX
// model is never written over any usbpo file (checkpoint, policy, dataset).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "arguments.hpp"
#include "commands.hpp"
#include "output_file.hpp"
#include "run_directory.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/train/checkpoint.hpp"
#if defined(USBPO_HAVE_ONNX)
#include "usbpo/onnx/policy_onnx.hpp"
#endif

namespace usbpo::cli {
namespace {

// What export reads and writes, after the options are checked.
struct ExportRequest {
  bool onnx = false;             // --format onnx
  bool from_checkpoint = true;   // --checkpoint, else --policy
  std::string input;             // the file read (a run directory resolved to its file)
  std::string out;
};

void print_usage() {
  std::fprintf(stderr,
               "usage: usbpo export --checkpoint FILE|RUN_DIR --out policy.usbpo\n"
               "       usbpo export --format onnx --checkpoint FILE|RUN_DIR --out policy.onnx\n"
               "       usbpo export --format onnx --policy FILE|RUN_DIR --out policy.onnx\n"
               "  writes the policy of a checkpoint (the actor at the checkpoint's step) as a usbpo policy file,\n"
               "  or the deterministic policy (normaliser, actor mean, tanh, scaling into the bounds) of a\n"
               "  checkpoint or policy file as one ONNX graph (opset 17, input 'observation' [batch, obs_dim],\n"
               "  output 'action' [batch, act_dim]); atomically and only as a regular file: never over its input,\n"
               "  a checkpoint, a directory, a device or a link (an ONNX model never over any usbpo file)\n");
}

// "a checkpoint", "a usbpo policy file" or "a usbpo dataset" when path holds
// one (by its FlatBuffers identifier), else null.
const char* usbpo_file_kind(const std::string& path) {
  if (has_file_identifier(path, "USBC")) return "a checkpoint";
  if (has_file_identifier(path, "USBP")) return "a usbpo policy file";
  if (has_file_identifier(path, "USBD")) return "a usbpo dataset";
  return nullptr;
}

// Refuses (false, after saying why) an output export must not write: not a
// new or regular file, its input, a checkpoint (an ONNX model: any usbpo
// file), and the same for the temporary file the write goes through.
bool output_allowed(const ExportRequest& request) {
  const std::string& out = request.out;
  const char* input_kind = request.from_checkpoint ? "checkpoint" : "policy";
  std::string error;
  if (!check_output_file(out, &error)) {
    std::fprintf(stderr, "usbpo export: --out: %s\n", error.c_str());
    return false;
  }
  if (same_file(out, request.input)) {
    std::fprintf(stderr, "usbpo export: --out %s is the %s it reads; export never writes over its input\n",
                 out.c_str(), input_kind);
    return false;
  }
  const char* kind = usbpo_file_kind(out);
  if (kind && (request.onnx || !std::strcmp(kind, "a checkpoint"))) {
    if (request.onnx) {
      std::fprintf(stderr, "usbpo export: --out %s is %s; an ONNX export never writes over a usbpo file\n",
                   out.c_str(), kind);
    } else {
      std::fprintf(stderr, "usbpo export: --out %s is a checkpoint; export never writes over a checkpoint\n",
                   out.c_str());
    }
    return false;
  }
  // The write goes through OUT.tmp, which replaces whatever is there.
  const std::string temp = out + ".tmp";
  const char* temp_kind = usbpo_file_kind(temp);
  if (temp_kind && (request.onnx || !std::strcmp(temp_kind, "a checkpoint"))) {
    std::fprintf(stderr, "usbpo export: %s, which the write goes through, is %s; choose another --out\n",
                 temp.c_str(), temp_kind);
    return false;
  }
  if (same_file(temp, request.input)) {
    std::fprintf(stderr, "usbpo export: %s, which the write goes through, is the %s it reads; choose another --out\n",
                 temp.c_str(), input_kind);
    return false;
  }
  return true;
}

int export_policy_file(const ExportRequest& request) {
  CheckpointFile checkpoint;
  Status s = checkpoint.read(request.input.c_str());
  if (s.is_ok()) s = write_file_atomically(request.out.c_str(), checkpoint.policy_data(), checkpoint.policy_size());
  if (!s.is_ok()) {
    std::fprintf(stderr, "usbpo export: %s\n", s.message());
    return 1;
  }
  std::printf("%s: %s policy for %s after %lld env steps (%d obs, %d act), %zu bytes\n", request.out.c_str(),
              checkpoint.algorithm(), checkpoint.env_name(), static_cast<long long>(checkpoint.env_steps()),
              checkpoint.obs_dim(), checkpoint.act_dim(), checkpoint.policy_size());
  return 0;
}

#if defined(USBPO_HAVE_ONNX)
int export_onnx(const ExportRequest& request) {
  CheckpointFile checkpoint;
  std::vector<unsigned char> policy_bytes;
  const void* blob = nullptr;
  std::size_t size = 0;
  Status s;
  if (request.from_checkpoint) {
    s = checkpoint.read(request.input.c_str());
    blob = checkpoint.policy_data();
    size = checkpoint.policy_size();
  } else {
    s = read_file(request.input.c_str(), &policy_bytes);
    blob = policy_bytes.data();
    size = policy_bytes.size();
  }
  std::string model;
  onnx::PolicyOnnxSummary summary;
  if (s.is_ok()) s = onnx::policy_to_onnx(blob, size, &model, &summary);
  if (s.is_ok()) s = write_file_atomically(request.out.c_str(), model.data(), model.size());
  if (!s.is_ok()) {
    std::fprintf(stderr, "usbpo export: %s\n", s.message());
    return 1;
  }
  std::printf("%s: ONNX (opset %d) %s policy for %s after %lld env steps: '%s' [batch, %d] -> '%s' [batch, %d]; "
              "actor %dx%d %s, normaliser %s, %d nodes, %zu bytes\n",
              request.out.c_str(), onnx::kOpset, summary.algorithm.c_str(), summary.task.c_str(), summary.env_steps,
              onnx::kInputName, summary.obs_dim, onnx::kOutputName, summary.act_dim, summary.hidden_layers,
              summary.hidden_width, summary.activation.c_str(),
              summary.normaliser ? "in the graph" : "identity (left out)", summary.nodes, model.size());
  return 0;
}
#endif

}  // namespace

int export_command(int argc, char** argv) {
  Arguments args;
  std::string error;
  const bool parsed = args.parse(argc, argv, 2, {"help"}, &error);
  if (!parsed || args.has("help") || (!args.given("checkpoint") && !args.given("policy"))) {
    if (!error.empty()) std::fprintf(stderr, "usbpo export: %s\n", error.c_str());
    print_usage();
    return parsed && args.has("help") ? 0 : 2;
  }
  ExportRequest request;
  const std::string format = args.get("format", "usbpo");
  if (format != "usbpo" && format != "onnx") {
    std::fprintf(stderr, "usbpo export: --format %s is not known (usbpo or onnx)\n", format.c_str());
    return 2;
  }
  request.onnx = format == "onnx";
#if !defined(USBPO_HAVE_ONNX)
  if (request.onnx) {
    std::fprintf(stderr,
                 "usbpo export: --format onnx: this usbpo was built without ONNX support (USBPO_WITH_ONNX=OFF);\n"
                 "  install Debian's libonnx-dev and libprotobuf-dev, then configure and build again\n");
    return 2;
  }
#endif
  if (args.given("checkpoint") && args.given("policy")) {
    std::fprintf(stderr, "usbpo export: give --checkpoint or --policy, not both\n");
    return 2;
  }
  request.from_checkpoint = args.given("checkpoint");
  if (!request.from_checkpoint && !request.onnx) {
    std::fprintf(stderr, "usbpo export: --policy is read with --format onnx only (a policy file is already a "
                         "usbpo policy file)\n");
    return 2;
  }
  request.input = args.get(request.from_checkpoint ? "checkpoint" : "policy", "");
  request.out = args.get("out", request.onnx ? "policy.onnx" : "policy.usbpo");
  if (!args.check_all_used(&error)) {
    std::fprintf(stderr, "usbpo export: %s\n", error.c_str());
    return 2;
  }
  struct stat info;
  if (::stat(request.input.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    request.input += std::string("/") + (request.from_checkpoint ? kCheckpointFile : kPolicyFile);
  }
  if (request.input.empty() || request.out.empty()) {
    std::fprintf(stderr, "usbpo export: --%s and --out must not be empty\n",
                 request.from_checkpoint ? "checkpoint" : "policy");
    return 2;
  }
  if (!output_allowed(request)) return 2;
#if defined(USBPO_HAVE_ONNX)
  if (request.onnx) return export_onnx(request);
#endif
  return export_policy_file(request);
}

}  // namespace usbpo::cli
