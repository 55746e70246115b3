// The engine's background work: recovery, the sweeper, the reconciler and the expiry timers.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/engine.h"
#include "core/duration.h"

namespace jit {

namespace {
constexpr std::size_t kBatch = 500;  // rows per sweep query
}  // namespace

// ---------------------------------------------------------------------------------------------
// Background work

SweepReport Engine::recover() {
  if (auto holding = store_.holding_access(100000); holding) {
    for (const auto& r : *holding)
      if (r.state == State::active) schedule(r);
  } else {
    spdlog::error("event=recover_failed error=\"{}\"", holding.error().message);
  }
  return sweep();
}

SweepReport Engine::sweep() {
  SweepReport report;
  const auto policy = this->policy();
  const TimePoint now = clock_.now();

  // A request created at or before the cutoff has waited the whole approval window.
  const TimePoint cutoff = now - policy->approval_window;
  if (auto stale = store_.pending_before(cutoff + Seconds{1}, kBatch); stale) {
    for (const auto& p : *stale) {
      std::optional<AuditEvent> event;
      auto changed = change(p.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
        if (x.state != State::pending || x.created_at > cutoff) return std::nullopt;
        x.end_reason = fmt::format("nobody decided within {}", format_duration(policy->approval_window));
        auto e = transition(x, Action::lapse, "system:sweeper", x.end_reason);
        if (!e) return fail(e.error());
        event = *e;
        return event;
      });
      if (!changed) {
        ++report.errors;
      } else if (event) {
        ++report.lapsed;
        announce(changed->first, *event, Notice::expired);
      }
    }
  } else {
    ++report.errors;
    spdlog::error("event=sweep_failed step=pending error=\"{}\"", stale.error().message);
  }

  // Pending requests that never reached their owner channel (Slack was down, or the process died
  // right after storing them) are posted now; the grace period leaves fresh ones to their submitter.
  // One instance claims each (a lease, as for grants) so that several sweeping at once post it once.
  if (auto waiting = store_.pending_before(now - options_.post_grace, kBatch); waiting) {
    for (const auto& p : *waiting) {
      if (!p.chat_ts.empty() || p.state != State::pending) continue;
      auto claimed = change(p.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
        if (x.state != State::pending || !x.chat_ts.empty()) return std::nullopt;
        if (x.lease_until && *x.lease_until > now) return std::nullopt;  // being posted, or tried lately
        take_lease(x);
        return AuditEvent{.at = now,
                          .actor = "system:sweeper",
                          .action = "post_retry",
                          .request_id = x.id,
                          .from_state = std::string(state_name(x.state)),
                          .to_state = std::string(state_name(x.state)),
                          .detail = "not in its owner channel yet; posting it"};
      });
      if (!claimed) {
        ++report.errors;
      } else if (claimed->second) {
        if (post_to_chat(claimed->first)) ++report.posted;
        else ++report.errors;  // tried again once the lease has run out
      }
    }
  } else {
    ++report.errors;
    spdlog::error("event=sweep_failed step=unposted error=\"{}\"", waiting.error().message);
  }

  // Grants that expire before the next sweep get an expiry timer here too, whichever instance
  // granted them: if that one is gone, this one still revokes at the expiry second. (Leases keep
  // two instances from revoking the same grant; the warning DM stays with the granting instance.)
  if (auto soon = store_.expired_grants(now + policy->sweep_interval, kBatch); soon) {
    for (const auto& g : *soon)
      if (*g.expires_at > now) schedule(g, false);
  } else {
    ++report.errors;
    spdlog::error("event=sweep_failed step=expiring_soon error=\"{}\"", soon.error().message);
  }

  if (auto due = store_.expired_grants(now, kBatch); due) {
    for (const auto& g : *due) {
      auto done = advance_revoke(g.id, Action::expire, "system:sweeper",
                                 fmt::format("expired at {}", format_time(*g.expires_at)));
      if (!done) ++report.errors;
      else if (done->state == State::revoked) ++report.revoked;
    }
  } else {
    ++report.errors;
    spdlog::error("event=sweep_failed step=expired error=\"{}\"", due.error().message);
  }

  if (auto flying = store_.in_flight(kBatch); flying) {
    for (const auto& r : *flying) {
      auto done = resume(r);
      if (!done) ++report.errors;
      else if (*done) ++report.resumed;
    }
  } else {
    ++report.errors;
    spdlog::error("event=sweep_failed step=in_flight error=\"{}\"", flying.error().message);
  }
  if (report.lapsed || report.revoked || report.resumed || report.posted || report.errors)
    spdlog::info("event=sweep lapsed={} revoked={} resumed={} posted={} errors={}", report.lapsed, report.revoked,
                 report.resumed, report.posted, report.errors);
  return report;
}

ReconcileReport Engine::reconcile() {
  ReconcileReport report;
  const auto policy = this->policy();
  // List the provider first, then the store: an assignment can only exist after its row was
  // written as `granting`, so a grant racing this pass is never mistaken for a stray.
  std::vector<Assignment> seen;
  for (const auto& account : policy->accounts) {
    for (const auto& role : account.roles) {
      auto listed = provider_.list(account.id, role.permission_set_arn);
      if (!listed) {
        ++report.errors;
        spdlog::error("event=reconcile_failed account={} role={} error=\"{}\"", account.name, role.name,
                      listed.error().message);
        continue;
      }
      report.checked += static_cast<int>(listed->size());
      seen.insert(seen.end(), listed->begin(), listed->end());
    }
  }
  auto holding = store_.holding_access(100000);
  if (!holding) {
    ++report.errors;
    spdlog::error("event=reconcile_failed step=store error=\"{}\"", holding.error().message);
    return report;
  }
  std::set<Assignment> known;
  for (const auto& r : *holding) known.insert(assignment_of(r));
  for (const auto& a : seen) {
    if (known.contains(a)) continue;
    if (auto r = provider_.revoke(a); !r) {
      ++report.errors;
      spdlog::error("event=stray_revoke_failed principal={} account={} error=\"{}\"", a.principal, a.account_id,
                    r.error().message);
      continue;
    }
    ++report.stray_revoked;
    const std::string detail = fmt::format("principal {} held {} on account {} without an active grant; revoked",
                                           a.principal, a.permission_set_arn, a.account_id);
    spdlog::warn("event=stray_revoked {}", detail);
    if (auto e = store_.append_audit({.at = clock_.now(), .actor = "system:reconciler", .action = "stray_revoked",
                                      .detail = detail});
        !e)
      spdlog::error("event=audit_append_failed error=\"{}\"", e.error().message);
    if (auto al = chat_.alert("Standing access found and removed: " + detail); !al)
      spdlog::warn("event=alert_failed error=\"{}\"", al.error().message);
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// Timers

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
    const TimePoint warn_at = *r.expires_at - options_.expiry_warning;
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
    if (warning) {
      auto r = store_.get_request(id);
      if (r && r->state == State::active) {
        if (auto n = chat_.notify_requester(*r, Notice::expiring_soon); !n)
          spdlog::warn("event=chat_notify_failed request={} error=\"{}\"", id, n.error().message);
      }
      continue;
    }
    auto r = store_.get_request(id);
    if (!r || r->state != State::active) continue;  // released or revoked meanwhile
    auto done = advance_revoke(id, Action::expire, "system:timer", fmt::format("expired at {}", format_time(*r->expires_at)));
    if (done && done->state == State::revoked) ++fired;
    if (!done) spdlog::warn("event=timer_revoke_deferred request={} error=\"{}\"", id, done.error().message);
  }
  return fired;
}

}  // namespace jit
