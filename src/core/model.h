// The entities of the domain. Plain values: no I/O, no behaviour beyond small derivations.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/lifecycle.h"
#include "core/time.h"

namespace jit {

// One approver's decision on a request.
struct Decision {
  std::string approver;  // Slack user id
  bool approved = false;
  std::string reason;    // optional for approvals, optional for denials
  TimePoint at{};

  bool operator==(const Decision&) const = default;
};

// What a WebAuthn step-up proved for one approval (issue 15): which enrolled credential signed
// which single-use challenge. Engine::approve takes it for a role with step_up and records it in
// the approval's audit event; the step-up service (src/stepup) makes it only after verifying the
// assertion (stepup/webauthn.h) for this request, this approver and the action "approve".
struct StepUpProof {
  std::string credential_id;     // base64url, as enrolled
  std::string assertion_sha256;  // hex (VerifiedAssertion::assertion_sha256)
  std::string challenge_id;      // the link's token that was consumed
  bool operator==(const StepUpProof&) const = default;
};

// What PagerDuty said when an on-call auto-approval was made (issue 17): the requester (by their
// e-mail address) was on call on `schedule` at the moment of the approval, as PagerDuty user
// `pagerduty_user`. Recorded in the approval's audit event (audit/facts.h).
struct OnCallProof {
  std::string schedule;        // the role's auto_approve_if_on_call
  std::string pagerduty_user;  // PagerDuty's id of the on-call user whose e-mail matched
  std::string email;           // the requester's e-mail, as matched
  bool operator==(const OnCallProof&) const = default;
};

// An access request and, once approval is given, the grant it becomes. One row, one version:
// every change is a conditional write on `version`.
struct AccessRequest {
  std::string id;
  std::int64_t version = 0;  // 1 after the first write; each write adds one

  std::string requester;           // Slack user id
  std::string account;             // account name from policy
  std::string account_id;          // 12-digit AWS account id
  std::string role;                // role name from policy
  std::string permission_set_arn;  // what the provider assigns
  Seconds duration{};
  std::string reason;
  std::string ticket;  // empty when the role needs none
  TimePoint created_at{};
  TimePoint updated_at{};

  State state = State::pending;
  std::vector<Decision> decisions;

  // Who will receive the access, found at submit: the requester's e-mail in Slack and the provider
  // principal it resolved to. The grant is refused when either differs at grant time. Both ""
  // on rows stored before they were kept (the principal is then found at grant time).
  std::string requester_email;
  std::string principal;               // provider principal (identity-store user id)

  // The grant this request extends (issue 17: "Request more time"): the id of the requester's
  // active grant of the same account and role, fixed at submit; "" for a fresh request. Approved
  // before that grant ends, this request's grant takes its assignment over (the old one ends with
  // Action::hand_over, nothing revoked in AWS); approved after, it is an ordinary grant.
  std::string extends;

  // Grant facts, set from `granting` on.
  std::optional<TimePoint> granted_at; // when the provider confirmed the assignment
  std::optional<TimePoint> expires_at; // fixed when granting starts; never moves
  std::optional<TimePoint> ended_at;   // revoked / denied / cancelled / expired / failed
  std::string end_reason;              // "expired", "released by U…", "revoked by U…: …", error text

  // Who is working on an in-flight step (granting, revoking) and until when. Another instance
  // takes over only after `lease_until` has passed.
  std::string lease_owner;
  std::optional<TimePoint> lease_until;

  // Where the request was posted in chat ("" until posted).
  std::string chat_channel;
  std::string chat_ts;

  // Nobody answers (issue 17): when the sweeper re-announced the pending request in its thread
  // (`reminded` event), and when it escalated it to the escalation approvers (`escalated` event).
  // Each is set once, by a conditional write with its event. An escalation approver's click counts
  // only once escalated_at is set, and a grant only when the chain holds the `escalated` event.
  std::optional<TimePoint> reminded_at;
  std::optional<TimePoint> escalated_at;

  bool operator==(const AccessRequest&) const = default;
};

// The open-slot rule every Store enforces (ports/store.h): the open requests of one (requester,
// account, role) take one of two slots. Every request takes the main slot, except an extension
// (`extends` set) until it is active: it waits for its decision and its grant in the extension
// slot, beside the grant it extends, and takes the main slot when its own grant is active (the
// grant it extended has ended by then: the engine hands over before it records its own).
enum class OpenSlot { main, extension };
OpenSlot open_slot_of(State state, const std::string& extends);
inline OpenSlot open_slot_of(const AccessRequest& r) { return open_slot_of(r.state, r.extends); }

// Another open request of the same requester, account and role, as a store sees it.
struct OpenRow {
  std::string id;
  State state = State::pending;
  std::string extends;
};

// Why `r` (open) may not be stored beside `others` (the other open requests of its requester,
// account and role, never `r` itself), or nullopt when it may. `entering`: `r` was not in its
// slot before this write (it is new, or it moves from one slot to the other). At most one request
// per slot; a request enters the extension slot only while the grant it extends holds the main
// one, and the main slot only while nobody else holds the extension slot.
std::optional<std::string> open_slot_conflict(const AccessRequest& r, bool entering, const std::vector<OpenRow>& others);

// The grant view of a request that holds (or held) access.
struct Grant {
  std::string request_id;
  std::string principal;
  std::string requester;
  std::string account;
  std::string account_id;
  std::string role;
  std::string permission_set_arn;
  std::optional<TimePoint> granted_at;
  TimePoint expires_at{};
  State state = State::granting;  // granting, active, revoking, revoked or failed
  std::optional<TimePoint> ended_at;
  std::string end_reason;
};

// The grant of a request, if it ever reached `granting`.
std::optional<Grant> grant_of(const AccessRequest& r);

// One entry of the append-only audit trail. `seq`, `prev_hash` and `hash` are filled in by the
// store when the event is appended; they chain each event to the one before it.
struct AuditEvent {
  std::int64_t seq = 0;
  TimePoint at{};
  std::string actor;       // Slack user id, or "system:<component>"
  std::string action;      // an Action name, or another verb for non-transition events
  std::string request_id;  // "" for events about no request
  std::string from_state;  // "" when not a transition
  std::string to_state;
  std::string detail;      // reason, error text, or other facts worth keeping, for people
  std::string facts;       // the facts the event proves, as a JSON object for programs
                           // (audit/facts.h: keys sorted); "" when it proves none
  std::string key_id;      // the audit key that sealed it; "" when the trail is unkeyed
  std::string prev_hash;
  std::string hash;

  bool operator==(const AuditEvent&) const = default;
};

}  // namespace jit
