// Loopback ports for tests that start local servers (child processes: platform/child_process.h).
#pragma once

#include <cstdint>

#include "platform/free_port.h"

namespace jit::testing {

// platform/free_port.h's free_loopback_port, by the name the tests use.
inline std::uint16_t free_port() { return free_loopback_port(); }

}  // namespace jit::testing
