// Running the `jit` binary (JIT_BINARY, a compile definition) as a user would, for the tests of
// tests/cmd: its exit code and everything it printed.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace jit::testing {

struct JitOutcome {
  int code = -1;
  std::string out;  // stdout and stderr together
};

// Runs `jit ARGS` with `env` ("NAME=value ...") in front, without the JIT_AUDIT_KEY and JIT_CONFIG
// of the test's own environment.
inline JitOutcome run_jit(const std::string& args, const std::string& env = "") {
  JitOutcome r;
  const std::string command = "env -u JIT_AUDIT_KEY -u JIT_CONFIG " + env + " " + JIT_BINARY + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace jit::testing
