#include "store/sqlite_rows.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "store/sqlite_schema.h"
#include "store/step_up_purpose.h"

namespace jit::sqlite {

namespace {

std::optional<TimePoint> time_or_empty(const std::optional<std::int64_t>& seconds) {
  if (!seconds) return std::nullopt;
  return from_epoch(*seconds);
}

Result<std::string> decisions_json(const AccessRequest& r) {
  auto array = nlohmann::json::array();
  for (const auto& d : r.decisions)
    array.push_back(
        {{"approver", d.approver}, {"approved", d.approved}, {"reason", d.reason}, {"at", epoch_seconds(d.at)}});
  try {
    return array.dump();
  } catch (const nlohmann::json::exception&) {
    return fail(Error::Invalid(
        fmt::format("request {}: a decision's approver or reason is not valid UTF-8; send it as UTF-8", r.id)));
  }
}

Result<std::vector<Decision>> parse_decisions(const std::string& text, const std::string& id) {
  try {
    std::vector<Decision> decisions;
    for (const auto& d : nlohmann::json::parse(text))
      decisions.push_back({.approver = d.at("approver").get<std::string>(),
                           .approved = d.at("approved").get<bool>(),
                           .reason = d.at("reason").get<std::string>(),
                           .at = from_epoch(d.at("at").get<long long>())});
    return decisions;
  } catch (const nlohmann::json::exception& e) {
    return fail(Error::Internal(fmt::format("request {}: the stored decisions are unreadable: {}", id, e.what())));
  }
}

AuditEvent read_event(const Query& q) {
  using enum AuditColumn;
  return {.seq = q.integer(kSeq),
          .at = from_epoch(q.integer(kAt)),
          .actor = q.text(kActor),
          .action = q.text(kAction),
          .request_id = q.text(kRequestId),
          .from_state = q.text(kFromState),
          .to_state = q.text(kToState),
          .detail = q.text(kDetail),
          .facts = q.text(kFacts),
          .key_id = q.text(kKeyId),
          .prev_hash = q.text(kPrevHash),
          .hash = q.text(kHash)};
}

}  // namespace

std::optional<std::int64_t> epoch_or_null(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return epoch_seconds(*t);
}

Result<> bind_request(Query& q, const AccessRequest& r) {
  auto decisions = decisions_json(r);
  if (!decisions) return fail(decisions.error());
  q.bind(":id", r.id)
      .bind(":version", r.version)
      .bind(":requester", r.requester)
      .bind(":account", r.account)
      .bind(":account_id", r.account_id)
      .bind(":role", r.role)
      .bind(":permission_set_arn", r.permission_set_arn)
      .bind(":duration_seconds", std::int64_t{r.duration.count()})
      .bind(":reason", r.reason)
      .bind(":ticket", r.ticket)
      .bind(":created_at", epoch_seconds(r.created_at))
      .bind(":updated_at", epoch_seconds(r.updated_at))
      .bind(":state", state_name(r.state))
      .bind(":decisions", *decisions)
      .bind(":principal", r.principal)
      .bind(":granted_at", epoch_or_null(r.granted_at))
      .bind(":expires_at", epoch_or_null(r.expires_at))
      .bind(":ended_at", epoch_or_null(r.ended_at))
      .bind(":end_reason", r.end_reason)
      .bind(":lease_owner", r.lease_owner)
      .bind(":lease_until", epoch_or_null(r.lease_until))
      .bind(":chat_channel", r.chat_channel)
      .bind(":chat_ts", r.chat_ts)
      .bind(":requester_email", r.requester_email)
      .bind(":reminded_at", epoch_or_null(r.reminded_at))
      .bind(":escalated_at", epoch_or_null(r.escalated_at))
      .bind(":extends", r.extends);
  return {};
}

Result<AccessRequest> read_request(const Query& q) {
  using enum RequestColumn;
  AccessRequest r;
  r.id = q.text(kId);
  const std::string state = q.text(kState);
  const auto parsed_state = parse_state(state);
  if (!parsed_state) return fail(Error::Internal(fmt::format("request {}: unknown stored state \"{}\"", r.id, state)));
  auto decisions = parse_decisions(q.text(kDecisions), r.id);
  if (!decisions) return fail(decisions.error());
  r.version = q.integer(kVersion);
  r.requester = q.text(kRequester);
  r.account = q.text(kAccount);
  r.account_id = q.text(kAccountId);
  r.role = q.text(kRole);
  r.permission_set_arn = q.text(kPermissionSetArn);
  r.duration = Seconds{q.integer(kDurationSeconds)};
  r.reason = q.text(kReason);
  r.ticket = q.text(kTicket);
  r.created_at = from_epoch(q.integer(kCreatedAt));
  r.updated_at = from_epoch(q.integer(kUpdatedAt));
  r.state = *parsed_state;
  r.decisions = std::move(*decisions);
  r.principal = q.text(kPrincipal);
  r.granted_at = time_or_empty(q.optional_integer(kGrantedAt));
  r.expires_at = time_or_empty(q.optional_integer(kExpiresAt));
  r.ended_at = time_or_empty(q.optional_integer(kEndedAt));
  r.end_reason = q.text(kEndReason);
  r.lease_owner = q.text(kLeaseOwner);
  r.lease_until = time_or_empty(q.optional_integer(kLeaseUntil));
  r.chat_channel = q.text(kChatChannel);
  r.chat_ts = q.text(kChatTs);
  r.requester_email = q.text(kRequesterEmail);
  r.reminded_at = time_or_empty(q.optional_integer(kRemindedAt));
  r.escalated_at = time_or_empty(q.optional_integer(kEscalatedAt));
  r.extends = q.text(kExtends);
  return r;
}

Result<std::vector<AccessRequest>> read_requests(Query& q) {
  std::vector<AccessRequest> requests;
  while (true) {
    auto row = q.step();
    if (!row) return fail(row.error());
    if (!*row) return requests;
    auto request = read_request(q);
    if (!request) return fail(request.error());
    requests.push_back(std::move(*request));
  }
}

void bind_event(Query& q, const AuditEvent& e) {
  q.bind(":seq", e.seq)
      .bind(":at", epoch_seconds(e.at))
      .bind(":actor", e.actor)
      .bind(":action", e.action)
      .bind(":request_id", e.request_id)
      .bind(":from_state", e.from_state)
      .bind(":to_state", e.to_state)
      .bind(":detail", e.detail)
      .bind(":facts", e.facts)
      .bind(":key_id", e.key_id)
      .bind(":prev_hash", e.prev_hash)
      .bind(":hash", e.hash);
}

Result<std::vector<AuditEvent>> read_events(Query& q) {
  std::vector<AuditEvent> events;
  while (true) {
    auto row = q.step();
    if (!row) return fail(row.error());
    if (!*row) return events;
    events.push_back(read_event(q));
  }
}

Result<StepUpChallenge> read_challenge(const Query& q) {
  using enum ChallengeColumn;
  StepUpChallenge c{.id = q.text(kChallengeId)};
  const auto purpose = parse_purpose(q.text(kChallengePurpose));
  if (!purpose)
    return fail(Error::Internal(fmt::format("step-up challenge {}: unknown stored purpose \"{}\"", c.id,
                                            q.text(kChallengePurpose))));
  c.purpose = *purpose;
  c.user_id = q.text(kChallengeUserId);
  c.request_id = q.text(kChallengeRequestId);
  c.action = q.text(kChallengeAction);
  c.nonce = q.text(kChallengeNonce);
  c.created_at = from_epoch(q.integer(kChallengeCreatedAt));
  c.expires_at = from_epoch(q.integer(kChallengeExpiresAt));
  c.used_at = time_or_empty(q.optional_integer(kChallengeUsedAt));
  return c;
}

WebAuthnCredential read_credential(const Query& q) {
  using enum CredentialColumn;
  return {.credential_id = q.text(kCredentialId),
          .user_id = q.text(kCredentialUserId),
          .cose_alg = static_cast<int>(q.integer(kCredentialCoseAlg)),
          .public_key = q.text(kCredentialPublicKey),
          .sign_count = static_cast<std::uint32_t>(q.integer(kCredentialSignCount)),
          .name = q.text(kCredentialName),
          .created_at = from_epoch(q.integer(kCredentialCreatedAt)),
          .last_used_at = time_or_empty(q.optional_integer(kCredentialLastUsedAt))};
}

}  // namespace jit::sqlite
