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

// Runs `sql` on the SQLite database `file` with the sqlite3 shell, as someone holding the file
// would (tampering tests). `sql` must not contain double quotes.
Outcome run_sqlite(const std::string& file, const std::string& sql);

}  // namespace jit::testing
