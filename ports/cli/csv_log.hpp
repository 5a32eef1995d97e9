// CsvLog: the run's log.csv, one row per event, flushed as it goes.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace usbpo::cli {

class CsvLog {
 public:
  ~CsvLog() { close(); }
  // Open path; with append and an existing file of the same header its rows
  // are kept (resume), else the header is written. False with *error on failure.
  bool open(const std::string& path, const std::vector<std::string>& columns, bool append, std::string* error);
  // One row of numbers (%.6g; NaN becomes an empty cell); false on a wrong count.
  bool row(const std::vector<double>& values);
  // One row of formatted cells, quoted when they hold commas, quotes or newlines.
  bool row_text(const std::vector<std::string>& values);
  void close();
  // Bytes written to the file so far (everything is flushed row by row).
  long position() const;
  // Read a CSV: header and numeric rows (NaN for empty or non-numeric cells).
  static bool read(const std::string& path, std::vector<std::string>* columns,
                   std::vector<std::vector<double>>* rows, std::string* error);

 private:
  std::FILE* file_ = nullptr;
  std::size_t columns_ = 0;
};

}  // namespace usbpo::cli
