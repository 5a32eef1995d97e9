#include "settings_file.hpp"

#include <fstream>
#include <set>
#include <sstream>

#ifdef USBPO_HAVE_YAML_CPP
#include <yaml-cpp/yaml.h>
#endif

namespace usbpo::cli {
namespace {

std::string position(const std::string& name, int line, int column) {
  return name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

bool plain_yaml_scalar(const std::string& value) {
  if (value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL") return false;
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '+' || c == '-' || c == '/';
    if (!ok) return false;
  }
  return value[0] != '-' || value.size() == 1 || value[1] != ' ';
}

bool valid_key(const std::string& key) {
  if (key.empty()) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '+';
    if (!ok) return false;
  }
  return key[0] != '-';
}

#ifdef USBPO_HAVE_YAML_CPP

struct Reader {
  const std::string& name;
  SettingsFile* file;
  std::set<std::string> seen_options, seen_slurm;

  std::string at(const YAML::Node& node) const {
    const YAML::Mark m = node.Mark();
    return position(name, m.line + 1, m.column + 1);
  }

  // key: value or key: [values]; nested maps and lists are refused.
  bool read_entry(const YAML::Node& key, const YAML::Node& value, std::vector<Setting>* into,
                  std::set<std::string>* seen, std::string* error) {
    Setting s;
    s.key = key.IsScalar() ? key.Scalar() : "";
    s.line = key.Mark().line + 1;
    s.column = key.Mark().column + 1;
    if (!key.IsScalar() || !valid_key(s.key)) {
      *error = at(key) + "'" + s.key + "' is not an option name (letters, digits, '-', '_', '+'" +
               (s.key.rfind("--", 0) == 0 ? "; write it without the leading --)" : ")");
      return false;
    }
    if (!seen->insert(s.key).second) {
      *error = at(key) + "'" + s.key + "' is given twice";
      return false;
    }
    if (value.IsScalar()) {
      s.values.push_back(value.Scalar());
    } else if (value.IsSequence()) {
      s.is_list = true;
      for (const YAML::Node& item : value) {
        if (!item.IsScalar()) {
          *error = at(item) + "'" + s.key + "': a list holds plain values only";
          return false;
        }
        s.values.push_back(item.Scalar());
      }
      if (s.values.empty()) {
        *error = at(key) + "'" + s.key + "' is an empty list";
        return false;
      }
    } else if (value.IsMap()) {
      *error = at(value) + "'" + s.key + "' must be a value or a list of values, not a map";
      return false;
    } else {
      *error = at(key) + "'" + s.key + "' has no value";
      return false;
    }
    into->push_back(s);
    return true;
  }

  bool read_section(const YAML::Node& key, const YAML::Node& value, std::vector<Setting>* into,
                    std::set<std::string>* seen, std::string* error) {
    if (!value.IsMap()) {
      *error = at(key) + "'" + key.Scalar() + "' must be a map (key: value lines or {key: value, ...})";
      return false;
    }
    for (const auto& entry : value) {
      if (!read_entry(entry.first, entry.second, into, seen, error)) return false;
    }
    return true;
  }

  bool read(const YAML::Node& root, std::string* error) {
    if (root.IsNull()) return true;  // an empty file: no settings
    if (!root.IsMap()) {
      *error = at(root) + "expected option: value lines at the top level";
      return false;
    }
    for (const auto& entry : root) {
      const YAML::Node& key = entry.first;
      const std::string k = key.IsScalar() ? key.Scalar() : "";
      bool ok;
      if (k == "options") {
        ok = read_section(key, entry.second, &file->options, &seen_options, error);
      } else if (k == "slurm") {
        ok = read_section(key, entry.second, &file->slurm, &seen_slurm, error);
      } else {
        ok = read_entry(key, entry.second, &file->options, &seen_options, error);
      }
      if (!ok) return false;
    }
    return true;
  }
};

#endif  // USBPO_HAVE_YAML_CPP

}  // namespace

bool have_settings_files() {
#ifdef USBPO_HAVE_YAML_CPP
  return true;
#else
  return false;
#endif
}

bool parse_settings(const std::string& text, const std::string& name, SettingsFile* file, std::string* error) {
  *file = SettingsFile();
  file->name = name;
#ifdef USBPO_HAVE_YAML_CPP
  Reader reader{name, file, {}, {}};
  try {
    return reader.read(YAML::Load(text), error);
  } catch (const YAML::Exception& e) {
    *error = (e.mark.is_null() ? name + ": " : position(name, e.mark.line + 1, e.mark.column + 1)) + e.msg;
    return false;
  }
#else
  (void)text;
  *error = name + ": this usbpo was built without yaml-cpp, which settings files need "
                  "(install libyaml-cpp-dev, or yaml-cpp elsewhere, and build again)";
  return false;
#endif
}

bool read_settings_file(const std::string& path, SettingsFile* file, std::string* error) {
  if (!have_settings_files()) return parse_settings("", path, file, error);  // says what is missing
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_settings(text.str(), path, file, error);
}

std::string where(const SettingsFile& file, const Setting& setting) {
  return position(file.name, setting.line, setting.column);
}

std::string settings_yaml(const KeyValues& values, const std::vector<std::string>& header) {
  std::string out;
  for (const std::string& line : header) out += "# " + line + "\n";
  for (const auto& kv : values) {
    out += kv.first + ": ";
    if (plain_yaml_scalar(kv.second)) {
      out += kv.second;
    } else {
      out += '"';
      for (char c : kv.second) {
        if (c == '"' || c == '\\') out += '\\';
        out += c == '\n' ? std::string("\\n") : c == '\t' ? std::string("\\t") : std::string(1, c);
      }
      out += '"';
    }
    out += "\n";
  }
  return out;
}

}  // namespace usbpo::cli
