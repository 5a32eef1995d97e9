#include "config_file.hpp"

#include <set>

namespace usbpo::cli {
namespace {

// "--key" or "--key=value" -> "key"; other arguments (values) -> "".
std::string option_key(const std::string& arg) {
  if (arg.rfind("--", 0) != 0) return "";
  return arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
}

}  // namespace

bool allowed_run_key(const std::string& key, std::string* why) {
  if (key == "config") {
    *why = "a settings file cannot name another one";
  } else if (key == "resume") {
    *why = "--resume continues a run from its checkpoint and takes no other options from a file";
  } else if (key == "overwrite" || key == "help") {
    *why = "--" + key + " is for the command line, not a settings file";
  } else {
    return true;
  }
  return false;
}

bool config_arguments(const SettingsFile& file, std::vector<std::string>* args, std::string* error) {
  args->clear();
  for (const Setting& s : file.options) {
    std::string why;
    if (!allowed_run_key(s.key, &why)) {
      *error = where(file, s) + "'" + s.key + "' is not a run option: " + why;
      return false;
    }
    if (s.is_list) {
      *error = where(file, s) + "'" + s.key + "' is a list; usbpo train --config takes one value per key " +
               "(lists are crossed by usbpo sweep)";
      return false;
    }
    args->push_back("--" + s.key);
    args->push_back(s.values[0]);
  }
  return true;
}

bool expand_config_option(std::vector<std::string>* args, std::string* error) {
  std::string path;
  std::vector<std::string> rest;
  bool resume = false;
  for (std::size_t i = 0; i < args->size(); ++i) {
    const std::string& a = (*args)[i];
    if (a == "--config" || a.rfind("--config=", 0) == 0) {
      if (!path.empty()) {
        *error = "--config is given twice";
        return false;
      }
      if (a != "--config") {
        path = a.substr(9);
      } else if (i + 1 < args->size()) {
        path = (*args)[++i];
      }
      if (path.empty()) {
        *error = "--config needs a settings file";
        return false;
      }
      continue;
    }
    if (option_key(a) == "resume") resume = true;
    rest.push_back(a);
  }
  if (path.empty()) return true;
  if (resume) {
    *error = "--config starts a run; --resume takes the run's options from its checkpoint";
    return false;
  }
  SettingsFile file;
  std::vector<std::string> from_file;
  if (!read_settings_file(path, &file, error) || !config_arguments(file, &from_file, error)) return false;
  std::set<std::string> given;
  for (const std::string& a : rest) given.insert(option_key(a));
  std::vector<std::string> expanded;
  for (std::size_t i = 0; i + 1 < from_file.size(); i += 2) {
    if (given.count(option_key(from_file[i]))) continue;  // the command line overrides the file
    expanded.push_back(from_file[i]);
    expanded.push_back(from_file[i + 1]);
  }
  expanded.insert(expanded.end(), rest.begin(), rest.end());
  *args = expanded;
  return true;
}

}  // namespace usbpo::cli
