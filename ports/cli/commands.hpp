// The subcommands of `usbpo`; each returns the process exit code.
#pragma once

namespace usbpo::cli {

int train_command(int argc, char** argv);
int bench_command(int argc, char** argv);
int eval_command(int argc, char** argv);
int export_command(int argc, char** argv);
int report_command(int argc, char** argv);

}  // namespace usbpo::cli
