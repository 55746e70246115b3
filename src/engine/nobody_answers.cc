// Nobody answers (issue 17): a pending request nobody decided on is re-announced in its thread
// with its approvers mentioned (remind_after), then escalated (escalate_after): its escalation
// approvers may decide on it from then on, the thread mentions them, and the escalation channel
// links it. Both are sweep steps: a conditional write with its audit event, then the messages
// (queued by the announcer: the sweep never waits on Slack).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "audit/facts.h"
#include "core/duration.h"
#include "engine/engine.h"

namespace jit {

namespace {
constexpr char kActor[] = "system:sweeper";
constexpr std::size_t kBatch = 500;  // rows per sweep query, as the other sweep steps
}  // namespace

void Engine::nudge_undecided(const Policy& policy, TimePoint now, SweepReport& report) {
  auto waiting = store_.pending_before(now, kBatch);
  if (!waiting) {
    ++report.errors;
    spdlog::error("event=sweep_failed step=nudge error=\"{}\"", waiting.error().message);
    return;
  }
  for (const auto& p : *waiting) {
    // Not yet in its channel (post_unposted will put it there), or already escalated: nothing to do.
    if (p.state != State::pending || p.chat_ts.empty() || p.escalated_at) continue;
    const AccountPolicy* account = policy.find_account(p.account);
    const RolePolicy* role = account ? account->find_role(p.role) : nullptr;
    if (!role || role->auto_approve) continue;
    const EscalationPolicy e = escalation_of(*account, *role);
    const auto waited = now - p.created_at;
    Nudge step;
    if (e.escalate_after && waited >= *e.escalate_after && !e.approvers.empty())
      step = Nudge::escalate;  // a reminder not sent by then is left out: the escalation says more
    else if (e.remind_after && waited >= *e.remind_after && !p.reminded_at)
      step = Nudge::remind;
    else
      continue;
    auto done = nudge(p.id, step, policy);
    if (!done) {
      ++report.errors;
      spdlog::warn("event=nudge_failed request={} error=\"{}\"", p.id, done.error().message);
    } else if (*done) {
      ++(step == Nudge::escalate ? report.escalated : report.reminded);
    }
  }
}

Result<bool> Engine::nudge(const std::string& id, Nudge step, const Policy& policy) {
  const bool escalate = step == Nudge::escalate;
  EscalationPolicy escalation;
  std::vector<std::string> called;
  auto changed = update_with_retry(id, [&](AccessRequest& r) -> Result<std::optional<AuditEvent>> {
    // Re-checked on the row as stored: another instance (or a decision, a cancel) may have been first.
    if (r.state != State::pending || r.escalated_at || (!escalate && r.reminded_at)) return std::nullopt;
    const TimePoint now = clock_.now();
    if (past_approval_window(policy, r.created_at, now)) return std::nullopt;  // it lapses instead
    const AccountPolicy* account = policy.find_account(r.account);
    const RolePolicy* role = account ? account->find_role(r.role) : nullptr;
    if (!role) return std::nullopt;
    escalation = escalation_of(*account, *role);
    // Who is called on; the requester, who never decides on their own request, is left out.
    called = escalate ? escalation.approvers : approvers_of(*account, *role);
    std::erase(called, r.requester);
    const std::optional<Seconds> after = escalate ? escalation.escalate_after : escalation.remind_after;
    if (!after || (escalate && called.empty())) return std::nullopt;  // policy changed since the query
    (escalate ? r.escalated_at : r.reminded_at) = now;
    return AuditEvent{.at = now,
                      .actor = kActor,
                      .action = escalate ? "escalated" : "reminded",
                      .request_id = r.id,
                      .from_state = "pending",
                      .to_state = "pending",
                      .detail = fmt::format("nobody decided within {}: {} {}{}", format_duration(*after),
                                            escalate ? "escalated to" : "reminded", fmt::join(called, ", "),
                                            escalate && !escalation.channel.empty()
                                                ? fmt::format(" (linked in {})", escalation.channel)
                                                : std::string()),
                      .facts = audit::facts::of_nudge(called, escalate ? escalation.channel : "", now)};
  });
  if (!changed) return fail(changed.error());
  if (!changed->event) return false;
  announce(changed->request, *changed->event, std::nullopt);
  if (escalate && !escalation.channel.empty())
    if (auto posted = chat_.post_escalation(changed->request, escalation.channel, called); !posted)
      spdlog::warn("event=chat_escalation_failed request={} error=\"{}\"", id, posted.error().message);
  return true;
}

}  // namespace jit
