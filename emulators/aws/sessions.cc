// AWS sessions opened through an account assignment, and the answer to "is a request in this
// session allowed now?", evaluated against the policy provisioned to the session's account
// (session_policy.h). Also the control API that exposes them (README.md, "Sessions").
#include <fmt/format.h>

#include <algorithm>

#include "core/time.h"
#include "emulator_state.h"
#include "net/http.h"

namespace jit::emulators {

using json = nlohmann::json;
using std::chrono::system_clock;

std::expected<EmulatedSession, ApiError> EmulatorState::open_session(const std::string& principal,
                                                                     const std::string& account,
                                                                     const std::string& permission_set_arn) {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  settle(now);
  const bool assigned = std::any_of(assignments_.begin(), assignments_.end(), [&](const Assignment& a) {
    return a.instance_arn == options_.instance_arn && a.account_id == account &&
           a.permission_set_arn == permission_set_arn && a.principal_type == "USER" && a.principal_id == principal;
  });
  if (!assigned)
    return std::unexpected(ApiError{409, "NoAssignment",
                                    fmt::format("user {} has no assignment of {} on account {} now", principal,
                                                permission_set_arn, account)});
  const auto& set = known_permission_set(permission_set_arn);
  const auto duration = parse_iso_duration(set.session_duration).value_or(std::chrono::hours(1));
  EmulatedSession session;
  session.id = new_uuid_locked();
  session.issued_at = std::chrono::floor<std::chrono::seconds>(now);
  session.expires_at = session.issued_at + duration;
  account_sessions_.push_back({session, principal, account, permission_set_arn});
  return session;
}

std::expected<SessionVerdict, ApiError> EmulatorState::session_allowed(const std::string& id,
                                                                       std::optional<system_clock::time_point> at) {
  std::lock_guard lock(mutex_);
  const auto now = at.value_or(clock_());
  settle(clock_());
  auto found = std::find_if(account_sessions_.begin(), account_sessions_.end(),
                            [&](const AccountSession& s) { return s.session.id == id; });
  if (found == account_sessions_.end())
    return std::unexpected(ApiError{404, "NoSession", fmt::format("no session {}", id)});
  if (now >= found->session.expires_at) return SessionVerdict{false, "expired", ""};
  auto copy = provisioned_.find({found->permission_set_arn, found->account});
  const std::string document = copy == provisioned_.end() ? "" : copy->second;
  auto verdict = evaluate_session(document, {found->principal, found->account, found->session.issued_at, now});
  if (!verdict)
    return std::unexpected(ApiError{422, "PolicyNotEvaluable",
                                    fmt::format("cannot evaluate the policy provisioned to {} for {}{}: {}", found->account,
                                                found->permission_set_arn,
                                                verdict.error().statement.empty() ? "" : " (statement " + verdict.error().statement + ")",
                                                verdict.error().message),
                                    {{"statement", verdict.error().statement}}});
  return *verdict;
}

std::expected<std::optional<system_clock::time_point>, std::string> at_parameter(std::string_view query) {
  const auto form = net::parse_form(query);
  auto given = form.find("at");
  if (given == form.end()) return std::nullopt;
  auto parsed = parse_time(given->second);
  if (!parsed || given->second.size() != 20)
    return std::unexpected(fmt::format("'at' must be a time like 2026-12-03T15:16:29Z, not '{}'", given->second));
  return std::optional<system_clock::time_point>(*parsed);
}

std::pair<int, json> verdict_answer(const std::expected<SessionVerdict, ApiError>& verdict) {
  if (verdict)
    return {200, json{{"allowed", verdict->allowed}, {"reason", verdict->reason}, {"statement", verdict->statement}}};
  const ApiError& e = verdict.error();
  json out = {{"error", e.message}};
  if (e.status == 422) out.update({{"allowed", false}, {"reason", "error: " + e.message}, {"statement", e.extra.value("statement", "")}});
  return {e.status, out};
}

std::optional<std::pair<int, json>> EmulatorState::session_control(std::string_view method, std::string_view path,
                                                                   std::string_view query, std::string_view body) {
  if (path == "permission-sets" && method == "GET") return std::make_pair(200, permission_sets());
  if (path == "sessions" && method == "POST") {
    const json input = json::parse(body, nullptr, false);
    const bool ok = input.is_object() && input.value("principal", json()).is_string() &&
                    input.value("account", json()).is_string() && input.value("permission_set", json()).is_string();
    if (!ok)
      return std::make_pair(400, json{{"error", "the body must be {\"principal\": user id, \"account\": 12 digits, "
                                                "\"permission_set\": ARN}, all strings"}});
    auto session = open_session(input["principal"], input["account"], input["permission_set"]);
    if (!session) return std::make_pair(session.error().status, json{{"error", session.error().message}});
    return std::make_pair(200, json{{"id", session->id},
                                    {"issued_at", iso8601(session->issued_at)},
                                    {"expires_at", iso8601(session->expires_at)}});
  }
  if (path.starts_with("sessions/") && method == "GET") {
    auto at = at_parameter(query);
    if (!at) return std::make_pair(400, json{{"error", at.error()}});
    return verdict_answer(session_allowed(std::string(path.substr(9)), *at));
  }
  return std::nullopt;
}

}  // namespace jit::emulators
