// PagerDuty's REST API v2 as an OnCall (ports/on_call.h): one question is `GET /oncalls` for one
// schedule at one moment, over the project's HTTP client (src/net).
//
//   GET {api}/oncalls?time_zone=UTC&include[]=users&schedule_ids[]=S&since=T&until=T&limit=100&offset=N
//   Authorization: Token token=<key>
//   Accept: application/vnd.pagerduty+json;version=2
//
// The answer is "on call" only for an entry of schedule S whose period holds T and whose user's
// e-mail is the one asked about (case-insensitive); entries of other schedules, or periods that do
// not hold T, count for nothing whatever PagerDuty put in them.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "net/http.h"
#include "ports/clock.h"
#include "ports/on_call.h"

namespace jit::pagerduty {

// PagerDuty's public API.
inline constexpr char kDefaultApiUrl[] = "https://api.pagerduty.com";
// The variable that holds the REST API token (app/pagerduty_token.h reads it, or [pagerduty]
// token_file).
inline constexpr char kTokenVariable[] = "JIT_PAGERDUTY_TOKEN";

struct OnCallClientOptions {
  // Every attempt and every wait of one question together; past it, Errc::unavailable. The HTTP
  // client's own request timeout should not exceed it.
  std::chrono::milliseconds deadline{5000};
  // Transport errors, 5xx and 429 are tried again up to this many attempts in all, with backoff and
  // jitter (net::backoff_delay on the clock's random()), while the deadline allows.
  net::RetryPolicy retry{.max_attempts = 3, .base_delay = std::chrono::milliseconds{200},
                         .max_delay = std::chrono::milliseconds{1000}};
  // A body larger than this is not read as an answer (Errc::unavailable).
  std::size_t max_body_bytes = 1024 * 1024;
  // Entries per page (PagerDuty's most is 100), and pages read at most for one question: a
  // schedule with more entries at one moment than that is not an answer (Errc::unavailable).
  int page_limit = 100;
  int max_pages = 5;
};

class OnCallClient final : public OnCall {
 public:
  // `api`: PagerDuty's API base ("https://api.pagerduty.com"). `token`: the REST API key, sent in
  // the Authorization header only, never logged. `http` and `clock` outlive this.
  OnCallClient(net::HttpClient& http, net::Endpoint api, std::string token, const Clock& clock,
               OnCallClientOptions options = {});

  // The contract of OnCall::on_call. Logs one line per failed question (event=pagerduty_failed)
  // naming the schedule, the HTTP status or transport error and the attempts.
  Result<OnCallAnswer> on_call(const std::string& schedule, const std::string& email, TimePoint at) override;

  // The request target of one page (for tests): "/oncalls?..." under the API's base path.
  std::string target(const std::string& schedule, TimePoint at, int offset) const;

 private:
  struct Page;
  // One page of entries, tried again as `options_.retry` and the deadline allow; its match is the
  // first entry of `schedule` holding `at` whose user has `email`.
  Result<Page> fetch(const std::string& schedule, const std::string& email, TimePoint at, int offset,
                     SteadyTime deadline);

  net::HttpClient& http_;
  net::Endpoint api_;
  std::string token_;
  const Clock& clock_;
  OnCallClientOptions options_;
};

}  // namespace jit::pagerduty
