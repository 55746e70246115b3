// Reads a configuration (the policy and the service settings) from TOML text. Every error names the source, line and column, the field path
// and what is allowed, e.g.
//   jit.toml:14:9: accounts[0].roles[1].max_duration "3 hours": expected a duration like 90m or 2h
// Unknown keys are errors. Several errors are reported together, one per line.
#pragma once

#include <string_view>

#include "core/error.h"
#include "core/settings.h"

namespace jit {

// `source_name` is used in messages only (usually the file name as given).
Result<Config> load_config(std::string_view toml_text, std::string_view source_name);

}  // namespace jit
