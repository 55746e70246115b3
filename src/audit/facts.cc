#include "audit/facts.h"

#include "crypto/digest.h"

namespace jit::audit::facts {

namespace {

// nlohmann's json keeps object keys in std::map order, so dump() is canonical; invalid UTF-8
// (which the store refuses anyway) is replaced rather than thrown on.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

std::string of_submit(const AccessRequest& r, const std::string& bundle) {
  Json j{{"requester", r.requester},
         {"account", r.account},
         {"account_id", r.account_id},
         {"role", r.role},
         {"permission_set_arn", r.permission_set_arn},
         {"duration_s", r.duration.count()},
         {"reason", r.reason},
         {"ticket", r.ticket},
         {"requester_email", r.requester_email},
         {"principal", r.principal},
         {"created_at", epoch_seconds(r.created_at)}};
  if (!r.extends.empty()) j["extends"] = r.extends;
  if (!bundle.empty()) j["bundle"] = bundle;
  return dump(j);
}

std::string of_posted(const std::string& channel, const std::string& ts, const std::string& permalink) {
  return dump(Json{{"channel", channel}, {"ts", ts}, {"permalink", permalink}});
}

std::string of_decision(const Decision& d, int approvals, int needed, const std::optional<StepUpProof>& step_up,
                        const std::optional<OnCallProof>& on_call) {
  Json j{{"approver", d.approver},
         {"approved", d.approved},
         {"reason", d.reason},
         {"at", epoch_seconds(d.at)},
         {"approvals", approvals},
         {"needed", needed}};
  if (step_up) {
    j["step_up_credential"] = step_up->credential_id;
    j["step_up_assertion"] = step_up->assertion_sha256;
  }
  if (on_call) {
    j["on_call_schedule"] = on_call->schedule;
    j["on_call_user"] = on_call->pagerduty_user;
    j["on_call_email"] = on_call->email;
  }
  return dump(j);
}

std::optional<OnCallProof> on_call_of(const Json& facts) {
  auto schedule = text(facts, "on_call_schedule");
  if (!schedule || schedule->empty()) return std::nullopt;
  return OnCallProof{.schedule = *schedule,
                     .pagerduty_user = text(facts, "on_call_user").value_or(""),
                     .email = text(facts, "on_call_email").value_or("")};
}

std::string of_on_call_checked(const std::string& schedule, const std::string& answer) {
  return dump(Json{{"schedule", schedule}, {"on_call", false}, {"answer", answer}});
}

std::string of_nudge(const std::vector<std::string>& approvers, const std::string& channel, TimePoint at) {
  Json j{{"approvers", approvers}, {"at", epoch_seconds(at)}};
  if (!channel.empty()) j["channel"] = channel;
  return dump(j);
}

std::vector<std::string> approvers_of_nudge(const Json& facts) {
  std::vector<std::string> out;
  const auto it = facts.find("approvers");
  if (it == facts.end() || !it->is_array()) return out;
  for (const auto& entry : *it)
    if (entry.is_string()) out.push_back(entry.get<std::string>());
  return out;
}

std::optional<StepUpProof> step_up_of(const Json& facts) {
  auto credential = text(facts, "step_up_credential");
  auto assertion = text(facts, "step_up_assertion");
  if (!credential || !assertion || credential->empty() || assertion->empty()) return std::nullopt;
  return StepUpProof{.credential_id = *credential, .assertion_sha256 = *assertion, .challenge_id = ""};
}

std::string of_credential_enrolled(const std::string& credential_id, int cose_alg,
                                   const std::string& public_key_b64url, const std::string& user) {
  return dump(Json{{"credential_id", credential_id},
                   {"cose_alg", cose_alg},
                   {"public_key_sha256", crypto::sha256_hex(public_key_b64url)},
                   {"user", user}});
}

std::string of_credential_removed(const std::string& credential_id, const std::string& user) {
  return dump(Json{{"credential_id", credential_id}, {"user", user}});
}

std::string of_begin_grant(const AccessRequest& r, bool session_cutoff, bool scheduled_revoke) {
  Json j{{"account_id", r.account_id}, {"permission_set_arn", r.permission_set_arn}, {"principal", r.principal}};
  if (r.expires_at) j["expires_at"] = epoch_seconds(*r.expires_at);
  if (session_cutoff) j["session_cutoff"] = true;
  if (scheduled_revoke) j["scheduled_revoke"] = true;
  return dump(j);
}

std::string of_cutoff_armed(const CutoffArmedFacts& a) {
  return dump(Json{{"cut_at", epoch_seconds(a.cut_at)},
                   {"sessions_before", epoch_seconds(a.sessions_before)},
                   {"statements", a.statements},
                   {"pruned", a.pruned},
                   {"size", a.size},
                   {"size_limit", a.size_limit},
                   {"provisioning_ms", a.provisioning_ms}});
}

std::string of_revoke_scheduled(TimePoint at) { return dump(Json{{"at", epoch_seconds(at)}}); }

std::string of_revoked(const AccessRequest& r, std::optional<TimePoint> cutoff_moved_to, bool schedule_cancelled) {
  Json j{{"end_reason", r.end_reason}};
  if (r.ended_at) j["ended_at"] = epoch_seconds(*r.ended_at);
  if (cutoff_moved_to) j["cutoff_moved_to"] = epoch_seconds(*cutoff_moved_to);
  if (schedule_cancelled) j["schedule_cancelled"] = true;
  return dump(j);
}

std::string of_grant_succeeded(const AccessRequest& r) {
  Json j = Json::object();
  if (r.granted_at) j["granted_at"] = epoch_seconds(*r.granted_at);
  if (r.expires_at) j["expires_at"] = epoch_seconds(*r.expires_at);
  return dump(j);
}

std::string of_end(const AccessRequest& r) { return of_revoked(r, std::nullopt, false); }

std::string of_handed_over(const AccessRequest& r, const std::string& extension_id) {
  Json j{{"end_reason", r.end_reason}, {"extended_by", extension_id}};
  if (r.ended_at) j["ended_at"] = epoch_seconds(*r.ended_at);
  return dump(j);
}

std::string of_expiry_mismatch(std::optional<TimePoint> row_expires_at, TimePoint expires_at) {
  Json j{{"expires_at", epoch_seconds(expires_at)}};
  if (row_expires_at) j["row_expires_at"] = epoch_seconds(*row_expires_at);
  return dump(j);
}

Result<Json> read(const AuditEvent& e) {
  if (e.facts.empty()) return Json::object();
  Json j = Json::parse(e.facts, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object())
    return fail(Error::Invalid("audit event " + std::to_string(e.seq) + ": its facts are not a JSON object"));
  return j;
}

std::optional<std::string> text(const Json& facts, const char* key) {
  auto it = facts.find(key);
  if (it == facts.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::int64_t> number(const Json& facts, const char* key) {
  auto it = facts.find(key);
  if (it == facts.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

}  // namespace jit::audit::facts
