#include "ports/clock.h"

#include <random>
#include <thread>

namespace jit {

TimePoint SystemClock::now() const { return std::chrono::floor<Seconds>(std::chrono::system_clock::now()); }

SteadyTime SystemClock::monotonic() const { return std::chrono::steady_clock::now(); }

void SystemClock::sleep_for(std::chrono::milliseconds duration) const { std::this_thread::sleep_for(duration); }

bool SystemClock::wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, TimePoint deadline,
                             const std::function<bool()>& stop_waiting) const {
  return wake.wait_until(lock, std::chrono::system_clock::time_point(deadline), stop_waiting);
}

std::uint64_t SystemClock::random() const {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine();
}

}  // namespace jit
