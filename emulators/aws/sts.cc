// STS AssumeRoleWithWebIdentity (Query protocol): the answer is XML, as in AWS. The token is
// not checked beyond its length (there is no identity provider to ask); the credentials issued
// are accepted by the emulator's signature check until they expire.
#include <fmt/format.h>

#include "emulator_state.h"
#include "query_replies.h"
#include "temporary_credentials.h"
#include "validation.h"

namespace jit::emulators {

using json = nlohmann::json;


std::vector<aws::Credentials> EmulatorState::accepted_credentials() {
  std::vector<aws::Credentials> out = options_.credentials;
  if (out.empty()) out.push_back({kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""});
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  std::erase_if(sessions_, [&](const Session& s) { return s.expires <= now; });
  for (const auto& s : sessions_) out.push_back(s.credentials);
  return out;
}

std::optional<std::string> EmulatorState::web_identity_principal(std::string_view access_key_id) {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  for (const auto& s : sessions_)
    if (s.credentials.access_key_id == access_key_id && s.expires > now) return s.assumed_role_arn;
  return std::nullopt;
}

std::expected<std::string, ApiError> EmulatorState::sts(const std::map<std::string, std::string>& form) {
  const auto action = form.find("Action");
  if (action == form.end() || action->second != "AssumeRoleWithWebIdentity")
    return std::unexpected(ApiError{400, "InvalidAction",
                                    fmt::format("Could not find operation {} for version {}",
                                                action == form.end() ? "" : action->second,
                                                form.contains("Version") ? form.at("Version") : "NO_VERSION_SPECIFIED")});
  const json input = form_input(form);
  Validator v(input);
  auto role_arn = v.string("RoleArn", {true, 20, 2048});
  auto session_name = v.string("RoleSessionName", {true, 2, 64, "[\\w+=,.@-]*"});
  v.string("WebIdentityToken", {true, 4, 20000});
  const long long duration = v.integer_text("DurationSeconds", 900, 43200).value_or(3600);
  if (!v.ok()) return std::unexpected(ApiError{400, "ValidationError", v.message()});

  // "arn:aws:iam::123456789012:role/path/Name" -> account and role name
  const std::string& arn = *role_arn;
  const auto role_at = arn.find(":role/");
  const auto account_start = arn.find("::");
  if (role_at == std::string::npos || account_start == std::string::npos || !arn.starts_with("arn:"))
    return std::unexpected(ApiError{400, "ValidationError", fmt::format("Request ARN is invalid: {}", arn)});
  const std::string account = arn.substr(account_start + 2, role_at - account_start - 2);
  std::string role_name = arn.substr(role_at + 6);
  if (auto slash = role_name.rfind('/'); slash != std::string::npos) role_name = role_name.substr(slash + 1);
  const std::string partition = arn.substr(4, arn.find(':', 4) - 4);

  std::lock_guard lock(mutex_);
  const auto now = clock_();
  Session session;
  session.credentials = temporary_credentials(random_);
  session.expires = now + std::chrono::seconds(duration);
  const std::string role_id = emulators::role_id(random_);
  const std::string request_id = new_uuid_locked();
  session.assumed_role_arn = fmt::format("arn:{}:sts::{}:assumed-role/{}/{}", partition, account, role_name, *session_name);
  sessions_.push_back(session);

  const std::string result = fmt::format(
      "    <SubjectFromWebIdentityToken>{}</SubjectFromWebIdentityToken>\n"
      "    <Audience>sts.amazonaws.com</Audience>\n"
      "{}"
      "    <Provider>jit-aws-emulator</Provider>\n",
      xml_escape(*session_name),
      assumed_role_xml(session.assumed_role_arn, role_id + ":" + *session_name, session.credentials, session.expires));
  return query_response_xml(kStsNamespace, "AssumeRoleWithWebIdentity", result, request_id);
}

// STS's error document.
std::string sts_error_xml(const ApiError& error, std::string_view request_id) {
  return query_error_xml(kStsNamespace, error, request_id);
}

}  // namespace jit::emulators
