// Sources 4 and 5 of the chain (credentials_chain.h): container credentials and EC2 instance
// metadata. Both are plain-http link-local services with a JSON reply, so they share the URL,
// retry and JSON code here.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <utility>

#include "aws/credentials_chain.h"
#include "core/text.h"

namespace jit::aws {

namespace {

constexpr std::string_view kEcsHost = "169.254.170.2";
constexpr std::string_view kImdsDefault = "http://169.254.169.254";

// "scheme://host[:port][/path][?query]" split into where to connect and the request target.
// Unlike net::Endpoint::parse this accepts plain http to any host: callers decide which hosts
// may be reached without TLS (the metadata services are link-local, http only).
Result<std::pair<net::Endpoint, std::string>> split_url(std::string_view url, std::string_view what) {
  auto invalid = [&](std::string_view why) {
    return fail(Error::Invalid(fmt::format("{} is not a URL like http://host[:port]/path: {}", what, why)));
  };
  net::Endpoint endpoint;
  std::string_view rest;
  if (url.starts_with("http://")) {
    endpoint.scheme = "http";
    endpoint.port = 80;
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    endpoint.scheme = "https";
    endpoint.port = 443;
    rest = url.substr(8);
  } else {
    return invalid("the scheme must be http or https");
  }
  const size_t authority_end = std::min(rest.find('/'), rest.find('?'));
  std::string_view authority = rest.substr(0, authority_end);
  std::string target(authority_end == std::string_view::npos ? "" : rest.substr(authority_end));
  if (target.empty() || target.front() == '?') target.insert(0, "/");
  if (const size_t fragment = target.find('#'); fragment != std::string::npos) target.resize(fragment);
  if (authority.find('@') != std::string_view::npos) return invalid("user information is not allowed");

  std::string_view port;
  if (authority.starts_with("[")) {  // [IPv6]
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unclosed '['");
    endpoint.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return invalid("junk after ']'");
      port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    for (char& c : endpoint.host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
        return invalid("bad character in host");
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (endpoint.host.empty()) return invalid("no host");
  if (!port.empty() || authority.ends_with(":")) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
      return invalid("bad port");
    endpoint.port = static_cast<std::uint16_t>(value);
  }
  return std::pair{std::move(endpoint), std::move(target)};
}

// Retries transport errors and 5xx replies within `retry`'s bounds.
Result<net::HttpResponse> send_with_retry(net::HttpClient& http, const net::Endpoint& endpoint,
                                          const net::HttpRequest& request, const Clock& clock,
                                          const MetadataRetry& retry) {
  const int attempts = std::max(1, retry.max_attempts);
  for (int attempt = 0;; ++attempt) {
    auto response = http.send(endpoint, request);
    if ((response && response->status < 500) || attempt + 1 >= attempts) return response;
    clock.sleep_for(retry.delay * (1 << std::min(attempt, 10)));
  }
}

// {AccessKeyId, SecretAccessKey, Token, Expiration} as the container and instance metadata
// services return them. Messages name fields, never values or the body.
Result<TimedCredentials> parse_credentials_json(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return fail(Error::Unavailable("reply is not a JSON object"));
  if (auto code = json.find("Code"); code != json.end() && code->is_string() && *code != "Success")
    return fail(Error::Unavailable(fmt::format("reply has Code {}", code->get<std::string>())));
  auto text = [&](const char* key) {
    auto it = json.find(key);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  TimedCredentials out{{text("AccessKeyId"), text("SecretAccessKey"), text("Token")}, std::nullopt};
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty())
    return fail(Error::Unavailable("reply lacks AccessKeyId or SecretAccessKey"));
  if (const std::string expiration = text("Expiration"); !expiration.empty()) {
    out.expiration = parse_expiration(expiration);
    if (!out.expiration) return fail(Error::Unavailable("reply's Expiration is not a timestamp"));
  }
  return out;
}

std::string trim_line_end(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

bool is_container_host(const net::Endpoint& endpoint) {
  return endpoint.is_loopback() || endpoint.host == kEcsHost || endpoint.host == "169.254.170.23" ||
         endpoint.host == "fd00:ec2::23";
}

class ContainerSource final : public CredentialSource {
 public:
  ContainerSource(EnvLookup env, net::HttpClient& http, const Clock& clock, MetadataRetry retry)
      : env_(std::move(env)), http_(http), clock_(clock), retry_(retry) {}

  std::string name() const override { return "container"; }

  Result<TimedCredentials> fetch() override {
    auto relative = env_value(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    auto full = env_value(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative && !full)
      return fail(Error::NotFound("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set"));
    if (relative && !relative->starts_with("/"))
      return fail(Error::Invalid("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'"));
    auto where = relative ? split_url(fmt::format("http://{}{}", kEcsHost, *relative),
                                      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
                          : split_url(*full, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!where) return fail(where.error());
    auto& [endpoint, target] = *where;
    if (!relative && endpoint.scheme == "http" && !is_container_host(endpoint))
      return fail(Error::Invalid(fmt::format(
          "AWS_CONTAINER_CREDENTIALS_FULL_URI host {} is not allowed over http: use https, a loopback host, "
          "169.254.170.2, 169.254.170.23 or fd00:ec2::23",
          endpoint.host)));

    std::string authorization;
    if (auto file = env_value(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      auto token = read_text_file(*file);
      if (!token)
        return fail(Error::Unavailable(fmt::format("container authorization token: {}", token.error().message)));
      authorization = trim_line_end(std::move(*token));
    } else if (auto token = env_value(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
      authorization = *token;
    }
    if (authorization.find_first_of("\r\n") != std::string::npos)
      return fail(Error::Invalid("the container authorization token contains a line break"));

    net::HttpRequest get{"GET", target, {{"Accept", "application/json"}}, ""};
    if (!authorization.empty()) get.headers.emplace_back("Authorization", authorization);
    const std::vector<std::string> secrets = {authorization};
    const std::string where_text = endpoint.to_string();
    auto response = send_with_retry(http_, endpoint, get, clock_, retry_);
    if (!response)
      return fail(Error::Unavailable(
          redact(fmt::format("container endpoint {}: {}", where_text, response.error().message), secrets)));
    if (response->status != 200)
      return fail(Error::Unavailable(fmt::format("container endpoint {} returned HTTP {}", where_text, response->status)));
    auto parsed = parse_credentials_json(response->body);
    if (!parsed) return fail(Error::Unavailable(fmt::format("container endpoint {}: {}", where_text, parsed.error().message)));
    return parsed;
  }

 private:
  EnvLookup env_;
  net::HttpClient& http_;
  const Clock& clock_;
  MetadataRetry retry_;
};

class InstanceMetadataSource final : public CredentialSource {
 public:
  InstanceMetadataSource(EnvLookup env, net::HttpClient& http, const Clock& clock, MetadataRetry retry)
      : env_(std::move(env)), http_(http), clock_(clock), retry_(retry) {}

  std::string name() const override { return "instance metadata"; }

  Result<TimedCredentials> fetch() override {
    if (auto disabled = env_value(env_, "AWS_EC2_METADATA_DISABLED")) {
      if (text::iequals(*disabled, "true")) return fail(Error::NotFound("AWS_EC2_METADATA_DISABLED=true"));
    }
    auto where = split_url(env_value(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or(std::string(kImdsDefault)),
                           "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!where) return fail(where.error());
    const net::Endpoint& endpoint = where->first;
    std::string base = where->second;  // "/" or a path prefix
    while (base.ends_with("/")) base.pop_back();
    const std::string at = endpoint.to_string();

    net::HttpRequest put{"PUT", base + "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}, ""};
    auto token = send_with_retry(http_, endpoint, put, clock_, retry_);
    if (!token) return fail(Error::Unavailable(fmt::format("instance metadata at {}: {}", at, token.error().message)));
    if (token->status != 200)
      return fail(Error::Unavailable(fmt::format("instance metadata at {}: token request returned HTTP {}", at, token->status)));
    const std::string session = trim_line_end(token->body);
    const std::vector<std::string> secrets = {session};

    const std::string credentials_path = base + "/latest/meta-data/iam/security-credentials/";
    auto get = [&](const std::string& target) {
      return send_with_retry(http_, endpoint, {"GET", target, {{"X-aws-ec2-metadata-token", session}}, ""}, clock_,
                             retry_);
    };
    auto roles = get(credentials_path);
    if (!roles)
      return fail(Error::Unavailable(redact(fmt::format("instance metadata at {}: {}", at, roles.error().message), secrets)));
    if (roles->status == 404) return fail(Error::NotFound(fmt::format("instance metadata at {}: no IAM role attached", at)));
    if (roles->status != 200)
      return fail(Error::Unavailable(fmt::format("instance metadata at {}: role request returned HTTP {}", at, roles->status)));
    const std::string role = trim_line_end(roles->body.substr(0, roles->body.find('\n')));
    if (role.empty()) return fail(Error::NotFound(fmt::format("instance metadata at {}: no IAM role attached", at)));
    if (role.find_first_of("/?#% \t") != std::string::npos)
      return fail(Error::Unavailable(fmt::format("instance metadata at {}: the role name is malformed", at)));

    auto credentials = get(credentials_path + role);
    if (!credentials)
      return fail(Error::Unavailable(
          redact(fmt::format("instance metadata at {}: {}", at, credentials.error().message), secrets)));
    if (credentials->status != 200)
      return fail(Error::Unavailable(
          fmt::format("instance metadata at {}: credentials for role {} returned HTTP {}", at, role, credentials->status)));
    auto parsed = parse_credentials_json(credentials->body);
    if (!parsed) return fail(Error::Unavailable(fmt::format("instance metadata at {} (role {}): {}", at, role, parsed.error().message)));
    return parsed;
  }

 private:
  EnvLookup env_;
  net::HttpClient& http_;
  const Clock& clock_;
  MetadataRetry retry_;
};

}  // namespace

std::unique_ptr<CredentialSource> make_container_source(EnvLookup env, net::HttpClient& http, const Clock& clock,
                                                        MetadataRetry retry) {
  return std::make_unique<ContainerSource>(std::move(env), http, clock, retry);
}

std::unique_ptr<CredentialSource> make_instance_metadata_source(EnvLookup env, net::HttpClient& http,
                                                                const Clock& clock, MetadataRetry retry) {
  return std::make_unique<InstanceMetadataSource>(std::move(env), http, clock, retry);
}

}  // namespace jit::aws
