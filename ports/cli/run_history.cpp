#include "run_history.hpp"

#include <cmath>

#include "csv_log.hpp"
#include "svg_plot.hpp"

namespace usbpo::cli {

const std::vector<std::string>& log_columns() {
  static const std::vector<std::string> columns = {
      "env_steps",  "episode",  "episode_return", "eval_return", "critic_loss", "actor_loss", "alpha",
      "entropy",    "q_mean",   "steps_per_s",    "wall_s",      "model_holdout_mse", "model_shift",
      "model_bias", "j_before", "j_after",        "phase2_steps", "rollout_length", "phase2_holdout_mse",
      "t_env_s",    "t_model_s", "t_phase2_s",    "t_rollouts_s", "t_sac_s"};
  return columns;
}

void RunHistory::add_model_round(double env_steps, const ModelRoundReport& m) {
  const double nan = NAN;
  model_steps.push_back(env_steps);
  holdout_mse.push_back(m.mle.mean_holdout_mse);
  holdout_mse_after.push_back(m.phase_two ? m.phase_two_holdout_mse : nan);
  j_before.push_back(m.phase_two ? m.w2.j_before : nan);
  j_after.push_back(m.phase_two ? m.w2.j_after : nan);
  shift.push_back(m.phase_two ? m.w2.shift : nan);
  bias.push_back(m.phase_two ? m.w2.bias : nan);
}

bool RunHistory::load_log(const std::string& path, std::string* error) {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  if (!CsvLog::read(path, &columns, &rows, error)) return false;
  if (columns != log_columns()) {
    *error = path + " was written by another version of usbpo (its columns differ)";
    return false;
  }
  *this = RunHistory();
  auto at = [&columns](const char* name) {
    for (std::size_t i = 0; i < columns.size(); ++i) if (columns[i] == name) return i;
    return std::size_t{0};
  };
  const std::size_t steps = at("env_steps"), episode = at("episode_return"), eval = at("eval_return"),
                    mse = at("model_holdout_mse"), jb = at("j_before"), ja = at("j_after"), sh = at("model_shift"),
                    bi = at("model_bias"), wall = at("wall_s"), mse2 = at("phase2_holdout_mse");
  for (const std::vector<double>& r : rows) {
    if (std::isfinite(r[wall])) last_wall_s = r[wall];
    if (std::isfinite(r[episode])) {
      train_steps.push_back(r[steps]);
      train_returns.push_back(r[episode]);
    }
    if (std::isfinite(r[eval])) {
      eval_steps.push_back(r[steps]);
      eval_returns.push_back(r[eval]);
    }
    if (std::isfinite(r[mse])) {
      model_steps.push_back(r[steps]);
      holdout_mse.push_back(r[mse]);
      holdout_mse_after.push_back(r[mse2]);
      j_before.push_back(r[jb]);
      j_after.push_back(r[ja]);
      shift.push_back(r[sh]);
      bias.push_back(r[bi]);
    }
  }
  return true;
}

bool RunHistory::write_learning_curve(const std::string& path, const std::string& title, double paper,
                                      std::string* error) const {
  PlotSpec spec;
  spec.title = title;
  spec.x_label = "env steps";
  spec.y_label = "return";
  PlotSeries train;
  train.label = "training episodes";
  train.x = train_steps;
  train.y = train_returns;
  train.color = "#b0b0b0";
  PlotSeries eval;
  eval.label = "evaluation (deterministic)";
  eval.x = eval_steps;
  eval.y = eval_returns;
  eval.markers = true;
  spec.series = {train, eval};
  if (std::isfinite(paper)) spec.lines.push_back({paper, "paper", "#d62728"});
  return write_svg_plot(path, spec, error);
}

bool RunHistory::write_model_plot(const std::string& path, const std::string& title, bool phase_two,
                                  std::string* error) const {
  auto panel = [&](const char* name, std::vector<PlotSeries> series) {
    PlotSpec spec;
    spec.title = name;
    spec.x_label = "env steps";
    spec.width = 520;
    spec.height = 320;
    spec.series = std::move(series);
    return spec;
  };
  const auto& x = model_steps;
  std::vector<PlotSpec> panels;
  if (phase_two) {
    panels.push_back(panel("model holdout MSE (elites)",
                           {{"after phase 1", x, holdout_mse, "#ff7f0e", false, true},
                            {"after phase 2", x, holdout_mse_after, "#1f77b4", false, true}}));
    panels.push_back(panel("phase-2 objective J on real pairs",
                           {{"J after phase 1", x, j_before, "#ff7f0e", false, true},
                            {"J after phase 2", x, j_after, "#1f77b4", false, true}}));
    panels.push_back(panel("model shift W2(M1, M2)", {{"shift", x, shift, "#2ca02c", false, true}}));
    panels.push_back(panel("model bias (ensemble W2)", {{"bias", x, bias, "#9467bd", false, true}}));
  } else {
    panels.push_back(panel("model holdout MSE (elites)", {{"holdout MSE", x, holdout_mse, "", false, true}}));
  }
  return write_svg_panels(path, title, panels, 2, error);
}

}  // namespace usbpo::cli
