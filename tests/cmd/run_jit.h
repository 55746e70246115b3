// Runs the `jit` binary (JIT_BINARY, set by the test target) as a user would, and reads what it
// wrote, for the tests of tests/cmd.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace jit::testing {

struct Outcome {
  int code = -1;
  std::string out;  // stdout and stderr together
};

// Runs `jit ARGS` (with `env`, "NAME=value ...", in front) and collects its output.
inline Outcome run(const std::string& args, const std::string& env = "") {
  Outcome r;
  const std::string command = env + " " + std::string(JIT_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The whole content of a file ("" when it cannot be read).
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace jit::testing
