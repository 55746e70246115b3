// Named leases shared by every instance of the service: a short critical section across processes.
#pragma once

#include <string>

#include "core/error.h"
#include "core/model.h"

namespace jit {

// A lock is a row in the shared store: a name, the instance that holds it, and the moment it
// lapses. Used where AWS offers no conditional write of its own, e.g. the read-modify-write of a
// permission set's inline policy (issue 14), which two instances must never interleave.
//
// Every method is thread-safe and may be called by several processes sharing one database. A
// holder that dies leaves the lock to lapse at `until`: callers pick `until` beyond the longest
// the guarded work can take (its call deadline and a margin), so a live holder is never overtaken.
class Locks {
 public:
  virtual ~Locks() = default;

  // Takes `name` for `owner` until `until` when it is free, lapsed, or already held by `owner`
  // (which extends it). True when `owner` holds it now; false when another owner holds it
  // unlapsed (the caller waits and tries again). Errc::unavailable: try again later.
  virtual Result<bool> try_lock(const std::string& name, const std::string& owner, TimePoint until) = 0;

  // Lets `name` go when `owner` holds it; nothing when it lapsed and someone else took it, or
  // when nobody holds it.
  virtual Result<> unlock(const std::string& name, const std::string& owner) = 0;
};

}  // namespace jit
