// Unit tests of the CLI's parts that decide what is refused: option values,
// sizes, the run record inside checkpoints (both formats) and the log check
// of a resume.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "csv_log.hpp"
#include "resume_log.hpp"
#include "run_record.hpp"

namespace usbpo::cli {
namespace {

// Arguments over a list of strings.
struct Parsed {
  std::vector<std::string> list;
  std::vector<char*> argv;
  Arguments args;
  std::string error;
  bool ok = false;
  explicit Parsed(std::vector<std::string> items, const std::set<std::string>& flags = {}) : list(std::move(items)) {
    for (std::string& s : list) argv.push_back(&s[0]);
    ok = args.parse(static_cast<int>(argv.size()), argv.data(), 0, flags, &error);
  }
};

TEST(CliArguments, IntegersAreRangeCheckedNotTruncated) {
  Parsed p({"--hidden", "4294967297", "--steps", "99999999999999999999", "--layers", "3"});
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.args.get_int("layers", 2, 0, 8), 3);
  EXPECT_EQ(p.args.get_int("hidden", 256, 1, INT32_MAX), 256);  // the fallback, never 1
  EXPECT_EQ(p.args.error(), "--hidden must be in [1, 2147483647], got 4294967297");
  EXPECT_EQ(p.args.get_int("steps", 7, 1, INT64_MAX), 7);  // beyond int64: ERANGE, not saturated
  EXPECT_EQ(p.args.error(), "--hidden must be in [1, 2147483647], got 4294967297");  // the first error stays
}

TEST(CliArguments, MalformedIntegersAndSeeds) {
  Parsed p({"--a", "12abc", "--seed", "-1", "--big", "18446744073709551615"});
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.args.get_uint64("big", 0), UINT64_MAX);
  EXPECT_EQ(p.args.get_uint64("seed", 5), 5u);
  EXPECT_NE(p.args.error().find("--seed expects an integer in [0, 18446744073709551615], got '-1'"), std::string::npos);
  Parsed q({"--a", "12abc"});
  EXPECT_EQ(q.args.get_int("a", 1, 0, 100), 1);
  EXPECT_EQ(q.args.error(), "--a expects an integer, got '12abc'");
}

TEST(CliArguments, NumbersAreFiniteInRangeAndRepresentableInFloat) {
  const double inf = INFINITY;
  for (const char* bad : {"nan", "inf", "-inf", "1e39", "-1", "0", "1e-50", "x"}) {
    Parsed p({"--lr", bad});
    ASSERT_TRUE(p.ok);
    EXPECT_EQ(p.args.get_scalar("lr", 3e-4, 0, inf, true), 3e-4) << bad;
    EXPECT_FALSE(p.args.error().empty()) << bad;
    EXPECT_EQ(p.args.error().rfind("--lr ", 0), 0u) << p.args.error();
  }
  Parsed ok({"--lr", "1e-3", "--gamma", "1", "--entropy", "-3"});
  EXPECT_DOUBLE_EQ(ok.args.get_scalar("lr", 0, 0, inf, true), 1e-3);
  EXPECT_DOUBLE_EQ(ok.args.get_scalar("gamma", 0, 0, 1), 1.0);
  EXPECT_DOUBLE_EQ(ok.args.get_scalar("entropy", 0, -inf, inf), -3.0);
  EXPECT_TRUE(ok.args.error().empty()) << ok.args.error();
}

TEST(CliArguments, RepeatedUnknownAndValuelessOptionsAreRefused) {
  Parsed twice({"--seed", "1", "--seed=2"});
  EXPECT_FALSE(twice.ok);
  EXPECT_EQ(twice.error, "option --seed is given twice");
  Parsed positional({"seed"});
  EXPECT_FALSE(positional.ok);
  Parsed unknown({"--sead", "1", "--out", "x"});
  ASSERT_TRUE(unknown.ok);
  unknown.args.get("out", "");
  std::string error;
  EXPECT_FALSE(unknown.args.check_all_used(&error));
  EXPECT_EQ(error, "unknown option --sead");
  // A value that looks like an option is not taken as a value.
  Parsed valueless({"--out", "--overwrite"}, {"overwrite"});
  ASSERT_TRUE(valueless.ok);
  EXPECT_EQ(valueless.args.get("out", "fallback"), "fallback");
  EXPECT_TRUE(valueless.args.has("overwrite"));
  EXPECT_FALSE(valueless.args.check_all_used(&error));
  EXPECT_EQ(error, "option --out needs a value");
  Parsed typo({"--overwrit"}, {"overwrite"});
  ASSERT_TRUE(typo.ok);
  EXPECT_FALSE(typo.args.check_all_used(&error));
  EXPECT_EQ(error, "unknown option --overwrit");  // not "needs a value": nothing reads it
}

TEST(CliArguments, SizesInPowersOf1024) {
  std::uint64_t bytes = 0;
  ASSERT_TRUE(parse_size("8G", &bytes));
  EXPECT_EQ(bytes, 8ull << 30);
  ASSERT_TRUE(parse_size("500M", &bytes));
  EXPECT_EQ(bytes, 500ull << 20);
  ASSERT_TRUE(parse_size("1.5GiB", &bytes));
  EXPECT_EQ(bytes, 3ull << 29);
  ASSERT_TRUE(parse_size("64k", &bytes));
  EXPECT_EQ(bytes, 64ull << 10);
  ASSERT_TRUE(parse_size("2TB", &bytes));
  EXPECT_EQ(bytes, 2ull << 40);
  ASSERT_TRUE(parse_size("65536", &bytes));
  EXPECT_EQ(bytes, 65536u);
  for (const char* bad : {"0", "0.5", "-1G", "+1G", "8Q", "8GG", "G", "", "nan", "inf", "1e30", "8388608T"}) {
    EXPECT_FALSE(parse_size(bad, &bytes)) << bad;
  }
}

TEST(CliRunRecord, CurrentFormatRoundTripsWithTheLogHash) {
  RunRecord r;
  r.args = {"--env", "pendulum", "--out", "dir with spaces"};
  r.log_bytes = 123456;
  r.has_log_hash = true;
  r.log_hash = 0xfedcba9876543210ull;
  const std::vector<unsigned char> bytes = encode_run_record(r);
  RunRecord back;
  std::string error;
  ASSERT_TRUE(decode_run_record(bytes.data(), bytes.size(), &back, &error)) << error;
  EXPECT_EQ(back.args, r.args);
  EXPECT_EQ(back.log_bytes, r.log_bytes);
  EXPECT_TRUE(back.has_log_hash);
  EXPECT_EQ(back.log_hash, r.log_hash);
}

TEST(CliRunRecord, FormatOneStillDecodesWithoutAHash) {
  const std::string v1("usbpo-train-record-1\0" "560\0" "--env\0" "pendulum\0", 40);
  RunRecord r;
  std::string error;
  ASSERT_TRUE(decode_run_record(reinterpret_cast<const unsigned char*>(v1.data()), v1.size(), &r, &error)) << error;
  EXPECT_EQ(r.log_bytes, 560);
  EXPECT_FALSE(r.has_log_hash);
  EXPECT_EQ(r.args, (std::vector<std::string>{"--env", "pendulum"}));
}

TEST(CliRunRecord, UnknownDamagedAndForeignRecordsAreRefusedClearly) {
  auto decode = [](const std::string& bytes, std::string* error) {
    RunRecord r;
    return decode_run_record(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), &r, error);
  };
  std::string error;
  EXPECT_FALSE(decode(std::string("usbpo-train-record-3\0" "1\0", 23), &error));
  EXPECT_NE(error.find("a format this usbpo does not know (usbpo-train-record-3)"), std::string::npos) << error;
  EXPECT_FALSE(decode(std::string("usbpo-train-record-2\0" "12x\0" "0123456789abcdef\0", 42), &error));
  EXPECT_EQ(error, "the checkpoint's run record is damaged");
  EXPECT_FALSE(decode(std::string("usbpo-train-record-2\0" "12\0" "0123\0", 29), &error));
  EXPECT_EQ(error, "the checkpoint's run record is damaged");
  EXPECT_FALSE(decode("something else", &error));
  EXPECT_EQ(error, "the checkpoint was not written by `usbpo train` (no run record)");
  EXPECT_FALSE(decode("", &error));
}

class CliResumeLog : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "usbpo_resume_log_test.csv";
    write("a,b\n1,2\n3,4\n");
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void write(const std::string& text) { std::ofstream(path_, std::ios::binary) << text; }
  RunRecord record(std::int64_t bytes, bool with_hash) {
    RunRecord r;
    r.log_bytes = bytes;
    r.has_log_hash = with_hash;
    if (with_hash) {
      EXPECT_TRUE(hash_file_prefix(path_, bytes, &r.log_hash));
    }
    return r;
  }
  std::string path_;
};

TEST_F(CliResumeLog, HashedLogWithLaterRowsIsCutBack) {
  const RunRecord r = record(8, true);  // "a,b\n1,2\n"
  ResumeLogPlan plan;
  std::string error;
  ASSERT_TRUE(plan_resume_log(path_, r, 100, &plan, &error)) << error;
  EXPECT_EQ(plan.keep_bytes, 8);
  EXPECT_EQ(plan.dropped_rows, 1);
  EXPECT_NE(plan.note.find("1 row of"), std::string::npos) << plan.note;
  ASSERT_TRUE(apply_resume_log(path_, plan, &error)) << error;
  std::ifstream in(path_);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "a,b\n1,2\n");
}

TEST_F(CliResumeLog, ChangedBytesAreRefusedAndLeftAlone) {
  const RunRecord r = record(8, true);
  write("a,b\n1,9\n3,4\n");  // same length, another value
  ResumeLogPlan plan;
  std::string error;
  EXPECT_FALSE(plan_resume_log(path_, r, 100, &plan, &error));
  EXPECT_NE(error.find("are not those the checkpoint (step 100) recorded"), std::string::npos) << error;
  std::ifstream in(path_);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "a,b\n1,9\n3,4\n");
}

TEST_F(CliResumeLog, FormatOneRecordsAreCheckedByLength) {
  ResumeLogPlan plan;
  std::string error;
  EXPECT_FALSE(plan_resume_log(path_, record(100, false), 7, &plan, &error));
  EXPECT_NE(error.find("holds 12 bytes but the checkpoint (step 7) was taken when it held 100"), std::string::npos)
      << error;
  ASSERT_TRUE(plan_resume_log(path_, record(8, false), 7, &plan, &error)) << error;
  EXPECT_NE(plan.note.find("checked by its length only"), std::string::npos) << plan.note;
  EXPECT_EQ(plan.keep_bytes, 8);
}

TEST_F(CliResumeLog, MissingLogStartsANewOne) {
  std::remove(path_.c_str());
  ResumeLogPlan plan;
  std::string error;
  ASSERT_TRUE(plan_resume_log(path_, record(8, false), 250, &plan, &error)) << error;
  EXPECT_TRUE(plan.start_new);
  EXPECT_NE(plan.note.find("is missing: a new log starts at step 250"), std::string::npos) << plan.note;
}

TEST(CliCsvLog, ContentHashCoversEverythingWrittenAndKeptRows) {
  const std::string path = ::testing::TempDir() + "usbpo_csv_hash_test.csv";
  std::string error;
  std::uint64_t written = 0;
  {
    CsvLog log;
    ASSERT_TRUE(log.open(path, {"x", "y"}, false, &error)) << error;
    ASSERT_TRUE(log.row({1, 2}));
    ASSERT_TRUE(log.row({3, NAN}));
    written = log.content_hash();
    std::uint64_t from_file = 0;
    ASSERT_TRUE(hash_file_prefix(path, log.position(), &from_file));
    EXPECT_EQ(written, from_file);
  }
  CsvLog again;
  ASSERT_TRUE(again.open(path, {"x", "y"}, true, &error)) << error;  // keeps the rows
  EXPECT_EQ(again.content_hash(), written);
  ASSERT_TRUE(again.row({5, 6}));
  EXPECT_NE(again.content_hash(), written);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace usbpo::cli
