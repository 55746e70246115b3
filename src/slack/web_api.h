// Slack's Web API over the project's HTTP client: one call = one POST to {SLACK_API_URL}{method}
// with the bot token. Slack answers HTTP 200 with {"ok":false,"error":"…"} for errors, and HTTP 429
// with Retry-After when a method's rate limit is hit: each method has its own queue (a caller
// waits only behind calls of the same method), so a storm on chat.postMessage does not hold up
// views.open, and calls of one method keep their order.
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "net/http.h"
#include "ports/clock.h"

namespace jit::slack {

// {ok:false} from Slack ("channel_not_found", "invalid_auth", "ratelimited", ...), or a transport
// failure ("transport"). Never contains a token.
struct ApiError {
  std::string error;
  int http_status = 0;
  std::string detail;  // what the transport said, or Slack's warning/response_metadata
  bool retryable = false;
};

// Slack errors that mean the token itself is wrong, missing a scope, or of the wrong kind: no
// retry can help, and the operator must act. The one list (Socket Mode, the Chat adapter and
// `jit serve`'s start-up check all ask it).
bool is_credential_error(std::string_view error);

struct WebApiOptions {
  int max_attempts = 5;                       // per call: transport errors and 5xx
  std::chrono::seconds max_retry_after{60};   // longer Retry-After values are capped
  // 429s are retried after their Retry-After without counting as attempts, until the waits add up
  // to this; after that they count like other failures.
  std::chrono::seconds max_rate_limited_wait{120};
  net::RetryPolicy transport_retry{};         // backoff for transport errors and 5xx
  // Optional, after each call (all attempts done): the method and Slack's error ("" when ok).
  // Metrics count calls with it; must be thread-safe.
  std::function<void(std::string_view method, std::string_view error)> on_result;
};

class WebApi {
 public:
  // `base` is SLACK_API_URL ("https://slack.com/api/"). The token is used in the Authorization
  // header only. Waits between attempts sleep on `clock` (which outlives this), the rate limits'
  // "not before" is its monotonic time, and the backoff jitter its random().
  WebApi(net::HttpClient& http, net::Endpoint base, std::string token, const Clock& clock,
         WebApiOptions options = {});

  // Calls `method` with JSON arguments. Returns the whole response body when ok is true.
  std::expected<nlohmann::json, ApiError> call(std::string_view method, const nlohmann::json& args);
  // Same, with form-encoded arguments (apps.connections.open and other form-only methods).
  std::expected<nlohmann::json, ApiError> call_form(std::string_view method,
                                                    const std::vector<std::pair<std::string, std::string>>& args);

  // How many times each method was answered 429 so far (for metrics and tests).
  int rate_limited(std::string_view method) const;

 private:
  struct MethodQueue {
    std::mutex mu;  // held for the whole call: one call per method at a time, in order
    SteadyTime not_before{};
    int limited = 0;
  };
  MethodQueue& queue(std::string_view method);
  std::expected<nlohmann::json, ApiError> send(std::string_view method, const std::string& content_type,
                                               const std::string& body);
  std::expected<nlohmann::json, ApiError> observed(std::string_view method, std::expected<nlohmann::json, ApiError> result);

  net::HttpClient& http_;
  net::Endpoint base_;
  std::string token_;
  const Clock& clock_;
  WebApiOptions options_;
  mutable std::mutex queues_mu_;
  std::map<std::string, std::unique_ptr<MethodQueue>, std::less<>> queues_;
};

// Reads SLACK_API_URL (default https://slack.com/api/) into an endpoint; plain http only on loopback.
Result<net::Endpoint> slack_api_endpoint(const std::function<std::optional<std::string>(std::string_view)>& env);

}  // namespace jit::slack
