// Where the CLI finds its policy and store.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/policy.h"

namespace jit {

// Reads and validates a policy file. Errors carry file:line:col (see load_policy).
Result<std::shared_ptr<Policy>> load_policy_file(const std::string& path);

// The config file to use: the flag if given, else $JIT_CONFIG, else ./jit.toml.
// `explicit_choice` tells whether the user chose it (then a missing file is an error).
struct ConfigChoice {
  std::string path;
  bool explicit_choice = false;
};
ConfigChoice choose_config(const std::string& flag);

// The store URL to use: the flag if given, else $JIT_STORE, else the policy's store.url, else
// the built-in default (sqlite:jit.db).
std::string choose_store_url(const std::string& flag, const Policy* policy);

}  // namespace jit
