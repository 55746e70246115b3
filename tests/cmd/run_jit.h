// Runs the `jit` binary (JIT_BINARY, set by the test target) as a user would, and reads what it
// wrote, for the tests of tests/cmd.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/shell.h"

namespace jit::testing {

// Runs `jit ARGS` with `env` ("NAME=value ...") in front, without the JIT_AUDIT_KEY, JIT_CONFIG and
// JIT_STEP_UP_TLS_* of the test's own environment, and collects its output.
inline Outcome run(const std::string& args, const std::string& env = "") {
  return run_shell("env -u JIT_AUDIT_KEY -u JIT_CONFIG -u JIT_STEP_UP_TLS_CERTIFICATE -u JIT_STEP_UP_TLS_KEY -u JIT_PAGERDUTY_TOKEN " + env + " " + std::string(JIT_BINARY) + " " + args);
}

// The whole content of a file ("" when it cannot be read).
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace jit::testing
