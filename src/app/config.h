// Where the CLI finds its policy and store.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/settings.h"

namespace jit {

// Reads and validates a configuration file (policy and settings). Errors carry file:line:col
// (see load_config).
Result<std::shared_ptr<const Config>> load_config_file(const std::string& path);

// The config file to use: the flag if given, else $JIT_CONFIG, else ./jit.toml.
// `explicit_choice` tells whether the user chose it (then a missing file is an error).
struct ConfigChoice {
  std::string path;
  bool explicit_choice = false;
};
ConfigChoice choose_config(const std::string& flag);

// The store URL to use: the flag if given, else $JIT_STORE, else the policy's store.url, else
// the built-in default (sqlite:jit.db).
std::string choose_store_url(const std::string& flag, const Config* config);

}  // namespace jit
