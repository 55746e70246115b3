// Locks (ports/lock.h) in memory, for unit tests: one map of held names, lapsing on `clock`.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ports/clock.h"
#include "ports/lock.h"

namespace jit {

class MemoryLocks final : public Locks {
 public:
  // `clock` decides when a lock has lapsed; it must outlive this.
  explicit MemoryLocks(const Clock& clock) : clock_(clock) {}

  Result<bool> try_lock(const std::string& name, const std::string& owner, TimePoint until) override {
    std::lock_guard lock(mu_);
    ++attempts_;
    last_until_ = until;
    auto it = held_.find(name);
    if (it != held_.end() && it->second.owner != owner && clock_.now() < it->second.until) return false;
    held_[name] = {owner, until};
    return true;
  }

  Result<> unlock(const std::string& name, const std::string& owner) override {
    std::lock_guard lock(mu_);
    if (auto it = held_.find(name); it != held_.end() && it->second.owner == owner) held_.erase(it);
    return {};
  }

  // Who holds `name` now ("" when nobody, or when it has lapsed).
  std::string holder(const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = held_.find(name);
    return it != held_.end() && clock_.now() < it->second.until ? it->second.owner : "";
  }
  // The lapse time of `name`'s current holding (epoch when nobody holds it).
  TimePoint until(const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = held_.find(name);
    return it != held_.end() ? it->second.until : TimePoint{};
  }
  // The `until` of the latest try_lock (epoch before any).
  TimePoint last_until() const {
    std::lock_guard lock(mu_);
    return last_until_;
  }
  // How many times try_lock was called.
  int attempts() const {
    std::lock_guard lock(mu_);
    return attempts_;
  }

 private:
  struct Held {
    std::string owner;
    TimePoint until;
  };
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Held> held_;
  int attempts_ = 0;
  TimePoint last_until_{};
};

}  // namespace jit
