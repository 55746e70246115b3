#include "app/pagerduty.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/checkpoint_key.h"
#include "core/duration.h"
#include "core/text.h"
#include "pagerduty/on_call_client.h"

namespace jit {

namespace {

constexpr std::size_t kMaxToken = 256;
constexpr std::size_t kMaxTokenFile = 4096;
constexpr std::size_t kMaxBody = 1024 * 1024;

}  // namespace

std::string first_on_call_role(const Policy& policy) {
  for (const auto& account : policy.accounts)
    for (const auto& role : account.roles)
      if (!role.on_call_schedule.empty()) return fmt::format("{}/{}", account.name, role.name);
  return "";
}

Result<std::string> load_pagerduty_token(const PagerDutySettings& settings, const net::EnvLookup& env) {
  std::string token, source;
  if (auto v = env(pagerduty::kTokenVariable); v && !v->empty()) {
    token = std::string(text::trim(*v));
    source = pagerduty::kTokenVariable;
  } else if (!settings.token_file.empty()) {
    auto read = read_small_file(settings.token_file, kMaxTokenFile, "[pagerduty] token_file");
    if (!read) return fail(read.error());
    token = std::string(text::trim(*read));
    source = "[pagerduty] token_file " + settings.token_file;
  } else {
    return fail(Error::Invalid(fmt::format(
        "a role has auto_approve_if_on_call but no PagerDuty REST API token is given: set {} or [pagerduty] "
        "token_file (a read-only REST API key)",
        pagerduty::kTokenVariable)));
  }
  const bool printable = std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (token.empty() || token.size() > kMaxToken || !printable)
    return fail(Error::Invalid(fmt::format("{} does not hold a PagerDuty REST API token (1 to {} printable "
                                           "characters, no spaces)",
                                           source, kMaxToken)));
  return token;
}

Result<PagerDutySide> make_pagerduty(const Config& config, const Clock& clock, const net::EnvLookup& env) {
  PagerDutySide side;
  const std::string role = first_on_call_role(config.policy);
  if (role.empty()) return side;
  const PagerDutySettings& s = config.settings.pagerduty;
  auto api = net::Endpoint::parse(s.api_url);
  if (!api) return fail(Error::Invalid("[pagerduty] api_url: " + api.error().message));
  auto token = load_pagerduty_token(s, env);
  if (!token) return fail(token.error());
  const auto deadline = std::chrono::duration_cast<std::chrono::milliseconds>(s.timeout);
  side.http = net::make_http_client({.connect_timeout = std::min(deadline, std::chrono::milliseconds(5000)),
                                     .request_timeout = deadline,
                                     .max_body_bytes = kMaxBody});
  side.on_call = std::make_unique<pagerduty::OnCallClient>(*side.http, *api, std::move(*token), clock,
                                                           pagerduty::OnCallClientOptions{.deadline = deadline,
                                                                                          .max_body_bytes = kMaxBody});
  spdlog::info("event=pagerduty_on api={} timeout={} first_role={}", api->to_string(), format_duration(s.timeout), role);
  return side;
}

}  // namespace jit
