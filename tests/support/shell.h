// A shell command run to the end, as a user at a terminal runs `jit`: for tests of the binary.
#pragma once

#include <string>

namespace jit::testing {

struct Outcome {
  int code = -1;    // exit status (-1: did not exit normally, or could not be run)
  std::string out;  // stdout and stderr together
};

// Runs `command` with /bin/sh (stderr joined to stdout) and collects its output.
Outcome run_shell(const std::string& command);

}  // namespace jit::testing
