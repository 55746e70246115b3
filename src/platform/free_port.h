// Loopback ports for local servers whose address must be known before they start: the tests'
// servers, and the step-up page of `jit demo --step-up` (its origin names the port).
#pragma once

#include <cstdint>

namespace jit {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released); 0 when
// none could be bound. Another process may take it before you do; callers accept that small race.
std::uint16_t free_loopback_port();

}  // namespace jit
