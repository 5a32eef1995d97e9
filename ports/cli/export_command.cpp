// `usbpo export`: take the policy out of a checkpoint into a policy file.
//
// The output is written atomically (a temporary file renamed over it) and
// only as a regular file: never over the input, over any checkpoint, onto a
// directory, device, FIFO or socket, nor through a symbolic link (refused:
// the rename would replace the link, not the file it points to).
#include <cstdio>
#include <string>

#include <sys/stat.h>

#include "arguments.hpp"
#include "commands.hpp"
#include "output_file.hpp"
#include "run_directory.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/train/checkpoint.hpp"

namespace usbpo::cli {

int export_command(int argc, char** argv) {
  Arguments args;
  std::string error;
  const bool parsed = args.parse(argc, argv, 2, {"help"}, &error);
  if (!parsed || args.has("help") || !args.given("checkpoint")) {
    if (!error.empty()) std::fprintf(stderr, "usbpo export: %s\n", error.c_str());
    std::fprintf(stderr,
                 "usage: usbpo export --checkpoint FILE|RUN_DIR --out policy.usbpo\n"
                 "  writes the policy of a checkpoint (the actor at the checkpoint's step), atomically and only\n"
                 "  as a regular file: never over the checkpoint or any other, a directory, a device or a link\n");
    return parsed && args.has("help") ? 0 : 2;
  }
  std::string path = args.get("checkpoint", "");
  const std::string out = args.get("out", "policy.usbpo");
  if (!args.check_all_used(&error)) {
    std::fprintf(stderr, "usbpo export: %s\n", error.c_str());
    return 2;
  }
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) path += std::string("/") + kCheckpointFile;
  if (path.empty() || out.empty()) {
    std::fprintf(stderr, "usbpo export: --checkpoint and --out must not be empty\n");
    return 2;
  }
  if (!check_output_file(out, &error)) {
    std::fprintf(stderr, "usbpo export: --out: %s\n", error.c_str());
    return 2;
  }
  if (same_file(out, path)) {
    std::fprintf(stderr, "usbpo export: --out %s is the checkpoint it reads; export never writes over its input\n",
                 out.c_str());
    return 2;
  }
  if (has_file_identifier(out, "USBC")) {
    std::fprintf(stderr, "usbpo export: --out %s is a checkpoint; export never writes over a checkpoint\n",
                 out.c_str());
    return 2;
  }
  // The write goes through OUT.tmp, which replaces whatever is there.
  const std::string temp = out + ".tmp";
  if (same_file(temp, path) || has_file_identifier(temp, "USBC")) {
    std::fprintf(stderr, "usbpo export: %s, which the write goes through, is a checkpoint; choose another --out\n",
                 temp.c_str());
    return 2;
  }
  CheckpointFile checkpoint;
  Status s = checkpoint.read(path.c_str());
  if (s.is_ok()) s = write_file_atomically(out.c_str(), checkpoint.policy_data(), checkpoint.policy_size());
  if (!s.is_ok()) {
    std::fprintf(stderr, "usbpo export: %s\n", s.message());
    return 1;
  }
  std::printf("%s: %s policy for %s after %lld env steps (%d obs, %d act), %zu bytes\n", out.c_str(),
              checkpoint.algorithm(), checkpoint.env_name(), static_cast<long long>(checkpoint.env_steps()),
              checkpoint.obs_dim(), checkpoint.act_dim(), checkpoint.policy_size());
  return 0;
}

}  // namespace usbpo::cli
