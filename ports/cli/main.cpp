// usbpo: train, evaluate and benchmark model-based RL policies.
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

#include "commands.hpp"

namespace {

void print_usage() {
  std::fprintf(stderr,
               "usage: usbpo <command> [options]\n"
               "  train  --env NAME --algo sac --steps N --seed S --out DIR   train a policy\n"
               "         --resume DIR [--steps N]                              continue a run from its checkpoint\n"
               "  eval   --policy FILE --env NAME --episodes N                evaluate a policy file\n"
               "  export --checkpoint FILE|DIR --out policy.usbpo             policy file from a checkpoint\n"
               "         --format onnx --checkpoint|--policy FILE|DIR --out policy.onnx   ONNX model of the policy\n"
               "  bench  [--quick] [--with-peer]                              component timings\n"
               "  report DIR... [--out REPORT_DIR] [--at 20000,40000]         statistics over seeds, tables, curves\n"
               "  sweep  FILE --out DIR [--local N | --slurm [--submit]]      runs of a YAML file's crossed lists\n"
               "Run `usbpo <command> --help` for the options of one command.\n");
}

}  // namespace

namespace {

int run(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  const char* command = argv[1];
  if (!std::strcmp(command, "train")) return usbpo::cli::train_command(argc, argv);
  if (!std::strcmp(command, "bench")) return usbpo::cli::bench_command(argc, argv);
  if (!std::strcmp(command, "eval")) return usbpo::cli::eval_command(argc, argv);
  if (!std::strcmp(command, "export")) return usbpo::cli::export_command(argc, argv);
  if (!std::strcmp(command, "report")) return usbpo::cli::report_command(argc, argv);
  if (!std::strcmp(command, "sweep")) return usbpo::cli::sweep_command(argc, argv);
  std::fprintf(stderr, "usbpo: unknown command '%s'\n", command);
  print_usage();
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Sizes are checked before anything large is allocated; this is the last
  // guard, so that no command ends in an abort.
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "usbpo: out of memory\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "usbpo: %s\n", e.what());
  }
  return 1;
}
