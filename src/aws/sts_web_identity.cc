#include "aws/sts_web_identity.h"

#include "aws/endpoints.h"
#include "aws/query_xml.h"
#include "net/http.h"

#include <fmt/format.h>

#include <utility>

namespace jit::aws {

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
    const QueryError error = query_error_of(response.body);
    std::string text = fmt::format("HTTP {}", response.status);
    if (!error.code.empty()) text += " " + error.code;
    if (!error.message.empty()) text += ": " + error.message;
    if (response.status >= 400 && response.status < 500) return fail(Error::Denied(std::move(text)));
    return fail(Error::Unavailable(std::move(text)));
  }
  auto xml = QueryXml::parse(response.body);
  if (!xml) return fail(xml.error());
  return sts_credentials_of(*xml, "AssumeRoleWithWebIdentityResult");
}

Result<TimedCredentials> sts_credentials_of(const QueryXml& reply, std::string_view result) {
  const std::string prefix = fmt::format("{}/Credentials/", result);
  auto field = [&](std::string_view name) { return reply.text(prefix + std::string(name)).value_or(""); };
  TimedCredentials out;
  out.credentials.access_key_id = field("AccessKeyId");
  out.credentials.secret_access_key = field("SecretAccessKey");
  out.credentials.session_token = field("SessionToken");
  out.expiration = parse_expiration(field("Expiration"));
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty() ||
      out.credentials.session_token.empty() || !out.expiration)
    return fail(Error::Unavailable(fmt::format(
        "reply lacks one of {}AccessKeyId, SecretAccessKey, SessionToken, Expiration (or it is not a timestamp)",
        prefix)));
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
