// STS AssumeRoleWithWebIdentity (Query protocol): the answer is XML, as in AWS. The token is
// not checked beyond its length (there is no identity provider to ask); the credentials issued
// are accepted by the emulator's signature check until they expire.
#include <fmt/format.h>

#include "emulator_state.h"
#include "validation.h"

namespace jit::emulators {

using json = nlohmann::json;

namespace {

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<aws::Credentials> EmulatorState::accepted_credentials() {
  std::vector<aws::Credentials> out = options_.credentials;
  if (out.empty()) out.push_back({kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""});
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  std::erase_if(sessions_, [&](const Session& s) { return s.expires <= now; });
  for (const auto& s : sessions_) out.push_back(s.credentials);
  return out;
}

std::expected<std::string, ApiError> EmulatorState::sts(const std::map<std::string, std::string>& form) {
  const auto action = form.find("Action");
  if (action == form.end() || action->second != "AssumeRoleWithWebIdentity")
    return std::unexpected(ApiError{400, "InvalidAction",
                                    fmt::format("Could not find operation {} for version {}",
                                                action == form.end() ? "" : action->second,
                                                form.contains("Version") ? form.at("Version") : "NO_VERSION_SPECIFIED")});
  json input = json::object();
  for (const auto& [k, v] : form) input[k] = v;
  Validator v(input);
  auto role_arn = v.string("RoleArn", {true, 20, 2048});
  auto session_name = v.string("RoleSessionName", {true, 2, 64, "[\\w+=,.@-]*"});
  v.string("WebIdentityToken", {true, 4, 20000});
  long long duration = 3600;
  if (form.contains("DurationSeconds")) {
    const std::string& text = form.at("DurationSeconds");
    char* end = nullptr;
    duration = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || duration < 900 || duration > 43200)
      v.add(fmt::format("Value '{}' at 'durationSeconds' failed to satisfy constraint: Member must have value "
                        "between 900 and 43200", text));
  }
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
  constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  constexpr std::string_view kSecretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  Session session;
  session.credentials.access_key_id = "ASIA" + random_chars(kUpper, 16);
  session.credentials.secret_access_key = random_chars(kSecretChars, 40);
  session.credentials.session_token = "IQoJb3JpZ2luX2VjE" + random_chars(kSecretChars, 180);
  session.expires = now + std::chrono::seconds(duration);
  const std::string role_id = "AROA" + random_chars(kUpper, 17);
  const std::string request_id = new_uuid_locked();
  sessions_.push_back(session);

  return fmt::format(
      "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
      "  <AssumeRoleWithWebIdentityResult>\n"
      "    <SubjectFromWebIdentityToken>{}</SubjectFromWebIdentityToken>\n"
      "    <Audience>sts.amazonaws.com</Audience>\n"
      "    <AssumedRoleUser>\n"
      "      <Arn>arn:{}:sts::{}:assumed-role/{}/{}</Arn>\n"
      "      <AssumedRoleId>{}:{}</AssumedRoleId>\n"
      "    </AssumedRoleUser>\n"
      "    <Credentials>\n"
      "      <AccessKeyId>{}</AccessKeyId>\n"
      "      <SecretAccessKey>{}</SecretAccessKey>\n"
      "      <SessionToken>{}</SessionToken>\n"
      "      <Expiration>{}</Expiration>\n"
      "    </Credentials>\n"
      "    <Provider>jit-aws-emulator</Provider>\n"
      "  </AssumeRoleWithWebIdentityResult>\n"
      "  <ResponseMetadata>\n"
      "    <RequestId>{}</RequestId>\n"
      "  </ResponseMetadata>\n"
      "</AssumeRoleWithWebIdentityResponse>\n",
      xml_escape(*session_name), xml_escape(partition), xml_escape(account), xml_escape(role_name),
      xml_escape(*session_name), role_id, xml_escape(*session_name), session.credentials.access_key_id,
      session.credentials.secret_access_key, session.credentials.session_token, iso8601(session.expires), request_id);
}

// STS's error document.
std::string sts_error_xml(const ApiError& error, std::string_view request_id) {
  return fmt::format(
      "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
      "  <Error>\n"
      "    <Type>{}</Type>\n"
      "    <Code>{}</Code>\n"
      "    <Message>{}</Message>\n"
      "  </Error>\n"
      "  <RequestId>{}</RequestId>\n"
      "</ErrorResponse>\n",
      error.status >= 500 ? "Receiver" : "Sender", xml_escape(error.code), xml_escape(error.message), request_id);
}

}  // namespace jit::emulators
