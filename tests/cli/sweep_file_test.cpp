// Settings files, sweep crossing and naming, `train --config` expansion and
// the Slurm script (ports/cli: settings_file, sweep_file, config_file,
// slurm_script).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "config_file.hpp"
#include "settings_file.hpp"
#include "slurm_script.hpp"
#include "sweep_file.hpp"

namespace usbpo::cli {
namespace {

SettingsFile parsed(const std::string& text) {
  SettingsFile file;
  std::string error;
  EXPECT_TRUE(parse_settings(text, "s.yaml", &file, &error)) << error;
  return file;
}

std::string parse_error(const std::string& text) {
  SettingsFile file;
  std::string error;
  EXPECT_FALSE(parse_settings(text, "s.yaml", &file, &error));
  return error;
}

Sweep crossed(const std::string& text) {
  Sweep sweep;
  std::string error;
  EXPECT_TRUE(expand_sweep(parsed(text), &sweep, &error)) << error;
  return sweep;
}

std::string sweep_error(const std::string& text) {
  Sweep sweep;
  std::string error;
  EXPECT_FALSE(expand_sweep(parsed(text), &sweep, &error));
  return error;
}

std::vector<std::string> names(const Sweep& sweep) {
  std::vector<std::string> out;
  for (const SweepRun& r : sweep.runs) out.push_back(r.name);
  return out;
}

TEST(SettingsFile, ReadsScalarsListsAndSectionsInFileOrder) {
  const SettingsFile f = parsed(
      "# comment\n"
      "env: hopper\n"
      "seed: [0, 1, 2]\n"
      "options: {checkpoint-every: 1000, lr: 3e-4}\n"
      "slurm:\n"
      "  time: \"08:00:00\"\n"
      "  mem: 4G\n");
  ASSERT_EQ(f.options.size(), 4u);
  EXPECT_EQ(f.options[0].key, "env");
  EXPECT_FALSE(f.options[0].is_list);
  EXPECT_EQ(f.options[0].values, std::vector<std::string>{"hopper"});
  EXPECT_EQ(f.options[0].line, 2);
  EXPECT_EQ(f.options[0].column, 1);
  EXPECT_EQ(f.options[1].key, "seed");
  EXPECT_TRUE(f.options[1].is_list);
  EXPECT_EQ(f.options[1].values, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(f.options[2].key, "checkpoint-every");
  EXPECT_EQ(f.options[2].line, 4);
  EXPECT_EQ(f.options[3].values[0], "3e-4");  // the text as written, train parses it
  ASSERT_EQ(f.slurm.size(), 2u);
  EXPECT_EQ(f.slurm[0].key, "time");
  EXPECT_EQ(f.slurm[0].values[0], "08:00:00");
  EXPECT_EQ(f.slurm[1].line, 7);
}

TEST(SettingsFile, AnEmptyFileHasNoSettings) {
  const SettingsFile f = parsed("# nothing yet\n");
  EXPECT_TRUE(f.options.empty());
  EXPECT_TRUE(f.slurm.empty());
}

TEST(SettingsFile, SyntaxErrorsNameLineAndColumn) {
  // The unclosed list starts on line 2; yaml-cpp reports where it gave up.
  const std::string e = parse_error("env: hopper\nseed: [0, 1\nsteps: 100\n");
  EXPECT_EQ(e.rfind("s.yaml:", 0), 0u) << e;
  EXPECT_NE(e.find(":3:"), std::string::npos) << e;
  EXPECT_EQ(parse_error("env: hopper\n  algo: sac\n").rfind("s.yaml:2:", 0), 0u);
}

TEST(SettingsFile, RefusesWhatIsNotAnOptionWithItsPosition) {
  EXPECT_EQ(parse_error("env: a\nenv: b\n"), "s.yaml:2:1: 'env' is given twice");
  EXPECT_EQ(parse_error("seed: 1\noptions: {seed: 2}\n"), "s.yaml:2:11: 'seed' is given twice");
  EXPECT_EQ(parse_error("steps:\n"), "s.yaml:1:1: 'steps' has no value");
  EXPECT_EQ(parse_error("seed: []\n"), "s.yaml:1:1: 'seed' is an empty list");
  EXPECT_EQ(parse_error("seed: [[1, 2]]\n"), "s.yaml:1:8: 'seed': a list holds plain values only");
  EXPECT_EQ(parse_error("lr: {a: 1}\n"), "s.yaml:1:5: 'lr' must be a value or a list of values, not a map");
  EXPECT_EQ(parse_error("options: [1]\n"),
            "s.yaml:1:1: 'options' must be a map (key: value lines or {key: value, ...})");
  EXPECT_NE(parse_error("--steps: 5\n").find("write it without the leading --"), std::string::npos);
  EXPECT_NE(parse_error("- a\n- b\n").find("expected option: value lines at the top level"), std::string::npos);
}

TEST(SettingsFile, WritesYamlThatReadsBackToTheSameValues) {
  const KeyValues values = {{"env", "hopper"}, {"algo", "usbpo+pmac"}, {"lr", "-1e-3"}, {"note", "a: b # c"},
                            {"quote", "say \"hi\"\\"}, {"empty", ""}, {"nothing", "null"}, {"path", "runs/x y"}};
  const std::string text = settings_yaml(values, {"header line"});
  EXPECT_EQ(text.rfind("# header line\nenv: hopper\nalgo: usbpo+pmac\nlr: -1e-3\n", 0), 0u) << text;
  const SettingsFile f = parsed(text);
  ASSERT_EQ(f.options.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(f.options[i].key, values[i].first);
    EXPECT_EQ(f.options[i].values[0], values[i].second) << values[i].first;
  }
}

TEST(SweepFile, CrossesListsWithSeedInnermostAndNamesRuns) {
  const Sweep s = crossed(
      "env: [hopper, walker2d]\n"
      "algo: [mbpo, usbpo]\n"
      "seed: [0, 1]\n"
      "steps: 60000\n");
  EXPECT_EQ(names(s), (std::vector<std::string>{"hopper-mbpo-s0", "hopper-mbpo-s1", "hopper-usbpo-s0",
                                                 "hopper-usbpo-s1", "walker2d-mbpo-s0", "walker2d-mbpo-s1",
                                                 "walker2d-usbpo-s0", "walker2d-usbpo-s1"}));
  const KeyValues expected = {{"env", "walker2d"}, {"algo", "usbpo"}, {"seed", "0"}, {"steps", "60000"}};
  EXPECT_EQ(s.runs[6].options, expected);
}

TEST(SweepFile, OtherListsAreCrossedAndNamedScalarsAreNot) {
  const Sweep s = crossed(
      "algo: sac\n"
      "env: pendulum\n"
      "hidden: [32, 64]\n"
      "options: {lr: [1e-3, 3e-4], batch: 64}\n");
  ASSERT_EQ(s.runs.size(), 4u);
  EXPECT_EQ(s.runs[0].name, "pendulum-sac-s0-hidden32-lr1e-3");
  EXPECT_EQ(s.runs[1].name, "pendulum-sac-s0-hidden32-lr3e-4");
  EXPECT_EQ(s.runs[2].name, "pendulum-sac-s0-hidden64-lr1e-3");
  EXPECT_EQ(s.runs[3].name, "pendulum-sac-s0-hidden64-lr3e-4");
  // seed defaults to 0, written explicitly; the file's order follows env, algo, seed.
  const KeyValues expected = {{"env", "pendulum"}, {"algo", "sac"}, {"seed", "0"},
                              {"hidden", "64"},    {"lr", "3e-4"},  {"batch", "64"}};
  EXPECT_EQ(s.runs[3].options, expected);
}

TEST(SweepFile, AOneValueListStillNamesTheRun) {
  EXPECT_EQ(names(crossed("env: pendulum\nalgo: sac\nhidden: [32]\n")),
            std::vector<std::string>{"pendulum-sac-s0-hidden32"});
}

TEST(SweepFile, NamesKeepOnlyDirectorySafeCharacters) {
  EXPECT_EQ(name_part("usbpo+pmac"), "usbpo+pmac");
  EXPECT_EQ(name_part("a/b c:d"), "a_b_c_d");
  EXPECT_EQ(names(crossed("env: pendulum\nalgo: usbpo+pmac\nw2-terms: [shift]\n")),
            std::vector<std::string>{"pendulum-usbpo+pmac-s0-w2-termsshift"});
}

TEST(SweepFile, CarriesTheSlurmSection) {
  const Sweep s = crossed("env: pendulum\nalgo: sac\nslurm: {time: \"1:00:00\", partition: gpu}\n");
  const KeyValues expected = {{"time", "1:00:00"}, {"partition", "gpu"}};
  EXPECT_EQ(s.slurm, expected);
}

TEST(SweepFile, RefusesWhatASweepCannotHold) {
  EXPECT_EQ(sweep_error("algo: sac\n"), "s.yaml: the sweep names no env (e.g. env: [pendulum])");
  EXPECT_EQ(sweep_error("env: pendulum\n"), "s.yaml: the sweep names no algo (e.g. algo: [sac, mbpo])");
  EXPECT_EQ(sweep_error("env: pendulum\nalgo: sac\nout: x\n"),
            "s.yaml:3:1: 'out' is not a sweep option: each run's --out is DIR/NAME (usbpo sweep FILE --out DIR)");
  EXPECT_EQ(sweep_error("env: pendulum\nalgo: sac\noptions: {resume: x}\n").rfind("s.yaml:3:11: 'resume' is not", 0),
            0u);
  EXPECT_EQ(sweep_error("env: pendulum\nalgo: sac\nslurm: {mem: [1G, 2G]}\n"),
            "s.yaml:3:9: slurm 'mem': a list; sbatch flags take one value");
  EXPECT_EQ(sweep_error("env: pendulum\nalgo: sac\nslurm: {array: 0-3}\n"),
            "s.yaml:3:9: slurm 'array': set by usbpo sweep (the job-array script sets --array itself)");
  EXPECT_EQ(sweep_error("env: pendulum\nalgo: [sac, sac]\n").rfind("s.yaml: runs 1 and 2 would share the directory "
                                                                   "pendulum-sac-s0",
                                                                   0),
            0u);
  EXPECT_NE(sweep_error("env: pendulum\nalgo: sac\nnote: [a/b, a:b]\n").find("pendulum-sac-s0-notea_b"),
            std::string::npos);
}

TEST(ConfigFile, ListsAndDirectoryKeysAreRefusedByName) {
  std::vector<std::string> args;
  std::string error;
  EXPECT_FALSE(config_arguments(parsed("env: pendulum\nseed: [0, 1]\n"), &args, &error));
  EXPECT_EQ(error, "s.yaml:2:1: 'seed' is a list; usbpo train --config takes one value per key "
                   "(lists are crossed by usbpo sweep)");
  EXPECT_FALSE(config_arguments(parsed("config: other.yaml\n"), &args, &error));
  EXPECT_EQ(error, "s.yaml:1:1: 'config' is not a run option: a settings file cannot name another one");
  EXPECT_FALSE(config_arguments(parsed("overwrite: true\n"), &args, &error));
  EXPECT_TRUE(config_arguments(parsed("env: pendulum\nslurm: {time: 1}\noptions: {lr: 1e-3}\n"), &args, &error));
  EXPECT_EQ(args, (std::vector<std::string>{"--env", "pendulum", "--lr", "1e-3"}));  // slurm: left out
}

class ConfigExpansion : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "usbpo_config_test.yaml";
    std::ofstream(path_) << "env: pendulum\nsteps: 500\nhidden: 32\n";
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_;
};

TEST_F(ConfigExpansion, TheCommandLineOverridesTheFile) {
  std::vector<std::string> args = {"--seed", "3", "--config", path_, "--steps=900", "--out", "x"};
  std::string error;
  ASSERT_TRUE(expand_config_option(&args, &error)) << error;
  EXPECT_EQ(args, (std::vector<std::string>{"--env", "pendulum", "--hidden", "32", "--seed", "3", "--steps=900",
                                            "--out", "x"}));
  args = {"--config=" + path_};
  ASSERT_TRUE(expand_config_option(&args, &error)) << error;
  EXPECT_EQ(args, (std::vector<std::string>{"--env", "pendulum", "--steps", "500", "--hidden", "32"}));
}

TEST_F(ConfigExpansion, WithoutConfigNothingChanges) {
  std::vector<std::string> args = {"--env", "hopper", "--steps", "5"};
  const std::vector<std::string> before = args;
  std::string error;
  EXPECT_TRUE(expand_config_option(&args, &error));
  EXPECT_EQ(args, before);
}

TEST_F(ConfigExpansion, RefusesResumeTwoConfigsAndMissingFiles) {
  std::string error;
  std::vector<std::string> args = {"--config", path_, "--resume", "runs/x"};
  EXPECT_FALSE(expand_config_option(&args, &error));
  EXPECT_EQ(error, "--config starts a run; --resume takes the run's options from its checkpoint");
  args = {"--config", path_, "--config", path_};
  EXPECT_FALSE(expand_config_option(&args, &error));
  EXPECT_EQ(error, "--config is given twice");
  args = {"--config", path_ + ".missing"};
  EXPECT_FALSE(expand_config_option(&args, &error));
  EXPECT_EQ(error, "cannot read " + path_ + ".missing");
  args = {"--config"};
  EXPECT_FALSE(expand_config_option(&args, &error));
  EXPECT_EQ(error, "--config needs a settings file");
}

TEST(SlurmScript, AJobArrayThatRequeuesAndResumes) {
  SlurmScript s;
  s.usbpo = "/opt/usbpo bin/usbpo";
  s.runs_file = "/sweeps/a/runs.txt";
  s.output_dir = "/sweeps/a/slurm";
  s.title = "usbpo sweep a.yaml";
  s.tasks = 6;
  s.flags = {{"time", "08:00:00"}, {"mem", "4G"}};
  s.threads = 2;
  const std::string t = slurm_script_text(s);
  EXPECT_EQ(t.rfind("#!/bin/bash\n# usbpo sweep a.yaml\n", 0), 0u);
  for (const char* line : {"#SBATCH --array=0-5\n", "#SBATCH --requeue\n", "#SBATCH --signal=B:USR1@120\n",
                           "#SBATCH --open-mode=append\n", "#SBATCH --output=/sweeps/a/slurm/task-%a.out\n",
                           "#SBATCH --time=08:00:00\n", "#SBATCH --mem=4G\n", "usbpo='/opt/usbpo bin/usbpo'\n",
                           "\"$usbpo\" sweep --run \"$run_dir\" --threads 2 &\n", "trap on_time_limit USR1\n",
                           "scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n"}) {
    EXPECT_NE(t.find(line), std::string::npos) << line;
  }
  // Every #SBATCH line comes before the first command (sbatch stops reading there).
  EXPECT_LT(t.rfind("#SBATCH"), t.find("set -u"));
  s.threads = 0;
  EXPECT_NE(slurm_script_text(s).find("\"$usbpo\" sweep --run \"$run_dir\" &\n"), std::string::npos);
}

TEST(SlurmScript, QuotesForTheShell) {
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  std::string why;
  EXPECT_FALSE(sbatch_flag_allowed("signal", &why));
  EXPECT_TRUE(sbatch_flag_allowed("partition", &why));
}

}  // namespace
}  // namespace usbpo::cli
