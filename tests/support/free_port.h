// Loopback ports for tests that start local servers (child processes: platform/child_process.h).
#pragma once

#include <cstdint>

namespace jit::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released). Another
// process may take it before you do; tests accept that small race.
std::uint16_t free_port();

}  // namespace jit::testing
