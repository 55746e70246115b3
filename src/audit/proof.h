// What a request's own audit events prove, set against its row: the check the engine makes before
// a grant (a row the chain does not explain is refused), the expiry the timers and the sweeper
// trust (the begin_grant event's, not the row's column), and `jit audit verify`'s cross-check of
// the requests table. Pure: the caller reads the events (Store::audit_events({.request_id})).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/keyring.h"
#include "core/error.h"
#include "core/model.h"
#include "core/policy.h"

namespace jit::audit {

// One way the row and its chain disagree (or the chain alone is wrong).
struct Mismatch {
  std::string field;  // a row field ("requester", "expires_at", …) or what is wrong ("submit", "event 12")
  std::string row;    // the row's value ("" when the problem is the chain's alone)
  std::string chain;  // what the chain says ("" when it says nothing)
  // True when the chain and the row agree but policy as it is now does not (a policy change, not
  // an edit of the store: the engine's own policy checks at grant explain those to people).
  bool policy = false;

  // "field: row X, chain Y", or the chain's own problem.
  std::string describe() const;
};

// What the chain proves about one request.
struct Proof {
  std::string requester, account, account_id, role, permission_set_arn, principal;
  std::vector<std::string> approvers;   // distinct approvers of its approval events, in order
  std::vector<std::string> stepped_up;  // those of `approvers` whose event carries a security-key
                                        // step-up (facts::step_up_of), in order
  // The schedule an auto-approval's event names (facts::on_call_of; issue 17): "" for a plain
  // auto-approval, or when there is none.
  std::string on_call_schedule;
  // Nobody answers (issue 17): the escalation approvers the first `escalated` event named (policy's
  // then; empty when the chain holds no escalation), and the approvers whose approval event comes
  // after it, in order. Only those may count as escalation approvers, and only when they match
  // `escalated_to` (the caller, who knows people's groups, checks that).
  std::vector<std::string> escalated_to;
  std::vector<std::string> approved_after_escalation;
  std::string extends;                  // the submit event's: the grant an extension extends ("" none)
  std::string handed_over_to;           // the hand_over event's extension ("" when none)
  bool approved = false;                // a final approve event is in the chain
  bool has_grant = false;               // a begin_grant event is in the chain
  std::optional<TimePoint> expires_at;  // the begin_grant event's expiry (nullopt: no grant, or an
                                        // event from before facts were written)
};

struct Examination {
  Proof proof;
  std::vector<Mismatch> mismatches;  // empty when the chain explains the row
};

// Checks `events` (the request's events, in seq order) against `row`: every event is what was
// sealed (audit::check_event) and is the request's; exactly one submit event, with facts, that
// agrees with the row (requester, account, account_id, role, permission_set_arn, duration_s,
// reason, ticket, requester_email, principal, created_at); approval events from distinct
// approvers, none the requester, that agree with the row's approvals; no event that ended the
// request (deny, cancel, lapse, grant_failed, revoke_succeeded) while the row holds or may hold
// access, and no start of a revocation while it is approved, granting or active; a begin_grant
// event (one at most) for a row that is granting, active or revoking, none for an approved one,
// agreeing with the row's account_id, permission set, principal and expiry; a grant_succeeded
// event for an active or revoking row. With `policy`: the account and role still exist with the
// account id and permission set the chain recorded, and the approvals number at least what the
// role needs now, and for a role with step_up now, as many approval events carrying a step-up
// (facts::step_up_of). Without it (a grant already given): the chain alone.
Examination examine_request(const AccessRequest& row, const std::vector<AuditEvent>& events, const Keyring& keys,
                            const Policy* policy);

// Issue 17: why the handover of grant `grant_id` (whose chain proves `grant`) to `extension_id`
// (whose chain proves `extension`) is not explained, or "" when it is: the grant's hand_over event
// names the extension, and the extension's own submit event extends the grant and its chain holds
// its final approval. (Whether that approval was what policy required is examine_request's, on
// the extension's events.)
std::string handover_problem(const std::string& grant_id, const Proof& grant, const std::string& extension_id,
                             const Proof& extension);

// For a role with step_up: "" when at least role.approvals_required approval events of `proof`
// carry a security-key step-up; otherwise what is missing ("role R needs each approval made with a
// security key, but only N of the M approvals needed were"), the reason a grant is refused.
std::string step_up_shortfall(const Proof& proof, const RolePolicy& role);
// Issue 17: "" when `proof` holds no approval by kAutoApprover, or when `role` (policy now) still
// explains it (auto_approval_stands: the role auto-approves, or names the schedule the on-call
// approval's event names); otherwise why it does not, the reason a grant is refused.
std::string automatic_shortfall(const Proof& proof, const RolePolicy& role);

// "the audit trail does not explain request ID: …" naming each of `mismatches` (those that are
// policy changes only `with_policy`); "" when none is named.
std::string unexplained(const std::string& request_id, const std::vector<Mismatch>& mismatches, bool with_policy);

// examine_request with policy, as the grant path needs it: the proof, or Errc::denied naming
// every mismatch ("the audit trail does not explain request r…: …").
Result<Proof> prove_request(const AccessRequest& row, const std::vector<AuditEvent>& events, const Keyring& keys,
                            const Policy& policy);

}  // namespace jit::audit
