// The in-process expiry timers: each active grant is revoked at its expiry second, and its
// requester warned before it.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/duration.h"
#include "engine/engine.h"

namespace jit {

void Engine::schedule(const AccessRequest& r, bool warning) {
  if (r.state != State::active || !r.expires_at) return;
  auto add = [&](TimePoint at, bool warning) {
    auto [lo, hi] = timers_.equal_range(at);
    for (auto it = lo; it != hi; ++it)
      if (it->second.first == r.id && it->second.second == warning) return;
    timers_.emplace(at, std::pair{r.id, warning});
  };
  std::function<void()> listener;
  {
    std::lock_guard lock(timers_mu_);
    add(*r.expires_at, false);
    // The lead of the requester's warning is policy's as it is when the timer is set (issue 17).
    const TimePoint warn_at = *r.expires_at - config()->settings.expiry_warning;
    if (warning && warn_at > clock_.now()) add(warn_at, true);
    listener = timer_listener_;
  }
  if (listener) listener();
}

void Engine::set_timer_listener(std::function<void()> listener) {
  std::lock_guard lock(timers_mu_);
  timer_listener_ = std::move(listener);
}

std::optional<TimePoint> Engine::next_timer() const {
  std::lock_guard lock(timers_mu_);
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first;
}

void Engine::set_revoke_dispatcher(std::function<void(const std::string&)> dispatcher) {
  revoke_dispatcher_ = std::move(dispatcher);
}

Result<AccessRequest> Engine::expire(const std::string& id, const std::string& actor) {
  auto r = store_.get_request(id);
  if (!r || r->state != State::active || !r->expires_at) return r;  // released or revoked meanwhile
  const std::string reason = fmt::format("expired at {}", format_time(trusted_expiry(*r)));
  return advance_revoke(id, Action::expire, actor, reason, std::move(*r));
}

bool Engine::still_active(const std::string& id) {
  auto r = store_.get_request(id);
  return !r || (r->state == State::active && r->expires_at);
}

int Engine::fire_due_timers() {
  std::vector<std::pair<std::string, bool>> due;
  {
    std::lock_guard lock(timers_mu_);
    const TimePoint now = clock_.now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      due.push_back(timers_.begin()->second);
      timers_.erase(timers_.begin());
    }
  }
  int fired = 0;
  for (const auto& [id, warning] : due) {
    // One timer that throws (a malformed answer deep in a call) must not cost the others their
    // turn: it is logged, and the sweeper revokes that grant on its next pass.
    try {
      fired += fire_timer(id, warning) ? 1 : 0;
    } catch (const std::exception& e) {
      spdlog::error("event=timer_failed request={} error=\"{}\" will_retry=sweeper", id, e.what());
    }
  }

  return fired;
}

bool Engine::fire_timer(const std::string& id, bool warning) {
  if (!warning && revoke_dispatcher_) {
    // Handed over unread: the worker's expire() reads the row (a released or revoked grant is left
    // alone there), and this thread fires the next timer without a store round trip.
    revoke_dispatcher_(id);
    return true;
  }
  auto r = store_.get_request(id);
  if (!r || r->state != State::active) return false;  // released or revoked meanwhile
  if (warning) {
    if (auto n = chat_.notify_requester(*r, Notice::expiring_soon); !n)
      spdlog::warn("event=chat_notify_failed request={} error=\"{}\"", id, n.error().message);
    return false;
  }
  auto done = expire(id, "system:timer");
  if (!done) spdlog::warn("event=timer_revoke_deferred request={} error=\"{}\"", id, done.error().message);
  return done && done->state == State::revoked;
}

}  // namespace jit
