#include "csv_log.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace usbpo::cli {
namespace {

// Add the first `bytes` bytes of a file to a hash; false when it is shorter or unreadable.
bool hash_prefix(const std::string& path, std::int64_t bytes, XXH3_state_t* state) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return false;
  unsigned char chunk[65536];
  std::int64_t left = bytes;
  while (left > 0) {
    const std::size_t want = left < static_cast<std::int64_t>(sizeof(chunk)) ? static_cast<std::size_t>(left)
                                                                              : sizeof(chunk);
    const std::size_t got = std::fread(chunk, 1, want, file);
    if (got == 0) break;
    XXH3_64bits_update(state, chunk, got);
    left -= static_cast<std::int64_t>(got);
  }
  std::fclose(file);
  return left == 0;
}

std::string quote(const std::string& cell) {
  if (cell.find_first_of(",\"\n\r") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.push_back(cell);
      cell.clear();
    } else if (c != '\r') {
      cell += c;
    }
  }
  cells.push_back(cell);
  return cells;
}

std::string join(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + quote(cells[i]);
  return line;
}

}  // namespace

struct CsvLog::HashState {
  XXH3_state_t state;
};

bool hash_file_prefix(const std::string& path, std::int64_t bytes, std::uint64_t* hash) {
  XXH3_state_t state;
  XXH3_INITSTATE(&state);
  XXH3_64bits_reset(&state);
  if (!hash_prefix(path, bytes, &state)) return false;
  *hash = XXH3_64bits_digest(&state);
  return true;
}

CsvLog::CsvLog() : hash_(new HashState) {
  XXH3_INITSTATE(&hash_->state);
  XXH3_64bits_reset(&hash_->state);
}

CsvLog::~CsvLog() { close(); }

void CsvLog::write_line(const std::string& line) {
  const std::string text = line + "\n";
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) ok_ = false;
  XXH3_64bits_update(&hash_->state, text.data(), text.size());
}

std::uint64_t CsvLog::content_hash() const { return XXH3_64bits_digest(&hash_->state); }

bool CsvLog::open(const std::string& path, const std::vector<std::string>& columns, bool append,
                  std::string* error) {
  close();
  ok_ = true;
  XXH3_64bits_reset(&hash_->state);
  const std::string header = join(columns);
  bool keep = false;
  if (append) {
    std::ifstream in(path);
    std::string first;
    if (in && std::getline(in, first)) {
      if (!first.empty() && first.back() == '\r') first.pop_back();
      if (first != header) {
        *error = path + ": existing log has a different header";
        return false;
      }
      keep = true;
    }
  }
  file_ = std::fopen(path.c_str(), keep ? "a" : "w");
  if (!file_) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  std::fseek(file_, 0, SEEK_END);  // so that position() counts the kept rows
  columns_ = columns.size();
  if (keep && !hash_prefix(path, position(), &hash_->state)) {
    *error = "cannot read " + path + " back";
    close();
    return false;
  }
  if (!keep) write_line(header);
  return true;
}

bool CsvLog::row(const std::vector<double>& values) {
  std::vector<std::string> cells;
  cells.reserve(values.size());
  char buffer[32];
  for (double v : values) {
    if (std::isnan(v)) {
      cells.emplace_back();
    } else {
      std::snprintf(buffer, sizeof(buffer), "%.6g", v);
      cells.emplace_back(buffer);
    }
  }
  return row_text(cells);
}

bool CsvLog::row_text(const std::vector<std::string>& values) {
  if (!file_ || values.size() != columns_) return false;
  write_line(join(values));
  return ok_;
}

void CsvLog::close() {
  if (file_ && std::fclose(file_) != 0) ok_ = false;
  file_ = nullptr;
}

bool CsvLog::read(const std::string& path, std::vector<std::string>* columns, std::vector<std::vector<double>>* rows,
                  std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  std::string line;
  if (!std::getline(in, line)) {
    *error = path + ": empty file";
    return false;
  }
  *columns = split(line);
  rows->clear();
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<double> values;
    for (const std::string& cell : split(line)) {
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      values.push_back(cell.empty() || *end != '\0' ? NAN : v);
    }
    values.resize(columns->size(), NAN);
    rows->push_back(values);
  }
  return true;
}

long CsvLog::position() const { return file_ ? std::ftell(file_) : -1; }

}  // namespace usbpo::cli
