#include "slack/web_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace jit::slack {

WebApi::WebApi(net::HttpClient& http, net::Endpoint base, std::string token, const Clock& clock,
               WebApiOptions options)
    : http_(http), base_(std::move(base)), token_(std::move(token)), clock_(clock), options_(std::move(options)) {}

WebApi::MethodQueue& WebApi::queue(std::string_view method) {
  std::lock_guard lock(queues_mu_);
  auto it = queues_.find(method);
  if (it == queues_.end()) it = queues_.emplace(std::string(method), std::make_unique<MethodQueue>()).first;
  return *it->second;
}

int WebApi::rate_limited(std::string_view method) const {
  std::lock_guard lock(queues_mu_);
  auto it = queues_.find(method);
  return it == queues_.end() ? 0 : it->second->limited;
}

std::expected<nlohmann::json, ApiError> WebApi::call(std::string_view method, const nlohmann::json& args) {
  return observed(method, send(method, "application/json; charset=utf-8", args.dump()));
}

std::expected<nlohmann::json, ApiError> WebApi::call_form(
    std::string_view method, const std::vector<std::pair<std::string, std::string>>& args) {
  std::string body;
  for (const auto& [k, v] : args) body += (body.empty() ? "" : "&") + net::percent_encode(k) + "=" + net::percent_encode(v);
  return observed(method, send(method, "application/x-www-form-urlencoded", body));
}

std::expected<nlohmann::json, ApiError> WebApi::observed(std::string_view method,
                                                         std::expected<nlohmann::json, ApiError> result) {
  if (options_.on_result) options_.on_result(method, result ? std::string_view() : std::string_view(result.error().error));
  return result;
}

std::expected<nlohmann::json, ApiError> WebApi::send(std::string_view method, const std::string& content_type,
                                                     const std::string& body) {
  MethodQueue& q = queue(method);
  std::lock_guard in_order(q.mu);
  const net::HttpRequest request{.method = "POST",
                                 .target = base_.base_path + "/" + std::string(method),
                                 .headers = {{"Host", base_.host_header()},
                                             {"Authorization", "Bearer " + token_},
                                             {"Content-Type", content_type}},
                                 .body = body};
  ApiError last{.error = "not_attempted"};
  // Rate-limited answers do not count as failed attempts: Slack says when to come back, and the
  // call waits, up to max_rate_limited_wait in all.
  std::chrono::milliseconds limited_wait{0};
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    const auto wait = q.not_before - clock_.monotonic();
    if (wait > SteadyTime::duration::zero()) clock_.sleep_for(std::chrono::ceil<std::chrono::milliseconds>(wait));
    auto response = http_.send(base_, request);
    if (!response) {
      last = {.error = "transport", .detail = response.error().message, .retryable = true};
      q.not_before = clock_.monotonic() + net::backoff_delay(options_.transport_retry, attempt, clock_.random());
      spdlog::warn("event=slack_call_failed method={} attempt={} error=\"{}\"", method, attempt + 1, last.detail);
      continue;
    }
    if (response->status == 429) {
      ++q.limited;
      long seconds = 1;
      if (auto h = response->header("Retry-After")) seconds = std::max(0L, std::atol(h->c_str()));
      seconds = std::min<long>(seconds, options_.max_retry_after.count());
      q.not_before = clock_.monotonic() + std::chrono::seconds(seconds);
      last = {.error = "ratelimited", .http_status = 429, .retryable = true};
      spdlog::info("event=slack_rate_limited method={} retry_after_s={}", method, seconds);
      limited_wait += std::chrono::seconds(seconds);
      if (limited_wait <= options_.max_rate_limited_wait) --attempt;
      continue;
    }
    if (response->status >= 500) {
      last = {.error = "http_" + std::to_string(response->status), .http_status = response->status, .retryable = true};
      q.not_before = clock_.monotonic() + net::backoff_delay(options_.transport_retry, attempt, clock_.random());
      spdlog::warn("event=slack_call_failed method={} attempt={} status={}", method, attempt + 1, response->status);
      continue;
    }
    nlohmann::json parsed = nlohmann::json::parse(response->body, nullptr, false);
    if (response->status != 200 || !parsed.is_object() || !parsed.contains("ok")) {
      last = {.error = "bad_response", .http_status = response->status,
              .detail = fmt::format("HTTP {} with a body that is not a Slack response", response->status)};
      break;
    }
    if (!parsed.value("ok", false)) {
      last = {.error = parsed.value("error", "unknown_error"), .http_status = 200,
              .detail = parsed.contains("response_metadata") ? parsed["response_metadata"].dump() : ""};
      break;
    }
    return parsed;
  }
  spdlog::warn("event=slack_call_error method={} error={} {}", method, last.error, last.detail);
  return std::unexpected(last);
}

bool is_credential_error(std::string_view error) {
  static constexpr std::string_view kErrors[] = {"invalid_auth",  "not_authed",    "account_inactive",
                                                 "token_revoked", "token_expired", "not_allowed_token_type",
                                                 "missing_scope", "no_permission"};
  for (auto e : kErrors)
    if (e == error) return true;
  return false;
}

Result<net::Endpoint> slack_api_endpoint(const std::function<std::optional<std::string>(std::string_view)>& env) {
  std::string url = env("SLACK_API_URL").value_or("https://slack.com/api/");
  auto endpoint = net::Endpoint::parse(url);
  if (!endpoint) return fail(Error::Invalid("SLACK_API_URL: " + endpoint.error().message));
  return endpoint;
}

}  // namespace jit::slack
