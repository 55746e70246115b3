// The AWS shared files (~/.aws/credentials and ~/.aws/config) and the environment variables that
// locate them, read the way the AWS CLI and SDKs read them. Nothing here reads the process
// environment directly: every function takes an EnvLookup, so tests pass their own.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "net/https_client.h"

namespace jit::aws {

// One environment variable, or nullopt when it is unset (net::process_env in production, a map
// in tests). Callers treat an empty value as unset.
using net::EnvLookup;

// `name` from `env`, nullopt when unset or empty.
std::optional<std::string> env_value(const EnvLookup& env, std::string_view name);

// The whole file; Errc::not_found when it does not exist, Errc::unavailable when it cannot be
// read. Messages name the path, never the contents (token files hold secrets).
Result<std::string> read_text_file(const std::string& path);

// Section name -> key -> value. Keys are lower-cased; section names are kept as written, trimmed.
using IniSections = std::map<std::string, std::map<std::string, std::string>>;

// Parses an AWS shared file: `[section]` lines, `key = value` lines, full-line comments starting
// with '#' or ';', and inline comments (a '#' or ';' preceded by whitespace). Indented lines after
// a key with an empty value are sub-properties (`s3 =\n  max_concurrency = 4`); they are skipped.
// A later duplicate key wins; a repeated section merges. Lines that are none of these are
// skipped too (the CLI refuses them, but one bad line should not hide a good profile). Never
// fails, and never copies a value into a message.
IniSections parse_ini(std::string_view text);

// Where the shared files are: AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE, else
// $HOME/.aws/credentials and $HOME/.aws/config. A leading "~/" is expanded with HOME.
struct SharedFilePaths {
  std::string credentials_file;
  std::string config_file;
};
SharedFilePaths shared_file_paths(const EnvLookup& env);

// AWS_PROFILE, else "default".
std::string profile_name(const EnvLookup& env);

// One profile's settings, merged from both files: the config file's `[profile NAME]` (or
// `[default]`, or `[profile default]`) overlaid by the credentials file's `[NAME]`.
struct Profile {
  std::string name;
  std::map<std::string, std::string> values;

  // The value of `key` (lower case), nullopt when absent or empty.
  std::optional<std::string> get(std::string_view key) const;
};

// Errc::not_found when neither file has the profile (a missing file counts as empty);
// Errc::unavailable when a file exists but cannot be read.
Result<Profile> load_profile(const SharedFilePaths& paths, const std::string& name);

// The region: AWS_REGION, then AWS_DEFAULT_REGION, then `region` of `profile` in the config file
// at `config_file`; nullopt when none is set. A missing or unreadable file counts as no region.
std::optional<std::string> resolve_region(const EnvLookup& env, const std::string& config_file,
                                          const std::string& profile);
// The same with the paths and profile taken from `env`.
std::optional<std::string> resolve_region(const EnvLookup& env);

}  // namespace jit::aws
