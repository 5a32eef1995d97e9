// CsvLog: the run's log.csv, one row per event, flushed as it goes, with a
// running hash of everything in the file (checkpoints record it).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace usbpo::cli {

// XXH3-64 of the first `bytes` bytes of a file; false when it is shorter or unreadable.
bool hash_file_prefix(const std::string& path, std::int64_t bytes, std::uint64_t* hash);

class CsvLog {
 public:
  ~CsvLog();
  CsvLog();
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
  // XXH3-64 of the file's content up to position().
  std::uint64_t content_hash() const;
  // False once a write or flush failed (disk full, I/O error): the file is
  // then not a complete log.
  bool ok() const { return ok_; }
  // Read a CSV: header and numeric rows (NaN for empty or non-numeric cells).
  static bool read(const std::string& path, std::vector<std::string>* columns,
                   std::vector<std::vector<double>>* rows, std::string* error);

 private:
  // Write a line and add it to the hash.
  void write_line(const std::string& line);

  std::FILE* file_ = nullptr;
  std::size_t columns_ = 0;
  bool ok_ = true;
  struct HashState;  // the XXH3 state, kept out of this header
  std::unique_ptr<HashState> hash_;
};

}  // namespace usbpo::cli
