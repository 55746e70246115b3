// examples/jit.toml ends with a commented example of an iam-role account (issue 16). Tests make
// it live as a reader would, to check it still loads and check-config shows it.
#pragma once

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <string_view>

namespace jit::testing {

// `example` (the file's text) with the commented account uncommented: from its "# [[accounts]]"
// line on, "# x" becomes "x" and "#" an empty line. Fails the test when the account is not there.
inline std::string with_iam_role_example(std::string_view example) {
  constexpr std::string_view kStart = "# [[accounts]]\n# name = \"legacy-prod\"";
  const auto at = example.find(kStart);
  EXPECT_NE(at, std::string_view::npos) << "examples/jit.toml has no commented iam-role account";
  if (at == std::string_view::npos) return std::string(example);
  std::string out(example.substr(0, at));
  std::istringstream lines{std::string(example.substr(at))};
  for (std::string line; std::getline(lines, line);)
    out += (line.starts_with("# ") ? line.substr(2) : line == "#" ? "" : line) + "\n";
  return out;
}

}  // namespace jit::testing
