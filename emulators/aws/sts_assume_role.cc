// STS AssumeRole for the IAM-role path: the caller is the principal of its access key, the target
// role's trust policy is evaluated for sts:AssumeRole (and sts:SetSourceIdentity when the new
// session carries a source identity) on the emulator clock, and the credentials issued are
// remembered with their role, source identity and issue time, for the signature check and for the
// role-session evaluator (the role's inline denies, session_policy.h).
#include <fmt/format.h>

#include "core/time.h"
#include "iam_service.h"
#include "query_replies.h"
#include "temporary_credentials.h"
#include "trust_evaluation.h"
#include "validation.h"

namespace jit::emulators {

using json = nlohmann::json;
using std::chrono::system_clock;

namespace {

// "arn:aws:iam::123456789012:..." / "arn:aws:sts::123456789012:..." -> "123456789012"
std::string account_of(std::string_view arn) {
  const auto start = arn.find("::");
  if (start == std::string_view::npos) return "";
  const auto end = arn.find(':', start + 2);
  return std::string(arn.substr(start + 2, end == std::string_view::npos ? std::string_view::npos : end - start - 2));
}

// What AssumeRole takes that the emulator does not model: refused, not ignored.
constexpr std::string_view kUnsupported[] = {"Policy", "PolicyArns", "Tags", "TransitiveTagKeys", "SerialNumber",
                                             "TokenCode", "ProvidedContexts"};

}  // namespace

IamService::Caller IamService::caller_of(std::string_view access_key_id) {
  if (auto session = role_sessions_.find(std::string(access_key_id)); session != role_sessions_.end()) {
    const RoleSession& s = session->second;
    return {fmt::format("arn:aws:sts::{}:assumed-role/{}/{}", s.account, s.role_name, s.session_name),
            s.role_arn, s.account, s.source_identity, true};
  }
  std::optional<EmulatedPrincipal> principal;
  if (auto seeded = principals_.find(std::string(access_key_id)); seeded != principals_.end()) principal = seeded->second;
  else if (auto web = lookup_ ? lookup_(access_key_id) : std::nullopt) principal = EmulatedPrincipal{"", "", *web};
  if (principal) {
    const EmulatedPrincipal& p = *principal;
    const std::string account = account_of(p.principal_arn);
    if (p.principal_arn.starts_with("arn:aws:sts::")) {  // assumed-role/<role>/<session>
      const auto role_start = p.principal_arn.find("assumed-role/") + 13;
      const auto role_end = p.principal_arn.find('/', role_start);
      return {p.principal_arn,
              fmt::format("arn:aws:iam::{}:role/{}", account, p.principal_arn.substr(role_start, role_end - role_start)),
              account, p.source_identity, true};
    }
    if (p.principal_arn.find(":role/") != std::string::npos)
      return {fmt::format("arn:aws:sts::{}:assumed-role/{}/emulator-session", account,
                          p.principal_arn.substr(p.principal_arn.rfind('/') + 1)),
              p.principal_arn, account, p.source_identity, true};
    return {p.principal_arn, p.principal_arn, account, p.source_identity, false};
  }
  const std::string admin = fmt::format("arn:aws:iam::{}:user/jit-emulator", options_.account_id);
  return {admin, admin, options_.account_id, "", false};
}

std::vector<aws::Credentials> IamService::credentials() {
  std::lock_guard lock(mutex_);
  std::vector<aws::Credentials> out;
  for (const auto& [key, p] : principals_) out.push_back({p.access_key_id, p.secret_access_key, p.session_token});
  const auto now = clock_();
  for (const auto& [key, s] : role_sessions_)
    if (s.expires > now) out.push_back(s.credentials);
  return out;
}

std::expected<std::string, ApiError> IamService::assume_role(std::string_view access_key_id,
                                                             const std::map<std::string, std::string>& form) {
  const json input = form_input(form);
  Validator v(input);
  auto role_arn = v.string("RoleArn", {true, 20, 2048});
  auto session_name = v.string("RoleSessionName", {true, 2, 64, "[\\w+=,.@-]*"});
  auto external_id = v.string("ExternalId", {false, 2, 1224, "[\\w+=,.@:\\/-]*"});
  auto source_identity = v.string("SourceIdentity", {false, 2, 64, "[\\w+=,.@-]*"});
  auto duration = v.integer_text("DurationSeconds", 900, 43200);
  if (!v.ok()) return std::unexpected(ApiError{400, "ValidationError", v.message()});
  for (const auto& [member, value] : form)
    for (std::string_view unsupported : kUnsupported)
      if (member == unsupported || member.starts_with(std::string(unsupported) + "."))
        return std::unexpected(ApiError{400, "ValidationError",
                                        fmt::format("The emulator does not model AssumeRole's {}; leave it out.", unsupported)});

  std::lock_guard lock(mutex_);
  const auto now = clock_();
  const Caller caller = caller_of(access_key_id);
  auto denied = [&](std::string_view action, std::string why) {
    return std::unexpected(ApiError{403, "AccessDenied",
                                    fmt::format("User: {} is not authorized to perform: {} on resource: {} ({})", caller.arn,
                                                action, *role_arn, why)});
  };
  // A session's source identity is set once: a chained session carries it and may not change it.
  std::optional<std::string> effective_identity = source_identity;
  if (!caller.source_identity.empty()) {
    if (source_identity && *source_identity != caller.source_identity)
      return denied("sts:SetSourceIdentity",
                    fmt::format("the caller's session has source identity {} and may not pass another", caller.source_identity));
    effective_identity = caller.source_identity;
  }

  const std::string account = account_of(*role_arn);
  const auto slash = role_arn->rfind('/');
  Role* role = role_arn->starts_with("arn:aws:iam::") && role_arn->find(":role/") != std::string::npos
                   ? find_role(account, role_arn->substr(slash + 1))
                   : nullptr;
  if (!role || role->arn != *role_arn) return denied("sts:AssumeRole", "no such role");

  std::vector<std::string> actions = {"sts:AssumeRole"};
  if (effective_identity) actions.push_back("sts:SetSourceIdentity");
  for (const auto& action : actions) {
    TrustRequest request{caller.match_arn, caller.account, action, external_id, effective_identity, now};
    auto verdict = evaluate_trust(role->trust_policy, request);
    if (!verdict)
      return std::unexpected(ApiError{400, "PolicyNotEvaluable",
                                      fmt::format("The emulator cannot evaluate the trust policy of {}{}: {}", role->arn,
                                                  verdict.error().statement.empty() ? "" : " (statement " + verdict.error().statement + ")",
                                                  verdict.error().message)});
    if (!verdict->allowed) return denied(action, verdict->reason);
  }

  const long long seconds = duration.value_or(3600);
  if (seconds > role->max_session_duration)
    return std::unexpected(ApiError{400, "ValidationError",
                                    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."});
  if (caller.role_session && seconds > 3600)
    return std::unexpected(ApiError{400, "ValidationError",
                                    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."});

  RoleSession session;
  session.credentials = temporary_credentials(random_);
  session.role_arn = role->arn;
  session.account = role->account;
  session.role_name = role->name;
  session.session_name = *session_name;
  session.source_identity = effective_identity.value_or("");
  session.issued = std::chrono::floor<std::chrono::seconds>(now);
  session.expires = session.issued + std::chrono::seconds(seconds);
  const std::string result =
      (effective_identity ? fmt::format("    <SourceIdentity>{}</SourceIdentity>\n", xml_escape(*effective_identity)) : "") +
      assumed_role_xml(fmt::format("arn:aws:sts::{}:assumed-role/{}/{}", role->account, role->name, *session_name),
                       role->role_id + ":" + *session_name, session.credentials, session.expires);
  role_sessions_[session.credentials.access_key_id] = std::move(session);
  return query_response_xml(kStsNamespace, "AssumeRole", result, random_uuid(random_));
}

std::expected<SessionVerdict, ApiError> IamService::role_session_allowed(const std::string& access_key_id,
                                                                         std::optional<system_clock::time_point> at) {
  std::lock_guard lock(mutex_);
  const auto now = at.value_or(clock_());
  auto found = role_sessions_.find(access_key_id);
  if (found == role_sessions_.end())
    return std::unexpected(ApiError{404, "NoSession", fmt::format("no role session with access key {}", access_key_id)});
  const RoleSession& s = found->second;
  if (now >= s.expires) return SessionVerdict{false, "expired", ""};
  const Role* role = find_role(s.account, s.role_name);
  if (!role || role->inline_policies.empty()) return SessionVerdict{true, "no inline policy", ""};
  for (const auto& [name, document] : role->inline_policies) {
    auto verdict = evaluate_session(document, {"", s.account, s.issued, now, s.source_identity});
    if (!verdict)
      return std::unexpected(ApiError{422, "PolicyNotEvaluable",
                                      fmt::format("cannot evaluate inline policy {} of {}{}: {}", name, role->arn,
                                                  verdict.error().statement.empty() ? "" : " (statement " + verdict.error().statement + ")",
                                                  verdict.error().message),
                                      {{"statement", verdict.error().statement}}});
    if (!verdict->allowed) return *verdict;
  }
  return SessionVerdict{true, "no deny applies", ""};
}

}  // namespace jit::emulators
