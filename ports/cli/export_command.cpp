// `usbpo export`: take the policy out of a checkpoint into a policy file.
#include <cstdio>
#include <string>

#include <sys/stat.h>

#include "arguments.hpp"
#include "commands.hpp"
#include "usbpo/checkpoint.hpp"
#include "usbpo/file_io.hpp"

namespace usbpo::cli {

int export_command(int argc, char** argv) {
  Arguments args;
  std::string error;
  if (!args.parse(argc, argv, 2, {"help"}, &error) || args.has("help") || !args.has("checkpoint")) {
    if (!error.empty()) std::fprintf(stderr, "usbpo export: %s\n", error.c_str());
    std::fprintf(stderr,
                 "usage: usbpo export --checkpoint FILE|RUN_DIR --out policy.usbpo\n"
                 "  writes the policy of a checkpoint (the actor at the checkpoint's step)\n");
    return args.has("help") ? 0 : 2;
  }
  std::string path = args.get("checkpoint", "");
  const std::string out = args.get("out", "policy.usbpo");
  if (!args.check_all_used(&error)) {
    std::fprintf(stderr, "usbpo export: %s\n", error.c_str());
    return 2;
  }
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) path += "/checkpoint.usbpo-ckpt";
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
