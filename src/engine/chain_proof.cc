// Grants the chain proves: a row is granted only when its own audit events explain it, and a
// grant ends at the expiry its begin_grant event fixed, whatever the row's column says.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>

#include "audit/facts.h"
#include "audit/proof.h"
#include "core/duration.h"
#include "engine/engine.h"

namespace jit {

namespace {
constexpr char kActor[] = "system:engine";
}  // namespace

Result<std::optional<std::string>> Engine::chain_refusal(const AccessRequest& r, std::string* policy_short,
                                                         audit::Proof* proof) {
  auto events = store_.audit_events({.request_id = r.id});
  if (!events)
    return fail(Error::Unavailable(fmt::format("could not read the audit events of request {}: {}", r.id,
                                               events.error().message)));
  remember_enforcement(r.id, *events);  // what the grant asked AWS to enforce, and what is done
  // Policy's side is left to grant_refusal, which explains a policy change to people; what is
  // refused here is a row its own events do not explain.
  const auto policy = this->policy();
  const auto exam = audit::examine_request(r, *events, options_.audit_keys, policy.get());
  if (policy_short) {
    const AccountPolicy* account = policy->find_account(r.account);
    const RolePolicy* role = account ? account->find_role(r.role) : nullptr;
    *policy_short = role ? audit::step_up_shortfall(exam.proof, *role) : "";
    if (role && policy_short->empty()) *policy_short = audit::automatic_shortfall(exam.proof, *role);
  }
  if (proof) *proof = exam.proof;
  std::string problems = audit::unexplained(r.id, exam.mismatches, /*with_policy=*/false);
  if (problems.empty()) return std::nullopt;
  return problems;
}

Result<AccessRequest> Engine::refuse_unproven(const AccessRequest& r, const std::string& problem) {
  const std::string why = "refused, nothing granted: " + problem;
  auto failed = fail_grant(r, why);
  if (!failed) return failed;
  if (failed->state == State::failed && failed->end_reason == why) {
    spdlog::error("event=grant_refused_unproven request={} problem=\"{}\"", r.id, problem);
    alert(fmt::format("Refused to grant {} ({} on {} for {}): {}. Nothing was granted; a row the audit trail does "
                      "not explain was written to the store by something other than JIT Access.",
                      r.id, r.role, r.account, r.requester, problem),
          r.id);
  }
  return failed;
}

Result<std::optional<TimePoint>> Engine::chain_expiry(const AccessRequest& r) {
  {
    std::lock_guard lock(expiries_mu_);
    if (auto it = proven_expiries_.find(r.id); it != proven_expiries_.end()) return it->second;
  }
  auto events = store_.audit_events({.request_id = r.id});
  if (!events) return fail(events.error());
  remember_enforcement(r.id, *events);
  const auto exam = audit::examine_request(r, *events, options_.audit_keys, nullptr);
  if (!exam.proof.has_grant) return std::nullopt;
  std::optional<TimePoint> proven = exam.proof.expires_at;
  if (!proven) {
    spdlog::warn("event=grant_expiry_unproven request={} note=\"its begin_grant event carries no expiry (written "
                 "before facts were kept); the row's is used\"", r.id);
    proven = r.expires_at;
  }
  if (!proven) return std::nullopt;
  std::lock_guard lock(expiries_mu_);
  proven_expiries_[r.id] = *proven;
  return proven;
}

TimePoint Engine::trusted_expiry(const AccessRequest& r) {
  TimePoint at = r.expires_at.value_or(TimePoint{});
  std::lock_guard lock(expiries_mu_);
  if (auto it = proven_expiries_.find(r.id); it != proven_expiries_.end() && (!r.expires_at || it->second < at))
    at = it->second;
  return at;
}

Result<AccessRequest> Engine::restore_expiry(const AccessRequest& r, TimePoint proven) {
  std::optional<TimePoint> found;
  auto changed = update_with_retry(r.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
    if (x.state != State::active || (x.expires_at && *x.expires_at <= proven)) return std::nullopt;
    found = x.expires_at;
    x.expires_at = proven;
    return AuditEvent{.at = clock_.now(),
                      .actor = kActor,
                      .action = "expiry_mismatch",
                      .request_id = x.id,
                      .from_state = "active",
                      .to_state = "active",
                      .detail = fmt::format("the stored expiry was {}, but the grant event says {}: the row was "
                                            "edited; restored to {}",
                                            found ? format_time(*found) : "(none)", format_time(proven),
                                            format_time(proven)),
                      .facts = audit::facts::of_expiry_mismatch(found, proven)};
  });
  if (!changed) return fail(changed.error());
  if (changed->event) {
    const std::string row = found ? format_time(*found) : "(none)";
    spdlog::error("event=expiry_mismatch request={} row_expires_at={} chain_expires_at={}", r.id, row,
                  format_time(proven));
    alert(fmt::format("The expiry of grant {} ({} on {} for {}) was edited in the store to {}; its grant event says "
                      "{}. The grant ends at {}.",
                      r.id, r.role, r.account, r.requester, row, format_time(proven), format_time(proven)),
          r.id);
  }
  return changed->request;
}

void Engine::hold_to_chain(const std::vector<AccessRequest>& grants, TimePoint now,
                           std::optional<TimePoint> arm_until, bool complete, SweepReport& report) {
  std::set<std::string> seen;
  for (const auto& g : grants) {
    seen.insert(g.id);
    if (g.state != State::active) continue;
    auto proven = chain_expiry(g);
    if (!proven) {
      ++report.errors;
      spdlog::error("event=sweep_failed step=grant_expiry request={} error=\"{}\"", g.id, proven.error().message);
      continue;
    }
    if (!*proven) {
      const std::string why =
          "revoked: the audit trail has no grant event for this active request (the row was written to the store "
          "directly)";
      spdlog::error("event=grant_unproven_revoked request={}", g.id);
      alert(fmt::format("Active grant {} ({} on {} for {}) has no grant event in the audit trail: revoking it now.",
                        g.id, g.role, g.account, g.requester),
            g.id);
      if (auto done = advance_revoke(g.id, Action::admin_revoke, kActor, why); !done) ++report.errors;
      else if (done->state == State::revoked) ++report.revoked;
      continue;
    }
    AccessRequest r = g;
    if (!r.expires_at || *r.expires_at > **proven) {
      auto restored = restore_expiry(r, **proven);
      if (!restored) {
        ++report.errors;
        continue;
      }
      r = *restored;
    }
    // At start every grant gets its timers (one already due fires at once); otherwise those due
    // by `arm_until`.
    if (!arm_until) schedule(r, /*warning=*/true);
    else if (*r.expires_at > now && *r.expires_at <= *arm_until) schedule(r, /*warning=*/false);
  }
  if (!complete) return;
  {
    std::lock_guard lock(expiries_mu_);
    std::erase_if(proven_expiries_, [&](const auto& entry) { return !seen.contains(entry.first); });
  }
  std::lock_guard lock(enforcement_mu_);
  std::erase_if(enforcement_, [&](const auto& entry) { return !seen.contains(entry.first); });
}

}  // namespace jit
