#include "aws/json_client.h"

#include <algorithm>

#include <array>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "aws/sigv4.h"

namespace jit::aws {
namespace {

// "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException" -> after '#';
// "ValidationException:http://internal.amazon.com/..." (x-amzn-ErrorType) -> before ':'.
std::string clean_code(std::string_view code) {
  if (const auto hash = code.rfind('#'); hash != std::string_view::npos) code.remove_prefix(hash + 1);
  if (const auto colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  return std::string(code);
}

std::string string_field(const nlohmann::json& body, std::initializer_list<const char*> names) {
  if (!body.is_object()) return "";
  for (const char* name : names)
    if (auto it = body.find(name); it != body.end() && it->is_string()) return it->get<std::string>();
  return "";
}

}  // namespace

AwsJsonClientConfig AwsJsonClientConfig::for_service(AwsService service, net::Endpoint endpoint, std::string region) {
  const auto& info = service_info(service);
  AwsJsonClientConfig config;
  config.endpoint = std::move(endpoint);
  config.signing_name = info.signing_name;
  config.target_prefix = info.target_prefix;
  config.json_version = info.json_version;
  config.region = info.signing_region.empty() ? std::move(region) : std::string(info.signing_region);
  return config;
}

bool is_throttling_code(std::string_view code) {
  static constexpr std::array<std::string_view, 7> kCodes = {
      "ThrottlingException",      "ThrottledException",        "ProvisionedThroughputExceededException",
      "RequestLimitExceeded",     "TooManyRequestsException",  "TransactionInProgressException",
      "Throttling"};
  return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

AwsError parse_error_response(const net::HttpResponse& response) {
  AwsError error;
  error.http_status = response.status;
  error.body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (error.body.is_discarded()) error.body = nlohmann::json::object();
  std::string code;
  if (auto header = response.header("x-amzn-ErrorType")) code = clean_code(*header);
  if (code.empty()) code = clean_code(string_field(error.body, {"__type", "code", "Code"}));
  if (code.empty()) code = response.status >= 500 ? "ServiceUnavailable" : fmt::format("Http{}", response.status);
  error.code = std::move(code);
  error.message = string_field(error.body, {"message", "Message", "errorMessage"});
  error.retryable = response.status >= 500 || response.status == 429 || is_throttling_code(error.code);
  return error;
}

AwsJsonClient::AwsJsonClient(AwsJsonClientConfig config, CredentialsProvider& credentials, net::HttpClient& http,
                             const Clock& clock)
    : config_(std::move(config)), credentials_(credentials), http_(http), clock_(clock) {
  if (config_.retry.max_attempts < 1) config_.retry.max_attempts = 1;
}

Result<net::HttpRequest> AwsJsonClient::build_request(std::string_view operation, const std::string& body,
                                                      const Credentials& credentials) const {
  net::HttpRequest request;
  request.method = "POST";
  request.target = config_.endpoint.base_path + "/";
  request.headers = {
      {"Host", config_.endpoint.host_header()},
      {"Content-Type", "application/x-amz-json-" + config_.json_version},
      {"X-Amz-Target", fmt::format("{}.{}", config_.target_prefix, operation)},
  };
  request.body = body;
  if (auto signed_ = sign_request(config_, request, credentials, clock_.now()); !signed_) return fail(signed_.error());
  return request;
}

Result<> sign_request(const AwsJsonClientConfig& config, net::HttpRequest& request, const Credentials& credentials,
                      TimePoint time) {
  SigningParams params;
  params.region = config.region;
  params.service = config.signing_name;
  params.time = time;
  if (auto signed_ = sign_headers(request, credentials, params); !signed_) return fail(signed_.error());
  return {};
}

std::expected<nlohmann::json, AwsError> AwsJsonClient::call(std::string_view operation, const nlohmann::json& input) {
  const std::string body = input.dump();
  return send_signed(config_, credentials_, http_, clock_, operation, [&](const Credentials& credentials) {
    return build_request(operation, body, credentials);
  });
}

std::expected<nlohmann::json, AwsError> send_signed(const AwsJsonClientConfig& config, CredentialsProvider& credentials,
                                                    net::HttpClient& http, const Clock& clock,
                                                    std::string_view operation, const SignedRequestBuilder& build) {
  nlohmann::json out;
  const ReplyReader reader{
      .error = parse_error_response,
      .success = [&](const net::HttpResponse& response) -> std::expected<void, AwsError> {
        out = response.body.empty() ? nlohmann::json::object()
                                    : nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
        if (out.is_discarded())
          return std::unexpected(AwsError{response.status, "InvalidResponse", "the response body is not JSON",
                                          nlohmann::json::object(), false});
        return {};
      }};
  if (auto sent = send_signed_with(config, credentials, http, clock, operation, build, reader); !sent)
    return std::unexpected(std::move(sent.error()));
  return out;
}

std::expected<void, AwsError> send_signed_with(const AwsJsonClientConfig& config, CredentialsProvider& credentials_,
                                               net::HttpClient& http, const Clock& clock, std::string_view operation,
                                               const SignedRequestBuilder& build, const ReplyReader& reader) {
  const int max_attempts = std::max(config.retry.max_attempts, 1);
  AwsError error;
  int attempt = 0;
  while (true) {
    ++attempt;
    auto credentials = credentials_.get();
    if (!credentials) {
      error = {0, "Credentials", credentials.error().message, nlohmann::json::object(), false};
      break;
    }
    auto request = build(*credentials);
    if (!request) {
      error = {0, "Signing", request.error().message, nlohmann::json::object(), false};
      break;
    }
    auto response = http.send(config.endpoint, *request);
    if (response && response->status >= 200 && response->status < 300) {
      auto read = reader.success(*response);
      if (read) {
        if (config.on_result) config.on_result(operation, "");
        return {};
      }
      error = std::move(read.error());
      break;
    }
    if (response) {
      error = reader.error(*response);
    } else {
      // Errc::invalid from the client is configuration (a bad CA file, proxy): not transient.
      error = {0, "Transport", response.error().message, nlohmann::json::object(),
               response.error().code == Errc::unavailable};
    }
    if (!error.retryable || attempt >= max_attempts) break;
    clock.sleep_for(net::backoff_delay(config.retry, attempt - 1, clock.random()));
  }
  // Retryable errors that outlasted the retries mean AWS is struggling: warn. Other errors are
  // answers (a lost conditional write, a validation error) that the caller handles: info.
  std::string message = error.message;
  std::replace(message.begin(), message.end(), '"', '\'');
  spdlog::log(error.retryable ? spdlog::level::warn : spdlog::level::info,
              "event=aws_call_failed operation={}.{} endpoint={} attempts={} code={} http_status={} message=\"{}\"",
              config.target_prefix.empty() ? config.signing_name : config.target_prefix, operation,
              config.endpoint.to_string(), attempt, error.code, error.http_status, message);
  if (config.on_result) config.on_result(operation, error.code);
  return std::unexpected(std::move(error));
}

}  // namespace jit::aws
