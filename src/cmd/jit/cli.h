// The `jit` command line. Exit codes: 0 ok, 1 failure, 2 usage or config error.
#pragma once

#include <optional>
#include <string_view>

#include "app/exit_codes.h"
#include "core/error.h"
#include "core/time.h"

namespace jit {

// Parses the arguments and runs the subcommand; returns the exit code.
int run_cli(int argc, char** argv);

// Prints "jit: <message>" on stderr; the exit code for it (usage for Errc::invalid, else failure).
int report(const Error& e);

// The UTC time a flag gives (`flag` names it in the message), or nullopt after printing on stderr
// what is wrong and what is expected.
std::optional<TimePoint> parse_time_flag(std::string_view flag, std::string_view text);

}  // namespace jit
