#include "engine/crash_points.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace jit {

namespace {

// The armed point, read once; "" when none.
const std::string& armed_point() {
  static const std::string point = [] {
    const char* value = std::getenv("JIT_CRASH_AT");
    std::string p = value ? value : "";
    if (!p.empty() && !fault_injection_enabled()) {
      spdlog::warn("event=fault_injection_ignored detail=\"JIT_CRASH_AT is set but this build does not honour it\"");
      p.clear();
    } else if (!p.empty()) {
      spdlog::warn("event=fault_injection_armed point={}", p);
    }
    return p;
  }();
  return point;
}

}  // namespace

bool fault_injection_enabled() {
#ifdef JIT_FAULT_INJECTION
  return true;
#else
  return false;
#endif
}

void crash_point(std::string_view point) {
  const std::string& armed = armed_point();
  if (armed.empty() || armed != point) return;
  spdlog::critical("event=fault_injection_crash point={}", point);
  spdlog::default_logger()->flush();
  kill(getpid(), SIGKILL);
}

}  // namespace jit
