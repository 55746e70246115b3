#include "aws/sts_web_identity.h"

#include "aws/endpoints.h"
#include "net/http.h"

#include <fmt/format.h>

#include <utility>

namespace jit::aws {

namespace {

std::string xml_unescape(std::string_view s) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    bool replaced = false;
    if (s[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (s.substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += s[i++];
  }
  return out;
}

// The text inside the first <tag>...</tag> (attributes allowed on the opening tag). Enough for
// STS's flat, namespace-default replies; not a general XML parser.
std::optional<std::string_view> xml_element(std::string_view xml, std::string_view tag) {
  const std::string open = fmt::format("<{}", tag);
  const std::string close = fmt::format("</{}>", tag);
  for (size_t pos = xml.find(open); pos != std::string_view::npos; pos = xml.find(open, pos + 1)) {
    const size_t after = pos + open.size();
    if (after >= xml.size() || (xml[after] != '>' && xml[after] != ' ')) continue;  // <TagLonger>
    const size_t start = xml.find('>', after);
    if (start == std::string_view::npos) return std::nullopt;
    if (xml[start - 1] == '/') return std::string_view{};  // <Tag/>
    const size_t end = xml.find(close, start + 1);
    if (end == std::string_view::npos) return std::nullopt;
    return xml.substr(start + 1, end - start - 1);
  }
  return std::nullopt;
}

std::string xml_text(std::string_view xml, std::string_view tag) {
  auto e = xml_element(xml, tag);
  return e ? xml_unescape(*e) : std::string{};
}

}  // namespace

Result<net::Endpoint> sts_endpoint(const EnvLookup& env, const std::optional<std::string>& region) {
  return resolve_endpoint(AwsService::sts, region.value_or("us-east-1"), env);
}

std::string web_identity_form(const WebIdentityRequest& request) {
  return fmt::format("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={}&RoleSessionName={}"
                     "&WebIdentityToken={}",
                     net::percent_encode(request.role_arn), net::percent_encode(request.role_session_name),
                     net::percent_encode(request.token));
}

Result<TimedCredentials> parse_web_identity_response(const net::HttpResponse& response) {
  if (response.status != 200) {
    // STS's Code and Message are safe to quote: they describe the request, not the credentials.
    const std::string code = xml_text(response.body, "Code");
    const std::string message = xml_text(response.body, "Message");
    std::string text = fmt::format("HTTP {}", response.status);
    if (!code.empty()) text += " " + code;
    if (!message.empty()) text += ": " + message;
    if (response.status >= 400 && response.status < 500) return fail(Error::Denied(std::move(text)));
    return fail(Error::Unavailable(std::move(text)));
  }
  const auto credentials = xml_element(response.body, "Credentials");
  if (!credentials) return fail(Error::Unavailable("reply has no Credentials element"));
  TimedCredentials out;
  out.credentials.access_key_id = xml_text(*credentials, "AccessKeyId");
  out.credentials.secret_access_key = xml_text(*credentials, "SecretAccessKey");
  out.credentials.session_token = xml_text(*credentials, "SessionToken");
  const std::string expiration = xml_text(*credentials, "Expiration");
  out.expiration = parse_expiration(expiration);
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty() ||
      out.credentials.session_token.empty() || !out.expiration)
    return fail(Error::Unavailable(
        "reply lacks one of Credentials/AccessKeyId, SecretAccessKey, SessionToken, Expiration (or it is "
        "not a timestamp)"));
  return out;
}

Result<TimedCredentials> assume_role_with_web_identity(net::HttpClient& http, const net::Endpoint& endpoint,
                                                       const WebIdentityRequest& request) {
  net::HttpRequest post;
  post.method = "POST";
  post.target = endpoint.base_path + "/";
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                  {"Accept", "text/xml"}};
  post.body = web_identity_form(request);
  const std::vector<std::string> secrets = {request.token};
  auto response = http.send(endpoint, post);
  if (!response)
    return fail(Error{response.error().code,
                      redact(fmt::format("STS AssumeRoleWithWebIdentity at {}: {}", endpoint.to_string(),
                                         response.error().message),
                             secrets)});
  auto parsed = parse_web_identity_response(*response);
  if (!parsed)
    return fail(Error{parsed.error().code,
                      redact(fmt::format("STS AssumeRoleWithWebIdentity at {} for {}: {}", endpoint.to_string(),
                                         request.role_arn, parsed.error().message),
                             secrets)});
  return parsed;
}

Result<TimedCredentials> fetch_web_identity_credentials(net::HttpClient& http, const EnvLookup& env,
                                                        const std::optional<std::string>& region,
                                                        const std::string& role_arn,
                                                        const std::string& token_file,
                                                        std::optional<std::string> session_name,
                                                        const Clock& clock) {
  auto token = read_text_file(token_file);
  if (!token) return fail(Error::Unavailable(fmt::format("web identity token: {}", token.error().message)));
  // Token files written by hand often end with a newline; a JWT never contains whitespace.
  while (!token->empty() && (token->back() == '\n' || token->back() == '\r' || token->back() == ' '))
    token->pop_back();
  if (token->empty()) return fail(Error::Unavailable(fmt::format("web identity token file {} is empty", token_file)));
  auto endpoint = sts_endpoint(env, region);
  if (!endpoint) return fail(endpoint.error());
  WebIdentityRequest request{role_arn,
                             session_name.value_or(fmt::format("jit-access-{}", epoch_seconds(clock.now()))),
                             std::move(*token)};
  return assume_role_with_web_identity(http, *endpoint, request);
}

namespace {

class WebIdentitySource final : public CredentialSource {
 public:
  WebIdentitySource(EnvLookup env, net::HttpClient& http, const Clock& clock)
      : env_(std::move(env)), http_(http), clock_(clock) {}

  std::string name() const override { return "web identity"; }

  Result<TimedCredentials> fetch() override {
    auto token_file = env_value(env_, "AWS_WEB_IDENTITY_TOKEN_FILE");
    auto role_arn = env_value(env_, "AWS_ROLE_ARN");
    if (!token_file && !role_arn)
      return fail(Error::NotFound("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN not set"));
    if (!token_file) return fail(Error::Invalid("AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not"));
    if (!role_arn) return fail(Error::Invalid("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"));
    return fetch_web_identity_credentials(http_, env_, resolve_region(env_), *role_arn, *token_file,
                                          env_value(env_, "AWS_ROLE_SESSION_NAME"), clock_);
  }

 private:
  EnvLookup env_;
  net::HttpClient& http_;
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<CredentialSource> make_web_identity_source(EnvLookup env, net::HttpClient& sts_http,
                                                           const Clock& clock) {
  return std::make_unique<WebIdentitySource>(std::move(env), sts_http, clock);
}

}  // namespace jit::aws
