// RunHistory: the series behind a run's plots, filled as training goes and
// rebuilt from log.csv when a run resumes; writes the two SVG plots.
#pragma once

#include <string>
#include <vector>

#include "usbpo/train/trainer.hpp"

namespace usbpo::cli {

// Columns of log.csv, in order.
const std::vector<std::string>& log_columns();

struct RunHistory {
  std::vector<double> eval_steps, eval_returns;    // evaluation after each epoch
  std::vector<double> train_steps, train_returns;  // training episodes
  // Per model round (the USB-PO paper's Figures 3-4): the elites' holdout MSE
  // after phase 1 and after phase 2; NaN where phase 2 did not run.
  std::vector<double> model_steps, holdout_mse, holdout_mse_after, j_before, j_after, shift, bias;
  double last_wall_s = 0;  // wall_s of the last row read from a log

  void add_model_round(double env_steps, const ModelRoundReport& m);
  // Refill from the rows of a log.csv written with log_columns().
  bool load_log(const std::string& path, std::string* error);

  // Eval return vs env steps, with the paper's final value dashed when finite.
  // Written atomically; false with *error when it could not be.
  bool write_learning_curve(const std::string& path, const std::string& title, double paper,
                            std::string* error) const;
  // Holdout MSE; with phase 2 a 2x2 grid: holdout MSE after phase 1 and 2,
  // J before/after, shift, bias. Written atomically; false with *error when it could not be.
  bool write_model_plot(const std::string& path, const std::string& title, bool phase_two, std::string* error) const;
};

}  // namespace usbpo::cli
