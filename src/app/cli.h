// The `jit` command line. Exit codes: 0 ok, 1 failure, 2 usage or config error.
#pragma once

#include <string>

#include "core/error.h"

namespace jit {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

int run_cli(int argc, char** argv);

// Prints "jit: <message>" on stderr; the exit code for it (usage for Errc::invalid, else failure).
int report(const Error& e);

// `jit demo`: the real `jit serve` against the Slack and AWS emulators on loopback, driven through
// a scripted story; its SQLite store is temporary unless `store_url` (sqlite:PATH, a new file)
// names one. `keep_running`: afterwards, everything stays up until SIGINT/SIGTERM. Returns an
// exit code (0 only when every check passed).
int run_demo(const std::string& store_url, bool keep_running);

}  // namespace jit
