// The `jit` command line. Exit codes: 0 ok, 1 failure, 2 usage or config error.
#pragma once

#include "app/exit_codes.h"
#include "core/error.h"

namespace jit {

// Parses the arguments and runs the subcommand; returns the exit code.
int run_cli(int argc, char** argv);

// Prints "jit: <message>" on stderr; the exit code for it (usage for Errc::invalid, else failure).
int report(const Error& e);

}  // namespace jit
