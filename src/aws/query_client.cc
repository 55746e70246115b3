#include "aws/query_client.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

namespace jit::aws {

AwsQueryClientConfig AwsQueryClientConfig::for_service(AwsService service, net::Endpoint endpoint,
                                                       std::string region) {
  AwsQueryClientConfig config;
  config.transport = AwsJsonClientConfig::for_service(service, std::move(endpoint), std::move(region));
  config.api_version = service_info(service).query_version;
  return config;
}

std::string query_form(std::string_view action, std::string_view version, const QueryParams& params) {
  std::string body = fmt::format("Action={}&Version={}", net::percent_encode(action), net::percent_encode(version));
  for (const auto& [name, value] : params)
    body += fmt::format("&{}={}", net::percent_encode(name), net::percent_encode(value));
  return body;
}

AwsError parse_query_error_response(const net::HttpResponse& response) {
  const QueryError parsed = query_error_of(response.body);
  AwsError error;
  error.http_status = response.status;
  error.code = parsed.code;
  if (error.code.empty())
    error.code = response.status >= 500 ? "ServiceUnavailable" : fmt::format("Http{}", response.status);
  error.message = parsed.message;
  error.retryable = response.status >= 500 || response.status == 429 || is_throttling_code(error.code);
  return error;
}

AwsQueryClient::AwsQueryClient(AwsQueryClientConfig config, CredentialsProvider& credentials, net::HttpClient& http,
                               const Clock& clock)
    : config_(std::move(config)), credentials_(credentials), http_(http), clock_(clock) {
  if (config_.transport.retry.max_attempts < 1) config_.transport.retry.max_attempts = 1;
}

Result<net::HttpRequest> AwsQueryClient::build_request(const std::string& body, const Credentials& credentials) const {
  net::HttpRequest request;
  request.method = "POST";
  request.target = config_.transport.endpoint.base_path + "/";
  request.headers = {
      {"Host", config_.transport.endpoint.host_header()},
      {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
  };
  request.body = body;
  if (auto signed_ = sign_request(config_.transport, request, credentials, clock_.now()); !signed_)
    return fail(signed_.error());
  return request;
}

std::expected<QueryXml, AwsError> AwsQueryClient::call(std::string_view action, const QueryParams& params) {
  const std::string body = query_form(action, config_.api_version, params);
  std::optional<QueryXml> reply;
  const ReplyReader reader{
      .error = parse_query_error_response,
      .success = [&](const net::HttpResponse& response) -> std::expected<void, AwsError> {
        auto xml = QueryXml::parse(response.body);
        if (!xml)
          return std::unexpected(AwsError{response.status, "InvalidResponse", xml.error().message, nullptr, false});
        reply.emplace(std::move(*xml));
        return {};
      }};
  auto sent = send_signed_with(config_.transport, credentials_, http_, clock_, action,
                               [&](const Credentials& credentials) { return build_request(body, credentials); },
                               reader);
  if (!sent) return std::unexpected(std::move(sent.error()));
  return std::move(*reply);
}

}  // namespace jit::aws
