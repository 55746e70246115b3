#include "pagerduty/on_call_client.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "core/policy.h"
#include "core/text.h"

namespace jit::pagerduty {

namespace {

using Json = nlohmann::json;

// The longest e-mail address asked about (RFC 5321's path limit).
constexpr std::size_t kMaxEmail = 254;
// The longest Retry-After a 429 is waited for, within the deadline anyway.
constexpr std::chrono::milliseconds kMaxRetryAfter{2000};

std::string status_text(int status) { return status == 0 ? "no answer" : fmt::format("HTTP {}", status); }

// An entry's time: absent or null is open-ended (nullopt in `out`); a string must be one.
bool read_time(const Json& entry, const char* key, std::optional<TimePoint>& out) {
  const auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = parse_time(it->get<std::string>());
  return out.has_value();
}

}  // namespace

struct OnCallClient::Page {
  std::optional<OnCallAnswer> match;
  bool more = false;
};

OnCallClient::OnCallClient(net::HttpClient& http, net::Endpoint api, std::string token, const Clock& clock,
                           OnCallClientOptions options)
    : http_(http), api_(std::move(api)), token_(std::move(token)), clock_(clock), options_(options) {}

std::string OnCallClient::target(const std::string& schedule, TimePoint at, int offset) const {
  const std::string when = net::percent_encode(format_time(at));
  return fmt::format("{}/oncalls?time_zone=UTC&include%5B%5D=users&schedule_ids%5B%5D={}&since={}&until={}&limit={}"
                     "&offset={}",
                     api_.base_path, net::percent_encode(schedule), when, when, options_.page_limit, offset);
}

Result<OnCallAnswer> OnCallClient::on_call(const std::string& schedule, const std::string& email, TimePoint at) {
  if (!is_on_call_schedule_id(schedule))
    return fail(Error::Invalid("PagerDuty: the schedule id is not one (2 to 32 upper-case letters and digits)"));
  if (email.empty() || email.size() > kMaxEmail || email.find('@') == std::string::npos)
    return fail(Error::Invalid(fmt::format("PagerDuty: no usable e-mail address to ask about for schedule {}", schedule)));
  const SteadyTime deadline = clock_.monotonic() + options_.deadline;
  int offset = 0;
  for (int page = 0; page < options_.max_pages; ++page) {
    auto read = fetch(schedule, email, at, offset, deadline);
    if (!read) return fail(read.error());
    if (read->match) return *read->match;
    if (!read->more) return OnCallAnswer{};
    offset += options_.page_limit;
  }
  spdlog::warn("event=pagerduty_failed schedule={} error=\"more than {} pages of on-call entries\"", schedule,
               options_.max_pages);
  return fail(Error::Unavailable(fmt::format("PagerDuty listed more than {} on-call entries for schedule {} at one "
                                             "moment; not read as an answer",
                                             options_.max_pages * options_.page_limit, schedule)));
}

Result<OnCallClient::Page> OnCallClient::fetch(const std::string& schedule, const std::string& email, TimePoint at,
                                               int offset, SteadyTime deadline) {
  const net::HttpRequest request{.method = "GET",
                                 .target = target(schedule, at, offset),
                                 .headers = {{"Authorization", "Token token=" + token_},
                                             {"Accept", "application/vnd.pagerduty+json;version=2"}},
                                 .body = ""};
  Result<net::HttpResponse> response = fail(Error::Unavailable("not attempted"));
  int attempts = 0;
  std::string why;
  for (int attempt = 0; attempt < options_.retry.max_attempts; ++attempt) {
    if (clock_.monotonic() >= deadline) {
      why = fmt::format("no answer within {} ms", options_.deadline.count());
      break;
    }
    ++attempts;
    response = http_.send(api_, request);
    const bool retry = !response || response->status >= 500 || response->status == 429;
    if (!retry) break;
    why = response ? status_text(response->status) : response.error().message;
    std::chrono::milliseconds wait = net::backoff_delay(options_.retry, attempt, clock_.random());
    if (response && response->status == 429)
      if (auto after = response->header("Retry-After")) {
        int seconds = 0;
        const auto [end, ec] = std::from_chars(after->data(), after->data() + after->size(), seconds);
        if (ec == std::errc() && seconds >= 0)
          wait = std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), kMaxRetryAfter);
      }
    if (attempt + 1 >= options_.retry.max_attempts || clock_.monotonic() + wait >= deadline) break;
    clock_.sleep_for(wait);
  }
  const auto failed = [&](Error e) -> Result<Page> {
    spdlog::warn("event=pagerduty_failed schedule={} attempts={} error=\"{}\"", schedule, attempts, e.message);
    return fail(std::move(e));
  };
  if (!response || response->status >= 500 || response->status == 429)
    return failed(Error::Unavailable(fmt::format("PagerDuty did not answer for schedule {} ({}, {} attempt(s))",
                                                 schedule, why.empty() ? "no answer" : why, attempts)));
  const int status = response->status;
  if (status == 401 || status == 403)
    return failed(Error::Denied(fmt::format(
        "PagerDuty refused the API token ({}) asking about schedule {}: check JIT_PAGERDUTY_TOKEN or [pagerduty] "
        "token_file (a REST API key with read access)",
        status_text(status), schedule)));
  if (status == 404)
    return failed(Error::NotFound(fmt::format(
        "PagerDuty has no schedule {} (HTTP 404): check auto_approve_if_on_call", schedule)));
  if (status != 200)
    return failed(Error::Unavailable(fmt::format("PagerDuty answered {} for schedule {}", status_text(status), schedule)));
  if (response->body.size() > options_.max_body_bytes)
    return failed(Error::Unavailable(fmt::format("PagerDuty's answer for schedule {} is larger than {} bytes; not "
                                                 "read", schedule, options_.max_body_bytes)));
  const Json body = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  const auto malformed = [&](std::string_view what) {
    return failed(Error::Unavailable(fmt::format(
        "PagerDuty's answer for schedule {} is not what its API documents ({}); not read", schedule, what)));
  };
  if (!body.is_object()) return malformed("not a JSON object");
  const auto oncalls = body.find("oncalls");
  if (oncalls == body.end() || !oncalls->is_array()) return malformed("no oncalls list");
  Page page;
  if (const auto more = body.find("more"); more != body.end() && !more->is_null()) {
    if (!more->is_boolean()) return malformed("more is not true or false");
    page.more = more->get<bool>();
  }
  for (const Json& entry : *oncalls) {
    if (!entry.is_object()) return malformed("an on-call entry is not an object");
    const auto sched = entry.find("schedule");
    // Entries of the escalation policy's other levels (no schedule) or of other schedules: not ours.
    if (sched == entry.end() || !sched->is_object() || sched->value("id", Json()) != Json(schedule)) continue;
    std::optional<TimePoint> start, end;
    if (!read_time(entry, "start", start) || !read_time(entry, "end", end)) return malformed("a start or end time");
    if ((start && *start > at) || (end && *end <= at)) continue;
    const auto user = entry.find("user");
    if (user == entry.end() || !user->is_object()) return malformed("an on-call entry without a user");
    const Json id = user->value("id", Json()), mail = user->value("email", Json());
    if (!id.is_string() || !mail.is_string()) return malformed("an on-call user without id or e-mail");
    if (page.match || !text::iequals(mail.get<std::string>(), email)) continue;
    page.match = OnCallAnswer{.on_call = true, .user_id = id.get<std::string>(), .email = mail.get<std::string>()};
  }
  return page;
}

}  // namespace jit::pagerduty
