// The sweeper: recovery at start, and the periodic pass that finishes whatever the timers and the
// handlers left (lapsed requests, unposted requests, missed expiries, in-flight rows).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/duration.h"
#include "engine/engine.h"

namespace jit {

namespace {
constexpr std::size_t kBatch = 500;  // rows per sweep query

// Logs a sweep step whose query failed, and counts it.
void query_failed(SweepReport& report, std::string_view step, const Error& error) {
  ++report.errors;
  spdlog::error("event=sweep_failed step={} error=\"{}\"", step, error.message);
}
}  // namespace

SweepReport Engine::recover() {
  SweepReport armed;
  if (auto holding = store_.holding_access(100000); holding)
    hold_to_chain(*holding, clock_.now(), std::nullopt, /*complete=*/true, armed);
  else
    spdlog::error("event=recover_failed error=\"{}\"", holding.error().message);
  SweepReport report = sweep();
  report.revoked += armed.revoked;
  report.errors += armed.errors;
  return report;
}

SweepReport Engine::sweep() {
  SweepReport report;
  const auto config = this->config();
  const TimePoint now = clock_.now();
  lapse_undecided(config->policy, now, report);
  post_unposted(now, report);
  approve_automatic(config->policy, now, report);
  nudge_undecided(config->policy, now, report);
  // Grants that expire before the next sweep get an expiry timer here too, whichever instance
  // granted them: if that one is gone, this one still revokes at the expiry second. Each is held
  // to the expiry its grant event proves. (Leases keep two instances from revoking the same
  // grant; the warning DM stays with the granting instance.) A grant whose column was moved later
  // is not in this query: the reconciler's pass over every grant, and the timers of the instance
  // that granted it, hold it to its chain.
  if (auto soon = store_.expired_grants(now + config->settings.sweep_interval, kBatch); soon)
    hold_to_chain(*soon, now, now + config->settings.sweep_interval, /*complete=*/false, report);
  else
    query_failed(report, "expiring_soon", soon.error());
  if (auto due = store_.expired_grants(now, kBatch); due) {
    for (const auto& g : *due) {
      if (revoke_dispatcher_) {  // the workers revoke it, at their rate
        revoke_dispatcher_(g.id);
        continue;
      }
      auto done = advance_revoke(g.id, Action::expire, "system:sweeper",
                                 fmt::format("expired at {}", format_time(*g.expires_at)));
      if (!done) ++report.errors;
      else if (done->state == State::revoked) ++report.revoked;
    }
  } else {
    query_failed(report, "expired", due.error());
  }
  if (auto flying = store_.in_flight(kBatch); flying) {
    for (const auto& r : *flying) {
      auto done = resume(r);
      if (!done) ++report.errors;
      else if (*done) ++report.resumed;
    }
  } else {
    query_failed(report, "in_flight", flying.error());
  }
  if (report.lapsed || report.revoked || report.resumed || report.posted || report.auto_approved ||
      report.reminded || report.escalated || report.errors)
    spdlog::info("event=sweep lapsed={} revoked={} resumed={} posted={} auto_approved={} reminded={} escalated={} "
                 "errors={}",
                 report.lapsed, report.revoked, report.resumed, report.posted, report.auto_approved, report.reminded,
                 report.escalated, report.errors);
  return report;
}

void Engine::lapse_undecided(const Policy& policy, TimePoint now, SweepReport& report) {
  // A request created at or before the cutoff has waited the whole approval window.
  const TimePoint cutoff = now - policy.approval_window;
  auto stale = store_.pending_before(cutoff + Seconds{1}, kBatch);
  if (!stale) return query_failed(report, "pending", stale.error());
  for (const auto& p : *stale) {
    auto changed = update_with_retry(p.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
      if (x.state != State::pending || !past_approval_window(policy, x.created_at, now)) return std::nullopt;
      return lapse(x, policy, "system:sweeper");
    });
    if (!changed) {
      ++report.errors;
    } else if (changed->event) {
      ++report.lapsed;
      announce(changed->request, *changed->event, Notice::expired);
    }
  }
}

void Engine::post_unposted(TimePoint now, SweepReport& report) {
  // Pending requests that never reached their owner channel (Slack was down, or the process died
  // right after storing them) are posted now; the grace period leaves fresh ones to their
  // submitter. One instance claims each (a lease, as for grants) so that several sweeping at once
  // post it once.
  auto waiting = store_.pending_before(now - options_.post_grace, kBatch);
  if (!waiting) return query_failed(report, "unposted", waiting.error());
  for (const auto& p : *waiting) {
    if (!p.chat_ts.empty() || p.state != State::pending) continue;
    auto claimed = update_with_retry(p.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
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
    } else if (claimed->event) {
      if (post_to_chat(claimed->request)) ++report.posted;
      else ++report.errors;  // tried again once the lease has run out
    }
  }
}

void Engine::approve_automatic(const Policy& policy, TimePoint now, SweepReport& report) {
  // A request of an auto-approved role that a crash (or a failed check) left pending: approved
  // now, once it is in its owner channel (never silently) and past the grace its submitter has.
  auto waiting = store_.pending_before(now - options_.post_grace, kBatch);
  if (!waiting) return query_failed(report, "auto-approve", waiting.error());
  std::set<std::string> refused;  // this sweep's refusals by policy
  for (const auto& p : *waiting) {
    if (p.state != State::pending || p.chat_ts.empty()) continue;
    const AccountPolicy* account = policy.find_account(p.account);
    const RolePolicy* role = account ? account->find_role(p.role) : nullptr;
    if (!role || !role->auto_approve) continue;
    auto done = auto_approve(p.id);
    if (!done) {
      const bool by_policy = done.error().code == Errc::denied;
      bool said = false;
      if (by_policy) {
        refused.insert(p.id);
        std::lock_guard lock(auto_refused_mu_);
        said = auto_refused_.contains(p.id);
      }
      // Refused by policy, it stays refused until policy changes or the request lapses: warned once.
      spdlog::log(said ? spdlog::level::debug : spdlog::level::warn, "event=auto_approve_refused request={} error=\"{}\"",
                  p.id, done.error().message);
      if (!by_policy) ++report.errors;
    } else if (done->state != State::pending) {
      ++report.auto_approved;
    }
  }
  std::lock_guard lock(auto_refused_mu_);
  auto_refused_ = std::move(refused);
}

}  // namespace jit
