// Hand-built audit trails for the report's tests: sealed events carrying the facts the engine
// writes (audit/facts.h), one grant's story at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/chain.h"
#include "audit/facts.h"
#include "core/model.h"

namespace jit::testing {

inline const TimePoint kT0 = *parse_time("2026-11-24T10:00:00Z");

class ReportTrail {
 public:
  // Appends one sealed event.
  AuditEvent& add(const std::string& id, const std::string& action, TimePoint at, const std::string& actor,
                  std::string facts, std::string detail = "") {
    AuditEvent e{.at = at, .actor = actor, .action = action, .request_id = id, .detail = std::move(detail),
                 .facts = std::move(facts)};
    audit::seal(e, head_, audit::Keyring::unkeyed());
    head_ = {e.seq, e.hash};
    events_.push_back(e);
    return events_.back();
  }

  // The request of a story: prod admin for an hour, asked by U0DEV at `at`.
  static AccessRequest request(const std::string& id, TimePoint at, const std::string& account = "prod") {
    return {.id = id, .requester = "U0DEV", .account = account, .account_id = "123456789012", .role = "admin",
            .permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-1/ps-admin", .duration = std::chrono::hours{1},
            .reason = "investigating INC-1", .ticket = "INC-1", .created_at = at, .requester_email = "dev@example.com",
            .principal = "p-dev"};
  }

  // submit, posted (with `permalink`), `approvers` approvals one minute apart (N-of-M with N = approvers.size()),
  // begin_grant and grant_succeeded; returns the request as granted (granted_at, expires_at set).
  AccessRequest granted(AccessRequest r, const std::vector<std::string>& approvers,
                        const std::string& permalink = "https://acme.slack.com/archives/C0PROD/p1764000000000100") {
    add(r.id, "submit", r.created_at, r.requester, audit::facts::of_submit(r));
    add(r.id, "posted", r.created_at, "system:chat", audit::facts::of_posted("C0PROD", "1764000000.000100", permalink));
    TimePoint at = r.created_at;
    const int needed = static_cast<int>(approvers.size());
    for (int i = 0; i < needed; ++i) {
      at += std::chrono::minutes{1};
      const Decision d{approvers[static_cast<std::size_t>(i)], true, "", at};
      add(r.id, i + 1 < needed ? "approve_partial" : "approve", at, d.approver, audit::facts::of_decision(d, i + 1, needed));
    }
    r.expires_at = at + r.duration;
    add(r.id, "begin_grant", at, "system:engine", audit::facts::of_begin_grant(r));
    r.granted_at = at;
    add(r.id, "grant_succeeded", at, "system:engine", audit::facts::of_grant_succeeded(r));
    return r;
  }

  // An end that goes through revoking: `action` (expire, release, admin_revoke) by `actor`, then
  // revoke_succeeded at `at`.
  void ended(AccessRequest r, const std::string& action, const std::string& actor, TimePoint at,
             const std::string& reason) {
    r.end_reason = reason;
    add(r.id, action, at, actor, audit::facts::of_end(r));
    r.ended_at = at;
    add(r.id, "revoke_succeeded", at, "system:engine", audit::facts::of_end(r));
  }

  // The hand-over of an extension (issue 17): `extension` (its `extends` naming `grant`) takes
  // `grant`'s assignment over at `at` (hand_over on the grant, as the engine writes it).
  void handed_over(AccessRequest grant, const std::string& extension_id, TimePoint at) {
    grant.state = State::revoked;
    grant.end_reason = "extended by " + extension_id;
    grant.ended_at = at;
    add(grant.id, "hand_over", at, "system:engine", audit::facts::of_handed_over(grant, extension_id));
  }

  const std::vector<AuditEvent>& events() const { return events_; }
  std::vector<AuditEvent>& events() { return events_; }
  AuditHead head() const { return head_; }

 private:
  std::vector<AuditEvent> events_;
  AuditHead head_{0, audit::kGenesisHash};
};

}  // namespace jit::testing
