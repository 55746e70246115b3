#include "store/dynamodb_items.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "audit/chain.h"
#include "store/step_up_purpose.h"

namespace jit::dynamodb {

namespace {

Json S(std::string_view s) { return string_value(s); }
Json N(std::int64_t n) { return number_value(n); }
Json Bool(bool b) { return {{"BOOL", b}}; }

void put_time(Json& item, std::string_view name, const std::optional<TimePoint>& t) {
  if (t) item[std::string(name)] = N(epoch_seconds(*t));
}

std::string escape_part(std::string_view part) {
  std::string out;
  out.reserve(part.size());
  for (char c : part) {
    if (c == '%') out += "%25";
    else if (c == '#') out += "%23";
    else out += c;
  }
  return out;
}

// Reads typed attributes of one item; the first problem is kept and names the attribute.
class Reader {
 public:
  Reader(const Json& item, std::string_view what) : item_(item), what_(what) {}

  std::string text(std::string_view name) {
    const Json* v = typed(name, "S");
    return v ? v->get<std::string>() : std::string();
  }
  std::int64_t number(std::string_view name) {
    const Json* v = typed(name, "N");
    if (!v) return 0;
    const std::string s = v->get<std::string>();
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || end != s.data() + s.size()) problem(name, fmt::format("\"{}\" is not an integer", s));
    return out;
  }
  TimePoint time(std::string_view name) { return from_epoch(number(name)); }
  // "" when absent (an attribute added after items were written).
  std::string optional_text(std::string_view name) { return item_.contains(name) ? text(name) : std::string(); }
  std::optional<TimePoint> optional_time(std::string_view name) {
    if (!item_.contains(name)) return std::nullopt;
    return time(name);
  }
  bool boolean(std::string_view name) {
    const Json* v = typed(name, "BOOL");
    return v ? v->get<bool>() : false;
  }
  const Json* list(std::string_view name) { return typed(name, "L"); }

  void problem(std::string_view name, std::string text) {
    if (!error_) error_ = fmt::format("{}: attribute {} {}", what_, name, text);
  }
  const std::optional<std::string>& error() const { return error_; }

 private:
  const Json* typed(std::string_view name, const char* type) {
    auto it = item_.find(name);
    if (it == item_.end()) {
      problem(name, "is missing");
      return nullptr;
    }
    if (!it->is_object() || !it->contains(type) || (std::string_view(type) == "S" && !(*it)[type].is_string()) ||
        (std::string_view(type) == "N" && !(*it)[type].is_string()) ||
        (std::string_view(type) == "BOOL" && !(*it)[type].is_boolean()) ||
        (std::string_view(type) == "L" && !(*it)[type].is_array())) {
      problem(name, fmt::format("is not of type {}", type));
      return nullptr;
    }
    return &(*it)[type];
  }

  const Json& item_;
  std::string what_;
  std::optional<std::string> error_;
};

// "REQ#r-1" for an item whose pk is that, for error messages.
std::string describe(const Json& item) {
  auto it = item.find(kPartitionKey);
  if (it != item.end() && it->is_object() && it->contains("S") && (*it)["S"].is_string())
    return fmt::format("item {}", (*it)["S"].get<std::string>());
  return "item without pk";
}

}  // namespace

Json string_value(std::string_view s) { return {{"S", std::string(s)}}; }
Json number_value(std::int64_t n) { return {{"N", std::to_string(n)}}; }

std::string sortable(std::int64_t value) { return fmt::format("{:020}", std::max<std::int64_t>(value, 0)); }

Json key(std::string_view pk, std::string_view sk) {
  return {{std::string(kPartitionKey), S(pk)}, {std::string(kSortKey), S(sk)}};
}

Json request_key(std::string_view id) { return key(fmt::format("REQ#{}", id), "REQ"); }
Json audit_event_key(std::int64_t seq) { return key(kAuditPartition, "EVT#" + sortable(seq)); }
Json audit_head_key() { return key(kAuditPartition, kAuditHeadSort); }
Json request_audit_key(std::string_view request_id, std::int64_t seq) {
  return key(fmt::format("REQ#{}", request_id), "EVT#" + sortable(seq));
}
Json live_grant_key(std::string_view request_id) { return key(fmt::format("GRANT#{}", request_id), "GRANT"); }

Json open_lock_key(const AccessRequest& r, OpenSlot slot) {
  return key(fmt::format("OPEN#{}#{}#{}", escape_part(r.requester), escape_part(r.account), escape_part(r.role)),
             slot == OpenSlot::main ? "OPEN" : "EXTEND");
}

Json open_lock_key(const AccessRequest& r) { return open_lock_key(r, open_slot_of(r)); }

Json named_lock_key(std::string_view name) { return key(fmt::format("LOCK#{}", name), "LOCK"); }

Json named_lock_item(std::string_view name, std::string_view owner, TimePoint until) {
  Json item = named_lock_key(name);
  item["owner"] = string_value(owner);
  item["until"] = number_value(epoch_seconds(until));
  item[std::string(kTtlAttribute)] = number_value(epoch_seconds(until) + 24 * 3600);
  return item;
}

std::optional<std::string> expiry_partition(State state) {
  if (!holds_access(state)) return std::nullopt;
  return fmt::format("EXPIRY#{}", state_name(state));
}

std::optional<std::string> age_partition(State state) {
  if (state != State::pending && !is_in_flight(state)) return std::nullopt;
  return fmt::format("AGE#{}", state_name(state));
}

std::string requester_partition(std::string_view requester) { return fmt::format("REQUESTER#{}", requester); }

Json request_item(const AccessRequest& r) {
  Json item = request_key(r.id);
  item["id"] = S(r.id);
  item["version"] = N(r.version);
  item["requester"] = S(r.requester);
  item["account"] = S(r.account);
  item["account_id"] = S(r.account_id);
  item["role"] = S(r.role);
  item["permission_set_arn"] = S(r.permission_set_arn);
  item["duration"] = N(r.duration.count());
  item["reason"] = S(r.reason);
  item["ticket"] = S(r.ticket);
  item["created_at"] = N(epoch_seconds(r.created_at));
  item["updated_at"] = N(epoch_seconds(r.updated_at));
  item["state"] = S(state_name(r.state));
  Json decisions = Json::array();
  for (const Decision& d : r.decisions)
    decisions.push_back({{"M",
                          {{"approver", S(d.approver)},
                           {"approved", Bool(d.approved)},
                           {"reason", S(d.reason)},
                           {"at", N(epoch_seconds(d.at))}}}});
  item["decisions"] = {{"L", std::move(decisions)}};
  item["principal"] = S(r.principal);
  put_time(item, "granted_at", r.granted_at);
  put_time(item, "expires_at", r.expires_at);
  put_time(item, "ended_at", r.ended_at);
  item["end_reason"] = S(r.end_reason);
  item["lease_owner"] = S(r.lease_owner);
  put_time(item, "lease_until", r.lease_until);
  item["chat_channel"] = S(r.chat_channel);
  item["chat_ts"] = S(r.chat_ts);
  item["requester_email"] = S(r.requester_email);
  put_time(item, "reminded_at", r.reminded_at);
  put_time(item, "escalated_at", r.escalated_at);
  item["extends"] = S(r.extends);

  // Index keys. Key attributes of an index may not be empty strings, hence the prefixes.
  const std::string id_suffix = "#" + r.id;
  if (auto p = expiry_partition(r.state)) {
    item[std::string(kExpiryIndex.partition_key)] = S(*p);
    item[std::string(kExpiryIndex.sort_key)] =
        S(sortable(r.expires_at ? epoch_seconds(*r.expires_at) : 0) + id_suffix);
  }
  if (auto p = age_partition(r.state)) {
    const TimePoint age = r.state == State::pending ? r.created_at : r.updated_at;
    item[std::string(kAgeIndex.partition_key)] = S(*p);
    item[std::string(kAgeIndex.sort_key)] = S(sortable(epoch_seconds(age)) + id_suffix);
  }
  const std::string created = sortable(epoch_seconds(r.created_at)) + id_suffix;
  item[std::string(kRequesterIndex.partition_key)] = S(requester_partition(r.requester));
  item[std::string(kRequesterIndex.sort_key)] = S(created);
  item[std::string(kCreatedIndex.partition_key)] = S(kCreatedPartition);
  item[std::string(kCreatedIndex.sort_key)] = S(created);
  return item;
}

Result<AccessRequest> request_from_item(const Json& item) {
  Reader in(item, describe(item));
  AccessRequest r;
  r.id = in.text("id");
  r.version = in.number("version");
  r.requester = in.text("requester");
  r.account = in.text("account");
  r.account_id = in.text("account_id");
  r.role = in.text("role");
  r.permission_set_arn = in.text("permission_set_arn");
  r.duration = Seconds{in.number("duration")};
  r.reason = in.text("reason");
  r.ticket = in.text("ticket");
  r.created_at = in.time("created_at");
  r.updated_at = in.time("updated_at");
  const std::string state = in.text("state");
  if (auto parsed = parse_state(state)) r.state = *parsed;
  else if (!in.error()) in.problem("state", fmt::format("has unknown state \"{}\"", state));
  if (const Json* list = in.list("decisions")) {
    for (const Json& entry : *list) {
      if (!entry.is_object() || !entry.contains("M") || !entry["M"].is_object()) {
        in.problem("decisions", "has an entry that is not a map");
        break;
      }
      Reader d(entry["M"], describe(item) + " decision");
      r.decisions.push_back(
          {.approver = d.text("approver"), .approved = d.boolean("approved"), .reason = d.text("reason"), .at = d.time("at")});
      if (d.error()) return fail(Error::Internal(*d.error()));
    }
  }
  r.principal = in.text("principal");
  r.granted_at = in.optional_time("granted_at");
  r.expires_at = in.optional_time("expires_at");
  r.ended_at = in.optional_time("ended_at");
  r.end_reason = in.text("end_reason");
  r.lease_owner = in.text("lease_owner");
  r.lease_until = in.optional_time("lease_until");
  r.chat_channel = in.text("chat_channel");
  r.chat_ts = in.text("chat_ts");
  r.requester_email = in.optional_text("requester_email");
  r.reminded_at = in.optional_time("reminded_at");
  r.escalated_at = in.optional_time("escalated_at");
  r.extends = in.optional_text("extends");
  if (in.error()) return fail(Error::Internal(*in.error()));
  return r;
}

Json open_lock_item(const AccessRequest& r) {
  Json item = open_lock_key(r);
  item["request_id"] = S(r.id);
  return item;
}

Json live_grant_item(const AccessRequest& r) {
  Json item = live_grant_key(r.id);
  item["request_id"] = S(r.id);
  item["state"] = S(state_name(r.state));
  item["principal"] = S(r.principal);
  item["requester"] = S(r.requester);
  item["account"] = S(r.account);
  item["account_id"] = S(r.account_id);
  item["role"] = S(r.role);
  item["permission_set_arn"] = S(r.permission_set_arn);
  put_time(item, "granted_at", r.granted_at);
  put_time(item, "expires_at", r.expires_at);
  put_time(item, kTtlAttribute, r.expires_at);
  return item;
}

Json audit_event_item(const AuditEvent& e) {
  Json item = audit_event_key(e.seq);
  item["seq"] = N(e.seq);
  item["at"] = N(epoch_seconds(e.at));
  item["actor"] = S(e.actor);
  item["action"] = S(e.action);
  item["request_id"] = S(e.request_id);
  item["from_state"] = S(e.from_state);
  item["to_state"] = S(e.to_state);
  item["detail"] = S(e.detail);
  item["facts"] = S(e.facts);
  item["key_id"] = S(e.key_id);
  item["prev_hash"] = S(e.prev_hash);
  item["hash"] = S(e.hash);
  return item;
}

Json request_audit_item(const AuditEvent& e) {
  Json item = audit_event_item(e);
  const Json copy_key = request_audit_key(e.request_id, e.seq);
  item[kPartitionKey] = copy_key[kPartitionKey];
  item[kSortKey] = copy_key[kSortKey];
  return item;
}

Result<AuditEvent> audit_event_from_item(const Json& item) {
  Reader in(item, "audit event item");
  AuditEvent e;
  e.seq = in.number("seq");
  e.at = in.time("at");
  e.actor = in.text("actor");
  e.action = in.text("action");
  e.request_id = in.text("request_id");
  e.from_state = in.text("from_state");
  e.to_state = in.text("to_state");
  e.detail = in.text("detail");
  e.facts = in.optional_text("facts");
  e.key_id = in.optional_text("key_id");
  e.prev_hash = in.text("prev_hash");
  e.hash = in.text("hash");
  if (in.error()) return fail(Error::Internal(*in.error()));
  return e;
}

Json challenge_key(std::string_view id) { return key(fmt::format("STEPUP#{}", id), "STEPUP"); }

Json challenge_item(const StepUpChallenge& c) {
  Json item = challenge_key(c.id);
  item["id"] = S(c.id);
  item["purpose"] = S(purpose_name(c.purpose));
  item["user_id"] = S(c.user_id);
  item["request_id"] = S(c.request_id);
  item["action"] = S(c.action);
  item["nonce"] = S(c.nonce);
  item["created_at"] = N(epoch_seconds(c.created_at));
  item["expires_at"] = N(epoch_seconds(c.expires_at));
  put_time(item, "used_at", c.used_at);
  item[std::string(kTtlAttribute)] = N(epoch_seconds(c.expires_at) + 24 * 3600);
  return item;
}

Result<StepUpChallenge> challenge_from_item(const Json& item) {
  Reader in(item, describe(item));
  StepUpChallenge c;
  c.id = in.text("id");
  const std::string purpose = in.text("purpose");
  if (auto parsed = parse_purpose(purpose)) c.purpose = *parsed;
  else if (!in.error()) in.problem("purpose", fmt::format("has unknown purpose \"{}\"", purpose));
  c.user_id = in.text("user_id");
  c.request_id = in.text("request_id");
  c.action = in.text("action");
  c.nonce = in.text("nonce");
  c.created_at = in.time("created_at");
  c.expires_at = in.time("expires_at");
  c.used_at = in.optional_time("used_at");
  if (in.error()) return fail(Error::Internal(*in.error()));
  return c;
}

Json credential_claim_key(std::string_view credential_id) {
  return key(fmt::format("WEBAUTHN#{}", credential_id), "WEBAUTHN");
}

Json credential_claim_item(const WebAuthnCredential& c, std::string_view claim_token) {
  Json item = credential_claim_key(c.credential_id);
  item["user_id"] = S(c.user_id);
  item["claim"] = S(claim_token);
  return item;
}

std::string user_credentials_partition(std::string_view user_id) { return fmt::format("WEBAUTHN_USER#{}", user_id); }

Json credential_key(std::string_view user_id, std::string_view credential_id) {
  return key(user_credentials_partition(user_id), fmt::format("WEBAUTHN#{}", credential_id));
}

Json credential_item(const WebAuthnCredential& c, std::string_view claim_token) {
  Json item = credential_key(c.user_id, c.credential_id);
  item["claim"] = S(claim_token);
  item["credential_id"] = S(c.credential_id);
  item["user_id"] = S(c.user_id);
  item["cose_alg"] = N(c.cose_alg);
  item["public_key"] = S(c.public_key);
  item["sign_count"] = N(c.sign_count);
  item["name"] = S(c.name);
  item["created_at"] = N(epoch_seconds(c.created_at));
  put_time(item, "last_used_at", c.last_used_at);
  return item;
}

Result<WebAuthnCredential> credential_from_item(const Json& item) {
  Reader in(item, describe(item));
  WebAuthnCredential c;
  c.credential_id = in.text("credential_id");
  c.user_id = in.text("user_id");
  c.cose_alg = static_cast<int>(in.number("cose_alg"));
  c.public_key = in.text("public_key");
  const std::int64_t count = in.number("sign_count");
  if (count < 0 || count > std::numeric_limits<std::uint32_t>::max())
    in.problem("sign_count", fmt::format("{} is out of range", count));
  c.sign_count = static_cast<std::uint32_t>(count);
  c.name = in.text("name");
  c.created_at = in.time("created_at");
  c.last_used_at = in.optional_time("last_used_at");
  if (in.error()) return fail(Error::Internal(*in.error()));
  return c;
}

Json audit_head_item(const AuditHead& head) {
  Json item = audit_head_key();
  item["seq"] = N(head.seq);
  item["hash"] = S(head.hash);
  return item;
}

Result<AuditHead> audit_head_from_item(const std::optional<Json>& item) {
  if (!item) return AuditHead{0, audit::kGenesisHash};
  Reader in(*item, "audit head item");
  AuditHead head{in.number("seq"), in.text("hash")};
  if (in.error()) return fail(Error::Internal(*in.error()));
  return head;
}

std::string index_sort_value(const Json& item, const IndexSpec& index) {
  auto it = item.find(index.sort_key);
  if (it == item.end() || !it->is_object() || !it->contains("S")) return {};
  return (*it)["S"].get<std::string>();
}

}  // namespace jit::dynamodb
