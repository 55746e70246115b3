#include "support/shell.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace jit::testing {

Outcome run_shell(const std::string& command) {
  Outcome r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

Outcome run_sqlite(const std::string& file, const std::string& sql) {
  return run_shell("sqlite3 " + file + " \"" + sql + "\"");
}

}  // namespace jit::testing
