// Finding run directories and reading their identity and evaluation curve:
// from a real checkpoint, from config.yaml, and the clear errors.
#include "run_discovery.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "run_record.hpp"
#include "usbpo/train/checkpoint.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo::cli {
namespace {

namespace fs = std::filesystem;

// A fresh scratch directory per test.
std::string scratch(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "usbpo_report_" + name + "_" + std::to_string(::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// A log with columns in another order plus one usbpo does not know.
const char kLog[] =
    "episode,eval_return,future_column,env_steps\n"
    "0,,1,99\n"
    "1,-500.5,2,100\n"
    "1,,3,150\n"
    "2,-300,4,200\n";

TEST(RunDiscovery, FindsRunDirectoriesRecursivelyOnceAndSorted) {
  const std::string root = scratch("find");
  write(root + "/b/log.csv", kLog);
  write(root + "/a/nested/deeper/log.csv", kLog);
  write(root + "/a/log.csv", kLog);
  write(root + "/b/inside_a_run/log.csv", kLog);  // a run directory holds no runs
  write(root + "/.hidden/log.csv", kLog);
  fs::create_directories(root + "/empty");
  std::vector<std::string> warnings;
  const std::vector<std::string> runs =
      find_run_dirs({root + "/empty", root, root + "/b", root + "/missing"}, &warnings);
  EXPECT_EQ(runs, (std::vector<std::string>{root + "/a", root + "/b"}));
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_NE(warnings[0].find("empty: no run directories"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("b: already included"), std::string::npos) << warnings[1];
  EXPECT_NE(warnings[2].find("missing: not a directory"), std::string::npos) << warnings[2];
}

TEST(RunDiscovery, ReadsTheEvaluationRowsByColumnName) {
  const std::string root = scratch("curve");
  write(root + "/log.csv", kLog);
  std::vector<double> steps, returns;
  std::string error;
  ASSERT_TRUE(read_eval_curve(root + "/log.csv", &steps, &returns, &error)) << error;
  EXPECT_EQ(steps, (std::vector<double>{100, 200}));
  EXPECT_EQ(returns, (std::vector<double>{-500.5, -300}));
  write(root + "/other.csv", "a,b\n1,2\n");
  EXPECT_FALSE(read_eval_curve(root + "/other.csv", &steps, &returns, &error));
  EXPECT_NE(error.find("not a usbpo training log"), std::string::npos) << error;
  write(root + "/backwards.csv", "env_steps,eval_return\n200,1\n100,2\n");
  EXPECT_FALSE(read_eval_curve(root + "/backwards.csv", &steps, &returns, &error));
}

TEST(RunDiscovery, SeedAndYamlParsing) {
  EXPECT_EQ(seed_option({"--env", "hopper", "--seed", "3", "--steps", "10"}, "0"), "3");
  EXPECT_EQ(seed_option({"--seed", "3", "--seed=5"}, "0"), "5");  // the last one wins, as in Arguments
  EXPECT_EQ(seed_option({"--env", "hopper"}, "0"), "0");
  const std::string root = scratch("yaml");
  write(root + "/config.yaml",
        "# a sweep's run\nenv: \"hopper\"  # task\nalgo: 'usbpo'\noptions:\n  seed: 9\nseed: 4\n");
  std::vector<std::pair<std::string, std::string>> pairs;
  ASSERT_TRUE(read_flat_yaml(root + "/config.yaml", &pairs));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"env", "hopper"}, {"algo", "usbpo"}, {"options", ""}, {"seed", "4"}};
  EXPECT_EQ(pairs, expected);
  EXPECT_FALSE(read_flat_yaml(root + "/none.yaml", &pairs));
}

TEST(RunDiscovery, IdentityFromConfigYaml) {
  const std::string root = scratch("config");
  write(root + "/log.csv", kLog);
  write(root + "/config.yaml", "env: walker2d\nalgorithm: mbpo\nseed: 2\n");
  RunData run;
  std::string error;
  ASSERT_TRUE(read_run(root, &run, &error)) << error;
  EXPECT_EQ(run.env, "walker2d");
  EXPECT_EQ(run.algorithm, "mbpo");
  EXPECT_EQ(run.seed, "2");
  EXPECT_EQ(run.source, "config.yaml");
  EXPECT_EQ(run.eval_steps.size(), 2u);
}

TEST(RunDiscovery, IdentityFromTheCheckpointsFieldsAndRunRecord) {
  const std::string root = scratch("checkpoint");
  TrainerConfig c;
  c.sac.hidden_width = 16;
  c.replay_capacity = 1000;
  Pendulum env, eval_env;
  std::vector<unsigned char> memory(Trainer::bytes_needed(c, env));
  Arena arena(memory.data(), memory.size());
  Trainer trainer;
  ASSERT_TRUE(trainer.init(c, env, eval_env, arena).is_ok());
  RunRecord record;
  record.args = {"--env", "pendulum", "--seed", "17", "--steps", "600"};
  const std::vector<unsigned char> host = encode_run_record(record);
  ASSERT_TRUE(save_checkpoint((root + "/checkpoint.usbpo-ckpt").c_str(), trainer, host.data(), host.size()).is_ok());
  write(root + "/log.csv", kLog);
  // A config.yaml that disagrees: the checkpoint wins, with a note.
  write(root + "/config.yaml", "env: hopper\nalgo: sac\nseed: 1\n");
  RunData run;
  std::string error;
  ASSERT_TRUE(read_run(root, &run, &error)) << error;
  EXPECT_EQ(run.env, "pendulum");
  EXPECT_EQ(run.algorithm, "sac");
  EXPECT_EQ(run.seed, "17");
  EXPECT_EQ(run.source, "checkpoint");
  EXPECT_NE(run.note.find("the checkpoint's is used"), std::string::npos) << run.note;

  // A damaged checkpoint is passed over for config.yaml, and said so.
  {
    std::ofstream damaged(root + "/checkpoint.usbpo-ckpt", std::ios::trunc);
    damaged << "USBC but not really";
  }
  ASSERT_TRUE(read_run(root, &run, &error)) << error;
  EXPECT_EQ(run.env, "hopper");
  EXPECT_EQ(run.source, "config.yaml");
  EXPECT_NE(run.note.find("checkpoint passed over"), std::string::npos) << run.note;
}

TEST(RunDiscovery, ClearErrorsNameTheDirectory) {
  const std::string root = scratch("errors");
  write(root + "/nameless/log.csv", kLog);
  write(root + "/garbage/log.csv", "x,y\n1,2\n");
  write(root + "/garbage/config.yaml", "env: hopper\nalgo: sac\n");
  write(root + "/fresh/log.csv", "env_steps,eval_return\n10,\n");
  write(root + "/fresh/config.yaml", "env: hopper\nalgo: sac\n");
  RunData run;
  std::string error;
  EXPECT_FALSE(read_run(root + "/nameless", &run, &error));
  EXPECT_NE(error.find(root + "/nameless: cannot tell its env and algorithm"), std::string::npos) << error;
  EXPECT_FALSE(read_run(root + "/garbage", &run, &error));
  EXPECT_NE(error.find(root + "/garbage: unreadable log"), std::string::npos) << error;
  EXPECT_FALSE(read_run(root + "/fresh", &run, &error));
  EXPECT_NE(error.find("no evaluation yet"), std::string::npos) << error;
}

}  // namespace
}  // namespace usbpo::cli
