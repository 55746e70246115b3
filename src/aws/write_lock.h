// The lock around a read-modify-write of one AWS document that AWS cannot write conditionally (a
// permission set's inline policy, an IAM role's trust policy or inline policy): a mutex per
// document in this process, then, when configured, the named lease of ports/lock.h across
// instances. Shared by IdentityCenterProvider and IamRoleProvider.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "aws/deadline.h"
#include "core/error.h"
#include "ports/clock.h"
#include "ports/lock.h"

namespace jit::aws {

// The locks of one provider: one in-process mutex per lock name (kept for the provider's life:
// one per document policy names) and the shared Locks. Thread-safe.
class WriteLocks {
 public:
  struct Options {
    Locks* locks = nullptr;  // nullptr: in-process only (one instance); must outlive this
    std::string owner;       // this instance, as the shared lock records it
    // How long a shared lock is taken for: beyond the longest the guarded work can take, so a live
    // holder is never overtaken (the operation deadline and a margin).
    std::chrono::milliseconds hold{150'000};
    double jitter = 0.2;  // of the waits between attempts at the shared lock
  };
  // `clock` must outlive this: the waits sleep on it and leases lapse on its wall time.
  WriteLocks(const Clock& clock, Options options) : clock_(clock), options_(std::move(options)) {}

 private:
  friend class WriteLock;
  std::timed_mutex& mutex_of(const std::string& name);

  const Clock& clock_;
  Options options_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<std::timed_mutex>> mutexes_;
};

// Holds the lock `name` ("cutoff:<permission set arn>", "iam-role:<role arn>") once acquired;
// lets both halves go when destroyed. Not thread-safe: one per operation.
class WriteLock {
 public:
  WriteLock(WriteLocks& locks, std::string name) : locks_(locks), name_(std::move(name)) {}
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;
  ~WriteLock();

  // Waits for both halves until `deadline`: Errc::unavailable naming the lock when another
  // holder keeps it (the caller logs it); the shared Locks' own errors as they come.
  Result<> acquire(Deadline& deadline);

 private:
  WriteLocks& locks_;
  std::string name_;
  std::timed_mutex* mutex_ = nullptr;
  bool shared_held_ = false;
};

}  // namespace jit::aws
