#include "aws/shared_config.h"
#include "core/text.h"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace jit::aws {

namespace {


// Cuts an inline comment: '#' or ';' at the start or preceded by whitespace.
std::string_view strip_inline_comment(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if ((s[i] == '#' || s[i] == ';') && (i == 0 || std::isspace(static_cast<unsigned char>(s[i - 1]))))
      return s.substr(0, i);
  }
  return s;
}

std::string expand_home(const EnvLookup& env, std::string path) {
  if (path == "~" || path.starts_with("~/")) {
    if (auto home = env_value(env, "HOME")) return *home + path.substr(1);
  }
  return path;
}

}  // namespace

std::optional<std::string> env_value(const EnvLookup& env, std::string_view name) {
  if (!env) return std::nullopt;
  auto v = env(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT) return fail(Error::NotFound(fmt::format("{} does not exist", path)));
    return fail(Error::Unavailable(fmt::format("cannot read {}: {}", path, std::strerror(err))));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return fail(Error::Unavailable(fmt::format("cannot read {}", path)));
  return std::move(out).str();
}

IniSections parse_ini(std::string_view text) {
  IniSections sections;
  std::map<std::string, std::string>* current = nullptr;
  bool last_key_empty = false;  // sub-properties may follow
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    const bool indented = !line.empty() && (line.front() == ' ' || line.front() == '\t');
    const std::string_view body = text::trim(line);
    if (body.empty() || body.front() == '#' || body.front() == ';') continue;
    if (indented && last_key_empty) continue;  // a sub-property of the previous key

    if (body.front() == '[') {
      const size_t close = body.find(']');
      last_key_empty = false;
      if (close == std::string_view::npos) {
        current = nullptr;  // a broken header: skip its keys rather than file them elsewhere
        continue;
      }
      current = &sections[std::string(text::trim(body.substr(1, close - 1)))];
      continue;
    }
    const size_t eq = body.find('=');
    if (eq == std::string_view::npos || current == nullptr) continue;
    const std::string key = text::to_lower(text::trim(body.substr(0, eq)));
    if (key.empty()) continue;
    const std::string_view value = text::trim(strip_inline_comment(body.substr(eq + 1)));
    (*current)[key] = std::string(value);
    last_key_empty = value.empty();
  }
  return sections;
}

SharedFilePaths shared_file_paths(const EnvLookup& env) {
  SharedFilePaths paths;
  paths.credentials_file =
      expand_home(env, env_value(env, "AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"));
  paths.config_file = expand_home(env, env_value(env, "AWS_CONFIG_FILE").value_or("~/.aws/config"));
  return paths;
}

std::string profile_name(const EnvLookup& env) { return env_value(env, "AWS_PROFILE").value_or("default"); }

std::optional<std::string> Profile::get(std::string_view key) const {
  auto it = values.find(std::string(key));
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

namespace {

// Reads `path` as INI; a missing file is empty.
Result<IniSections> load_ini(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) {
    if (text.error().code == Errc::not_found) return IniSections{};
    return fail(text.error());
  }
  return parse_ini(*text);
}

// The config file's section for `name`: `[profile NAME]` with any spacing, or `[default]` for
// "default" (where `[profile default]`, when present, wins as in the CLI).
const std::map<std::string, std::string>* config_section(const IniSections& config, const std::string& name) {
  const std::map<std::string, std::string>* found = nullptr;
  for (const auto& [section, values] : config) {
    if (section.starts_with("profile") && section.size() > 7 &&
        std::isspace(static_cast<unsigned char>(section[7])) && text::trim(section.substr(7)) == name)
      return &values;
    if (name == "default" && section == "default") found = &values;
  }
  return found;
}

}  // namespace

Result<Profile> load_profile(const SharedFilePaths& paths, const std::string& name) {
  auto config = load_ini(paths.config_file);
  if (!config) return fail(config.error());
  auto credentials = load_ini(paths.credentials_file);
  if (!credentials) return fail(credentials.error());

  Profile profile{name, {}};
  bool found = false;
  if (const auto* section = config_section(*config, name)) {
    profile.values = *section;
    found = true;
  }
  if (auto it = credentials->find(name); it != credentials->end()) {
    for (const auto& [key, value] : it->second) profile.values[key] = value;
    found = true;
  }
  if (!found)
    return fail(Error::NotFound(fmt::format("profile {} not in {} or {}", name, paths.credentials_file,
                                            paths.config_file)));
  return profile;
}

std::optional<std::string> resolve_region(const EnvLookup& env, const std::string& config_file,
                                          const std::string& profile) {
  if (auto region = env_value(env, "AWS_REGION")) return region;
  if (auto region = env_value(env, "AWS_DEFAULT_REGION")) return region;
  auto config = load_ini(config_file);
  if (!config) return std::nullopt;
  const auto* section = config_section(*config, profile);
  if (section == nullptr) return std::nullopt;
  auto it = section->find("region");
  if (it == section->end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::optional<std::string> resolve_region(const EnvLookup& env) {
  return resolve_region(env, shared_file_paths(env).config_file, profile_name(env));
}

}  // namespace jit::aws
