// `jit demo`: the real `jit serve` against the Slack and AWS emulators on loopback, driven through
// a scripted story.
#pragma once

#include <string>

namespace jit::demo {

// Its SQLite store is temporary unless `store_url` (sqlite:PATH, a new file) names one.
// `keep_running`: afterwards, everything stays up until SIGINT/SIGTERM. Returns an exit code (0
// only when every check passed).
int run_demo(const std::string& store_url, bool keep_running);

}  // namespace jit::demo
