// The facts an audit event proves, written by the engine into AuditEvent::facts and read back by
// whoever must not trust the request row: the engine before a grant (the row must agree with its
// submit and approval events), the expiry timers (the grant event fixes the expiry), `jit audit
// verify` (cross-check) and `jit audit report`. Facts are a JSON object with sorted keys, so
// the same facts always give the same text (and the same MAC). Times are epoch seconds.
//
//   action (AuditEvent::action)    keys
//   submit                         requester account account_id role permission_set_arn
//                                  duration_s reason ticket requester_email principal created_at
//                                  [extends: the grant an extension extends (issue 17); absent
//                                   for a fresh request]
//                                  [bundle: a request filed with others for several accounts
//                                   (issue 17): the id of the bundle's first request, its own id
//                                   included; absent for a request on its own]
//   posted                         channel ts permalink
//   approve_partial, approve,      approver approved reason at approvals needed
//   deny                           (approvals: approvals counted so far, this one included;
//                                   needed: the approvals policy asked for at the click)
//                                  [step_up_credential step_up_assertion: an approval made with
//                                   a security key (issue 15): the credential id and the hex
//                                   SHA-256 of the verified assertion; absent otherwise]
//                                  [on_call_schedule on_call_user on_call_email: an on-call
//                                   auto-approval (issue 17, approver kAutoApprover): the
//                                   schedule PagerDuty was asked about, the PagerDuty user whose
//                                   e-mail matched the requester's, and that e-mail]
//   on_call_checked                schedule on_call answer (an on-call question that approved
//                                  nothing, issue 17: answer "not_on_call" or what failed)
//   credential_enrolled            credential_id cose_alg public_key_sha256 user (request_id:
//                                  audit::credential_trail_id; public_key_sha256: hex of the
//                                  SHA-256 of the key's base64url text)
//   credential_removed             credential_id user (the same request_id)
//   begin_grant                    account_id permission_set_arn principal expires_at
//                                  [session_cutoff scheduled_revoke: true when the role had them
//                                   as the grant began; absent otherwise]
//   cutoff_armed                   cut_at sessions_before statements pruned size size_limit
//                                  provisioning_ms (the deny AWS enforces for the grant, issue 14)
//   revoke_scheduled               at (AWS deletes the assignment then, within the minute)
//   grant_succeeded                granted_at expires_at
//   grant_failed, expire,          ended_at end_reason (ended_at absent while revoking)
//   release, admin_revoke,
//   revoke_succeeded, lapse, cancel
//   revoke_succeeded also          [cutoff_moved_to: when an early end moved the cut-off to then;
//                                   schedule_cancelled: true when its schedule was cancelled]
//   hand_over                      ended_at end_reason extended_by (the extension that took the
//                                  grant's assignment over, issue 17)
//   expiry_mismatch                row_expires_at expires_at (an active row's edited expiry,
//                                  and its begin_grant event's, which the engine restored)
//   reminded                       approvers at (issue 17: the entries mentioned in the thread,
//                                  the role's approvers as policy had them)
//   escalated                      approvers channel at (issue 17: the escalation approvers as
//                                  policy had them, who may decide from then on; channel: the
//                                  escalation channel, absent when there is none)
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"

namespace jit::audit::facts {

using Json = nlohmann::json;

// The facts of the submit event of `r`; `bundle`: the bundle it was filed in ("" for none).
std::string of_submit(const AccessRequest& r, const std::string& bundle = "");
// Where the request was posted; permalink "" when chat.getPermalink gave none.
std::string of_posted(const std::string& channel, const std::string& ts, const std::string& permalink);
// One decision; `approvals` counts approvals so far (this one included), `needed` is policy's;
// `step_up`: the security-key proof the approval was made with, if any.
std::string of_decision(const Decision& d, int approvals, int needed,
                        const std::optional<StepUpProof>& step_up = std::nullopt,
                        const std::optional<OnCallProof>& on_call = std::nullopt);
// The on-call proof an approval event's facts carry (on_call_schedule present and non-empty), or
// nullopt.
std::optional<OnCallProof> on_call_of(const Json& facts);
// on_call_checked: PagerDuty was asked whether the requester is on call on `schedule` and the
// answer approved nothing: `answer` is "not_on_call", "unavailable", "denied", "not_found" or
// "invalid" (Errc names).
std::string of_on_call_checked(const std::string& schedule, const std::string& answer);
// The step-up proof an approval event's facts carry: both keys present and non-empty, or nullopt.
std::optional<StepUpProof> step_up_of(const Json& facts);
// credential_enrolled: `user` enrolled `credential_id` (COSE algorithm `cose_alg`) whose public key
// is `public_key_b64url` (only its hash is kept).
std::string of_credential_enrolled(const std::string& credential_id, int cose_alg,
                                   const std::string& public_key_b64url, const std::string& user);
// credential_removed: `credential_id` of `user` removed.
std::string of_credential_removed(const std::string& credential_id, const std::string& user);
// begin_grant: what is about to be assigned to whom, and until when (r.expires_at must be set), and
// the AWS-side enforcement its role asks for (each key only when true).
std::string of_begin_grant(const AccessRequest& r, bool session_cutoff = false, bool scheduled_revoke = false);
// cutoff_armed: the times of the armed deny and what the permission set's policy held after it.
struct CutoffArmedFacts {
  TimePoint cut_at, sessions_before;
  int statements = 0, pruned = 0, size = 0, size_limit = 0;
  std::int64_t provisioning_ms = 0;
};
std::string of_cutoff_armed(const CutoffArmedFacts& armed);
// revoke_scheduled: when the schedule deletes the assignment.
std::string of_revoke_scheduled(TimePoint at);
// revoke_succeeded: of_end, with what was done of the grant's enforcement at its end.
std::string of_revoked(const AccessRequest& r, std::optional<TimePoint> cutoff_moved_to, bool schedule_cancelled);
// grant_succeeded (r.granted_at and r.expires_at must be set).
std::string of_grant_succeeded(const AccessRequest& r);
// Any end or step towards it: ended_at (when set) and end_reason.
std::string of_end(const AccessRequest& r);
// hand_over: of_end, and the extension that took the grant's assignment over.
std::string of_handed_over(const AccessRequest& r, const std::string& extension_id);
// expiry_mismatch: the expiry found on the row (nullopt: none) and the one its grant event proves.
std::string of_expiry_mismatch(std::optional<TimePoint> row_expires_at, TimePoint expires_at);

// reminded / escalated (issue 17): who was asked to decide (user and user-group ids), where it was
// linked ("" for a reminder, or an escalation with no channel), and when.
std::string of_nudge(const std::vector<std::string>& approvers, const std::string& channel, TimePoint at);
// The entries of a reminded or escalated event's "approvers" (strings only).
std::vector<std::string> approvers_of_nudge(const Json& facts);

// The facts of `e` as a JSON object; an empty object when e.facts is ""; Errc::invalid when
// e.facts is not a JSON object.
Result<Json> read(const AuditEvent& e);

// A field of `facts`: the string, the integer, or nullopt when absent or of another type.
std::optional<std::string> text(const Json& facts, const char* key);
std::optional<std::int64_t> number(const Json& facts, const char* key);

}  // namespace jit::audit::facts
