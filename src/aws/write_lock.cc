#include "aws/write_lock.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace jit::aws {
namespace {

using Millis = std::chrono::milliseconds;

// The shared lock is asked for again after these waits (doubling, jittered).
constexpr Millis kLockFirstWait{100};
constexpr Millis kLockMaxWait{2000};

}  // namespace

Millis jittered(Millis wait, double jitter, std::uint64_t random) {
  const double share = jitter * (static_cast<double>(random >> 11) * 0x1.0p-53);  // [0, jitter)
  return Millis{static_cast<Millis::rep>(std::ceil(static_cast<double>(wait.count()) * (1.0 - share)))};
}

std::timed_mutex& WriteLocks::mutex_of(const std::string& name) {
  std::lock_guard guard(mutex_);
  auto& slot = mutexes_[name];
  if (!slot) slot = std::make_unique<std::timed_mutex>();
  return *slot;
}

WriteLock::~WriteLock() {
  if (shared_held_) {
    if (auto r = locks_.options_.locks->unlock(name_, locks_.options_.owner); !r)
      spdlog::warn("event=write_unlock_failed lock={} error=\"{}\"", name_, r.error().message);
  }
  if (mutex_ != nullptr) mutex_->unlock();
}

Result<> WriteLock::acquire(Deadline& deadline) {
  std::timed_mutex& local = locks_.mutex_of(name_);
  if (!local.try_lock_for(std::max(deadline.remaining(), Millis{0})))
    return fail(Error::Unavailable(fmt::format("{}: still held by another call of this instance", name_)));
  mutex_ = &local;
  const auto& options = locks_.options_;
  if (options.locks == nullptr) return {};
  const Clock& clock = locks_.clock_;
  const auto hold = std::chrono::ceil<Seconds>(options.hold);
  for (Millis wait = kLockFirstWait;; wait = std::min(wait * 2, kLockMaxWait)) {
    auto taken = options.locks->try_lock(name_, options.owner, clock.now() + hold);
    if (taken && *taken) {
      shared_held_ = true;
      return {};
    }
    if (!taken && taken.error().code != Errc::unavailable) return fail(taken.error());
    const Millis remaining = deadline.remaining();
    if (remaining <= Millis{0})
      return fail(Error::Unavailable(
          fmt::format("{}: held by another instance for longer than {} ms; retry", name_, deadline.limit().count())));
    clock.sleep_for(std::min(jittered(wait, options.jitter, clock.random()), remaining));
  }
}

}  // namespace jit::aws
