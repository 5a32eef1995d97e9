// `usbpo report` from runs to tables and curves: grouping and order, the
// return at chosen steps, P(X > Y) per env and over envs, seeds that do not
// depend on the other groups, the mean curve with its band, the Markdown.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "report_curves.hpp"
#include "report_summary.hpp"
#include "report_tables.hpp"

namespace usbpo::cli {
namespace {

RunData make_run(const std::string& env, const std::string& algo, const std::string& seed,
                 std::vector<double> steps, std::vector<double> returns) {
  RunData run;
  run.dir = "runs/" + env + "-" + algo + "-" + seed;
  run.env = env;
  run.algorithm = algo;
  run.seed = seed;
  run.source = "config.yaml";
  run.eval_steps = std::move(steps);
  run.eval_returns = std::move(returns);
  return run;
}

std::vector<RunData> fixture() {
  return {
      make_run("hopper", "sac", "0", {1000, 2000, 3000}, {10, 20, 30}),
      make_run("hopper", "mbpo", "10", {1000, 2000, 3000}, {100, 200, 330}),
      make_run("hopper", "mbpo", "2", {1000, 2000}, {50, 150}),
      make_run("hopper", "usbpo", "0", {1000, 2000, 3000}, {120, 220, 320}),
      make_run("pendulum", "usbpo", "0", {100, 200}, {-300, -200}),
      make_run("pendulum", "mbpo", "0", {100, 200}, {-400, -150}),
  };
}

TEST(Report, GroupsInEnvAndMethodOrderWithSeedsAsNumbers) {
  ReportOptions o;
  o.last = 2;
  o.at = {2000, 3000};
  const Report r = build_report(fixture(), o);
  ASSERT_EQ(r.groups.size(), 5u);
  const char* const order[][2] = {{"hopper", "usbpo"}, {"hopper", "mbpo"}, {"hopper", "sac"}, {"pendulum", "usbpo"},
                                  {"pendulum", "mbpo"}};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.groups[i].env, order[i][0]);
    EXPECT_EQ(r.groups[i].algorithm, order[i][1]);
  }
  const GroupSummary& mbpo = r.groups[1];
  ASSERT_EQ(mbpo.runs.size(), 2u);
  EXPECT_EQ(r.runs[mbpo.runs[0]].seed, "2");  // 2 before 10
  EXPECT_EQ(mbpo.final_returns, (std::vector<double>{100, 265}));
  EXPECT_EQ(mbpo.max_returns, (std::vector<double>{150, 330}));
  EXPECT_DOUBLE_EQ(mbpo.max_mean, 240);
  EXPECT_EQ(mbpo.last_step_min, 2000);
  EXPECT_EQ(mbpo.last_step_max, 3000);
  // At 2000 both seeds; at 3000 only the one that got there.
  ASSERT_EQ(mbpo.at.size(), 2u);
  EXPECT_EQ(mbpo.at[0].seeds, 2);
  EXPECT_DOUBLE_EQ(mbpo.at[0].mean, 175);
  EXPECT_EQ(mbpo.at[1].seeds, 1);
  EXPECT_DOUBLE_EQ(mbpo.at[1].mean, 330);
  EXPECT_TRUE(std::isnan(mbpo.at[1].std));
  EXPECT_EQ(mbpo.paper, 3436);
  EXPECT_TRUE(std::isnan(r.groups[2].paper));  // no paper value for SAC
  EXPECT_EQ(mbpo.resamples.size(), 2000u);
  // With so few seeds the percentile interval is their range (the Markdown says so).
  EXPECT_EQ(mbpo.final_iqm_ci.low, 100);
  EXPECT_EQ(mbpo.final_iqm_ci.high, 265);
}

TEST(Report, ProbabilityOfImprovementPerEnvAndOverSharedEnvs) {
  ReportOptions o;
  o.last = 1;
  const Report r = build_report(fixture(), o);
  // hopper: 3 pairs; pendulum: 1; all envs: usbpo vs mbpo (the only pair in two envs).
  ASSERT_EQ(r.improvements.size(), 5u);
  const Improvement& hopper = r.improvements[0];
  EXPECT_EQ(hopper.env, "hopper");
  EXPECT_EQ(hopper.x, "usbpo");
  EXPECT_EQ(hopper.y, "mbpo");
  EXPECT_DOUBLE_EQ(hopper.p, 0.5);  // 320 against {150, 330}
  const Improvement& all = r.improvements.back();
  EXPECT_EQ(all.env, "all envs");
  EXPECT_EQ(all.envs, 2);
  EXPECT_EQ(all.runs_x, 2);
  EXPECT_EQ(all.runs_y, 3);
  EXPECT_DOUBLE_EQ(all.p, (0.5 + 0.0) / 2);  // pendulum: -200 against -150
  EXPECT_LE(all.ci.low, all.p);
  EXPECT_GE(all.ci.high, all.p);
}

TEST(Report, IntervalsDependOnlyOnTheirOwnGroupAndTheSeed) {
  ReportOptions o;
  std::vector<RunData> runs = fixture();
  runs.push_back(make_run("hopper", "mbpo", "3", {1000, 2000, 3000}, {90, 180, 250}));
  const Report all = build_report(runs, o);
  std::vector<RunData> hopper_mbpo;
  for (const RunData& run : runs) {
    if (run.env == "hopper" && run.algorithm == "mbpo") hopper_mbpo.push_back(run);
  }
  const Report alone = build_report(hopper_mbpo, o);
  EXPECT_EQ(alone.groups[0].resamples, all.groups[1].resamples);
  EXPECT_EQ(alone.groups[0].final_iqm_ci.low, all.groups[1].final_iqm_ci.low);
  o.seed = 1;
  EXPECT_NE(build_report(hopper_mbpo, o).groups[0].resamples, alone.groups[0].resamples);
}

TEST(Report, MeanCurveWithMinMaxBandLinesUpRunsEvaluatedAtOtherSteps) {
  const RunData a = make_run("e", "x", "0", {100, 200, 300}, {1, 2, 3});
  const RunData b = make_run("e", "x", "1", {150, 250}, {10, 20});
  const GroupCurve curve = group_curve({&a, &b});
  EXPECT_EQ(curve.steps, (std::vector<double>{100, 150, 200, 250, 300}));
  EXPECT_EQ(curve.seeds, (std::vector<int>{1, 2, 2, 2, 1}));  // b starts at 150 and ends at 250
  EXPECT_EQ(curve.mean, (std::vector<double>{1, 5.5, 6, 11, 3}));
  EXPECT_EQ(curve.low, (std::vector<double>{1, 1, 2, 2, 3}));
  EXPECT_EQ(curve.high, (std::vector<double>{1, 10, 10, 20, 3}));
}

TEST(Report, MarkdownAndCurvesSayWhatTheyShow) {
  ReportOptions o;
  o.at = {3000};
  const Report r = build_report(fixture(), o);
  const std::string md = render_markdown(r);
  EXPECT_NE(md.find("| hopper | mbpo | 2 | 2k-3k | 240.0 ± 127.3 |"), std::string::npos) << md;
  EXPECT_NE(md.find("330.0 (1/2)"), std::string::npos) << md;  // one of two seeds got to 3000
  EXPECT_NE(md.find("end at different env steps"), std::string::npos) << md;
  EXPECT_NE(md.find("| all envs | usbpo | mbpo | 2 / 3 |"), std::string::npos) << md;
  EXPECT_NE(md.find("sample std (n - 1)"), std::string::npos);
  EXPECT_NE(md.find("With 4 seeds or fewer"), std::string::npos);

  const std::string dir = ::testing::TempDir();
  std::vector<std::string> written;
  std::string error;
  ASSERT_TRUE(write_report_curves(dir, r, &written, &error)) << error;
  EXPECT_EQ(written, (std::vector<std::string>{dir + "/curves_hopper.svg", dir + "/curves_pendulum.svg"}));
  std::ifstream in(written[0]);
  const std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* text : {"<polygon", "mbpo (2 seeds)", "mbpo where fewer seeds have data", "usbpo paper, final: 3694",
                           "band: min-max over seeds"}) {
    EXPECT_NE(svg.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace usbpo::cli
