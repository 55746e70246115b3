// The revocation workers of `jit serve`: expired grants handed over by the timers and the sweeper
// are revoked by `concurrency` threads at once, started at most `rate` per second (a RateGate
// on the Clock port). Identity Center throttles its API and deletes asynchronously (~1 s of
// status polling per revocation), so one revocation after another cannot keep up with a mass
// expiry; and the thread that fires timers must never wait for AWS or Slack.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/rate_gate.h"
#include "ports/clock.h"

namespace jit {

struct RevokePoolOptions {
  int concurrency = 16;  // worker threads (>= 1)
  int rate = 10;         // revocations started per second at most (>= 1)
};

class RevokePool {
 public:
  // `revoke` ends the grant with that id (Engine::expire); it must not throw. `needed`, when set,
  // is asked first (Engine::still_active): an id it says false of is dropped without taking a
  // token of the rate. Neither may throw. Starts the workers.
  RevokePool(std::function<void(const std::string&)> revoke, const Clock& clock, RevokePoolOptions options,
             std::function<bool(const std::string&)> needed = nullptr);
  // stop().
  ~RevokePool();
  RevokePool(const RevokePool&) = delete;
  RevokePool& operator=(const RevokePool&) = delete;

  // Queues `id` unless it is queued or being revoked already (the timers and the sweeper may both
  // hand it over); false when it was. Never blocks. Thread-safe.
  bool submit(const std::string& id);
  // Waits (on the clock) up to `deadline` until nothing is queued or running; true when idle.
  bool wait_idle(std::chrono::milliseconds deadline);
  // Ids queued or being revoked now.
  std::size_t pending() const;
  // Lets the revocations under way finish, drops the queued ones (they stay active in the store,
  // and the sweeper or the next start revokes them), joins the workers. Idempotent.
  void stop();

 private:
  void work();

  std::function<void(const std::string&)> revoke_;
  std::function<bool(const std::string&)> needed_;
  const Clock& clock_;
  RateGate gate_;
  mutable std::mutex mu_;
  std::condition_variable wake_, idle_;
  std::deque<std::string> queue_;
  std::set<std::string> pending_;  // queued or running
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace jit
