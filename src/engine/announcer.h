// The announcement queue: a Chat that hands the engine's announcements (owner-channel updates,
// requester notices, ops alerts) to its own worker thread, so a state change never waits on
// Slack. A rate-limited chat.update (Retry-After up to 120 s) then delays only other messages,
// never a revocation or the next timer.
//
// Order: one worker delivers in the order the calls were made, so the messages of one request
// keep their order. Bounded: when `capacity` items wait, a new one pushes out the oldest
// non-essential item (a requester notice); when all that wait are essential (owner-channel
// updates, alerts), the oldest of those goes. Each drop is logged and counted in
// jit_announcements_dropped_total{kind}. A call never blocks on a full queue.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "observability/metrics.h"
#include "ports/chat.h"
#include "ports/clock.h"

namespace jit {

struct AnnouncerOptions {
  // Items that may wait at once (the `announce_queue` setting).
  std::size_t capacity = 10'000;
  // How long the destructor (stop()) keeps delivering what is queued before dropping the rest.
  std::chrono::milliseconds drain_deadline{10'000};
  // Where to count drops and the queue's length (register_announcer_metrics first); may be null.
  Metrics* metrics = nullptr;
};

// Registers jit_announcements_dropped_total and jit_announcements_queued.
void register_announcer_metrics(Metrics& metrics);

class Announcer final : public Chat {
 public:
  // `chat` and `clock` must outlive this. Starts the worker thread.
  Announcer(Chat& chat, const Clock& clock, AnnouncerOptions options = {});
  // stop(options.drain_deadline).
  ~Announcer() override;
  Announcer(const Announcer&) = delete;
  Announcer& operator=(const Announcer&) = delete;

  // Passes straight through (blocking): the caller needs where the message went.
  Result<MessageRef> post_request(const AccessRequest& request) override;
  // Queued; return success at once. A failed delivery is logged by the worker (a chat failure
  // never undoes a state change, as the Chat port says). After stop(): dropped and counted.
  Result<> update_request(const AccessRequest& request, const AuditEvent& event) override;
  Result<> post_escalation(const AccessRequest& request, const std::string& channel,
                           const std::vector<std::string>& approvers) override;
  Result<> notify_requester(const AccessRequest& request, Notice notice) override;
  // Queued as a notice (the bundle's id stands for its request id in the log).
  Result<> notify_bundle(const std::string& requester, const BundleOutcome& outcome) override;
  Result<> alert(const std::string& text) override;

  // Stops taking items, delivers what waits until the queue is empty or `deadline` (on the clock)
  // has passed, drops the rest (logged, counted) and joins the worker. A delivery in flight at the
  // deadline is let finish (the Web API bounds it). Idempotent; thread-safe.
  void stop(std::chrono::milliseconds deadline);
  // Waits (on the clock) up to `deadline` until nothing is queued or being delivered; true when
  // idle. For tests and shutdown.
  bool wait_idle(std::chrono::milliseconds deadline);
  // Items waiting now (not counting one being delivered).
  std::size_t queued() const;

 private:
  enum class Kind { update, notice, alert };
  struct Item {
    Kind kind;
    std::string request_id;  // "" for an alert
    std::function<Result<>(Chat&)> deliver;
  };
  static const char* kind_name(Kind kind);

  void push(Item item);
  void drop(const Item& item, const char* why);  // logs and counts; call without mu_
  void run();
  void publish_length();  // mu_ held

  Chat& chat_;
  const Clock& clock_;
  AnnouncerOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;     // the worker: an item or stop
  std::condition_variable idle_cv_;  // wait_idle / stop: the queue emptied
  std::deque<Item> queue_;
  bool delivering_ = false;
  bool stopping_ = false;   // no more items taken
  bool abandon_ = false;    // the worker drops what is left and exits
  std::thread worker_;
};

}  // namespace jit
