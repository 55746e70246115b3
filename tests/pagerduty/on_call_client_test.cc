// The PagerDuty client (src/pagerduty): what it sends, how it reads PagerDuty's answer, and every
// way an answer is refused. Scripted HTTP answers for retries, deadlines and bodies; the PagerDuty
// emulator (a real HTTP server on loopback) for the whole path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <deque>
#include <mutex>

#include "emulators/pagerduty/pagerduty_emulator.h"
#include "fakes/manual_clock.h"
#include "net/https_client.h"
#include "pagerduty/on_call_client.h"

namespace jit::pagerduty {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const TimePoint kAt = *parse_time("2026-11-24T10:00:00Z");
constexpr char kSchedule[] = "PSCHED1";
constexpr char kToken[] = "pd-secret-token-123";

// Answers from a script, in order (the last one again once the script runs out); records requests.
class ScriptedHttp final : public net::HttpClient {
 public:
  explicit ScriptedHttp(const Clock* clock = nullptr) : clock_(clock) {}
  Result<net::HttpResponse> send(const net::Endpoint&, const net::HttpRequest& request) override {
    std::lock_guard lock(mu);
    requests.push_back(request);
    if (answers.empty()) return fail(Error::Unavailable("127.0.0.1:1: connection refused"));
    auto a = answers.front();
    if (answers.size() > 1) answers.pop_front();
    if (clock_ && take_ms > 0) clock_->sleep_for(std::chrono::milliseconds(take_ms));
    return a;
  }
  void answer(int status, std::string body, net::Headers headers = {}) {
    answers.push_back(net::HttpResponse{status, std::move(headers), std::move(body)});
  }
  void answer_error(std::string message) { answers.push_back(fail(Error::Unavailable(std::move(message)))); }

  std::mutex mu;
  std::deque<Result<net::HttpResponse>> answers;
  std::vector<net::HttpRequest> requests;
  int take_ms = 0;  // each answer "takes" this long on the clock

 private:
  const Clock* clock_;
};

std::string entry(const std::string& schedule, const std::string& user, const std::string& email,
                  const std::string& start = "2026-11-24T08:00:00Z", const std::string& end = "2026-11-24T20:00:00Z") {
  nlohmann::json e{{"schedule", {{"id", schedule}, {"type", "schedule_reference"}}},
                   {"user", {{"id", user}, {"type", "user"}, {"email", email}, {"name", user}}},
                   {"escalation_level", 1},
                   {"start", start.empty() ? nlohmann::json(nullptr) : nlohmann::json(start)},
                   {"end", end.empty() ? nlohmann::json(nullptr) : nlohmann::json(end)}};
  return e.dump();
}

std::string page(const std::vector<std::string>& entries, bool more = false) {
  std::string list;
  for (const auto& e : entries) list += (list.empty() ? "" : ",") + e;
  return fmt::format(R"({{"oncalls":[{}],"limit":100,"offset":0,"more":{},"total":null}})", list, more);
}

class OnCallClientTest : public ::testing::Test {
 protected:
  OnCallClientTest() { spdlog::set_level(spdlog::level::off); }
  OnCallClient client(OnCallClientOptions o = {}) {
    return OnCallClient(http, *net::Endpoint::parse("https://api.pagerduty.com"), kToken, clock, o);
  }
  ManualClock clock{kAt};
  ScriptedHttp http{&clock};
};

TEST_F(OnCallClientTest, AsksForTheScheduleAtThatMomentWithTheTokenAndVersion) {
  http.answer(200, page({entry(kSchedule, "PDANA01", "Dana@Example.com")}));
  auto c = client();
  auto answer = c.on_call(kSchedule, "dana@example.com", kAt);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_TRUE(answer->on_call);
  EXPECT_EQ(answer->user_id, "PDANA01");
  EXPECT_EQ(answer->email, "Dana@Example.com");
  ASSERT_EQ(http.requests.size(), 1u);
  const auto& r = http.requests[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target,
            "/oncalls?time_zone=UTC&include%5B%5D=users&schedule_ids%5B%5D=PSCHED1&since=2026-11-24T10%3A00%3A00Z"
            "&until=2026-11-24T10%3A00%3A00Z&limit=100&offset=0");
  const net::HttpResponse as_headers{0, r.headers, ""};  // HttpResponse::header reads any Headers
  EXPECT_EQ(as_headers.header("Authorization"), std::string("Token token=") + kToken);
  EXPECT_EQ(as_headers.header("Accept"), "application/vnd.pagerduty+json;version=2");
}

TEST_F(OnCallClientTest, OnlyAnEntryOfThatScheduleHoldingThatMomentForThatEmailCounts) {
  for (const auto& [entries, why] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{}, "nobody on call"},
           {{entry(kSchedule, "PBOB001", "bob@example.com")}, "someone else"},
           {{entry("POTHER1", "PDANA01", "dana@example.com")}, "another schedule"},
           {{entry(kSchedule, "PDANA01", "dana@example.com", "2026-11-24T10:00:01Z", "")}, "starts later"},
           {{entry(kSchedule, "PDANA01", "dana@example.com", "", "2026-11-24T10:00:00Z")}, "ended then"},
           {{entry(kSchedule, "PDANA01", "dana@example.com.evil.test")}, "a longer address"},
           {{R"({"schedule":null,"user":{"id":"PDANA01","email":"dana@example.com"}})"}, "no schedule"}}) {
    SCOPED_TRACE(why);
    http.answers.clear();
    http.answer(200, page(entries));
    auto answer = client().on_call(kSchedule, "dana@example.com", kAt);
    ASSERT_TRUE(answer) << answer.error().message;
    EXPECT_FALSE(answer->on_call);
    EXPECT_TRUE(answer->user_id.empty());
  }
  // Open-ended periods, and the second person of several on call.
  http.answers.clear();
  http.answer(200, page({entry(kSchedule, "PBOB001", "bob@example.com", "", ""),
                         entry(kSchedule, "PDANA01", "dana@example.com", "", "")}));
  auto answer = client().on_call(kSchedule, "DANA@example.com", kAt);
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->on_call);
  EXPECT_EQ(answer->user_id, "PDANA01");
}

TEST_F(OnCallClientTest, ReadsLaterPagesWithinABound) {
  http.answer(200, page({entry(kSchedule, "PBOB001", "bob@example.com")}, true));
  http.answer(200, page({entry(kSchedule, "PDANA01", "dana@example.com")}, false));
  auto answer = client().on_call(kSchedule, "dana@example.com", kAt);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_TRUE(answer->on_call);
  ASSERT_EQ(http.requests.size(), 2u);
  EXPECT_THAT(http.requests[1].target, HasSubstr("&limit=100&offset=100"));
  // A PagerDuty that always has more is not an answer.
  http.answers.clear();
  http.requests.clear();
  http.answer(200, page({entry(kSchedule, "PBOB001", "bob@example.com")}, true));
  auto endless = client({.max_pages = 3}).on_call(kSchedule, "dana@example.com", kAt);
  ASSERT_FALSE(endless);
  EXPECT_EQ(endless.error().code, Errc::unavailable);
  EXPECT_EQ(http.requests.size(), 3u);
}

TEST_F(OnCallClientTest, EachRefusalHasItsCodeAndNeverTheToken) {
  for (const auto& [status, body, code, says] : std::vector<std::tuple<int, std::string, Errc, std::string>>{
           {401, R"({"error":{"message":"Unauthorized","code":2006}})", Errc::denied, "refused the API token (HTTP 401)"},
           {403, R"({"error":{"message":"Forbidden"}})", Errc::denied, "JIT_PAGERDUTY_TOKEN"},
           {404, R"({"error":{"message":"Not Found"}})", Errc::not_found, "no schedule PSCHED1"},
           {400, R"({"error":{"message":"Invalid Input Provided"}})", Errc::unavailable, "answered HTTP 400"},
           {200, "<html>gateway</html>", Errc::unavailable, "not a JSON object"},
           {200, R"({"oncalls":{}})", Errc::unavailable, "no oncalls list"},
           {200, R"({"oncalls":[],"more":"yes"})", Errc::unavailable, "more is not true or false"},
           {200, R"({"oncalls":[{"schedule":{"id":"PSCHED1"},"user":{"id":"P1"}}]})", Errc::unavailable,
            "without id or e-mail"},
           {200, page({entry(kSchedule, "PDANA01", "dana@example.com", "yesterday")}), Errc::unavailable,
            "a start or end time"}}) {
    SCOPED_TRACE(says);
    http.answers.clear();
    http.answer(status, body);
    auto answer = client().on_call(kSchedule, "dana@example.com", kAt);
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().code, code);
    EXPECT_THAT(answer.error().message, HasSubstr(says));
    EXPECT_THAT(answer.error().message, Not(HasSubstr(kToken)));
  }
}

TEST_F(OnCallClientTest, ABodyOverTheBoundIsNotRead) {
  http.answer(200, page({entry(kSchedule, "PDANA01", "dana@example.com")}) + std::string(2000, ' '));
  auto answer = client({.max_body_bytes = 1000}).on_call(kSchedule, "dana@example.com", kAt);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, Errc::unavailable);
  EXPECT_THAT(answer.error().message, HasSubstr("larger than 1000 bytes"));
}

TEST_F(OnCallClientTest, RetriesWithBackoffWithinTheDeadlineThenGivesUp) {
  http.answer(503, "{}");
  http.answer_error("api.pagerduty.com:443: connection reset");
  http.answer(200, page({entry(kSchedule, "PDANA01", "dana@example.com")}));
  auto answer = client().on_call(kSchedule, "dana@example.com", kAt);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_TRUE(answer->on_call);
  EXPECT_EQ(http.requests.size(), 3u);
  const auto sleeps = clock.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_LE(sleeps[0], std::chrono::milliseconds(200));  // full jitter under the ceiling
  EXPECT_LE(sleeps[1], std::chrono::milliseconds(400));
  // Always failing: three attempts, then Errc::unavailable naming what failed.
  http.answers.clear();
  http.requests.clear();
  http.answer(500, "{}");
  auto down = client().on_call(kSchedule, "dana@example.com", kAt);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, Errc::unavailable);
  EXPECT_THAT(down.error().message, HasSubstr("PagerDuty did not answer for schedule PSCHED1 (HTTP 500, 3 attempt(s))"));
  EXPECT_EQ(http.requests.size(), 3u);
  // Slow answers: the deadline stops the retries.
  http.answers.clear();
  http.requests.clear();
  http.answer(502, "{}");
  http.take_ms = 3000;
  auto slow = client({.deadline = std::chrono::milliseconds(5000)}).on_call(kSchedule, "dana@example.com", kAt);
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, Errc::unavailable);
  EXPECT_EQ(http.requests.size(), 2u);
}

TEST_F(OnCallClientTest, NothingUnaskableIsSent) {
  for (const auto& [schedule, email] : std::vector<std::pair<std::string, std::string>>{
           {"P1&offset=0", "dana@example.com"}, {"psched1", "dana@example.com"}, {kSchedule, ""},
           {kSchedule, "not-an-address"}, {kSchedule, std::string(300, 'a') + "@example.com"}}) {
    auto answer = client().on_call(schedule, email, kAt);
    ASSERT_FALSE(answer) << schedule << " " << email;
    EXPECT_EQ(answer.error().code, Errc::invalid);
  }
  EXPECT_TRUE(http.requests.empty());
}

// The whole path over HTTP: our client against the PagerDuty emulator.
class OnCallClientEmulatorTest : public ::testing::Test {
 protected:
  OnCallClientEmulatorTest() {
    spdlog::set_level(spdlog::level::off);
    auto started = emulators::PagerDutyEmulator::start(
        {.users = {{"PDANA01", "dana", "dana@example.com"}, {"PBOB001", "bob", "bob@example.com"}},
         .schedules = {{kSchedule, "Primary", {{"PDANA01"}}}}});
    if (!started) throw std::runtime_error(started.error().message);
    emulator = std::move(*started);
    http = net::make_http_client({.request_timeout = std::chrono::milliseconds(1000), .proxy = net::ProxySettings{}});
  }
  Result<OnCallAnswer> ask(const std::string& email, const std::string& token = emulators::kPagerDutyEmulatorToken,
                           TimePoint at = kAt) {
    OnCallClient c(*http, *net::Endpoint::parse(emulator->url()), token, clock,
                   {.deadline = std::chrono::milliseconds(3000)});
    return c.on_call(kSchedule, email, at);
  }
  ManualClock clock{kAt};
  std::unique_ptr<emulators::PagerDutyEmulator> emulator;
  std::unique_ptr<net::HttpClient> http;
};

TEST_F(OnCallClientEmulatorTest, OnCallOrNotAsTheScheduleSays) {
  auto dana = ask("dana@example.com");
  ASSERT_TRUE(dana) << dana.error().message;
  EXPECT_TRUE(dana->on_call);
  EXPECT_EQ(dana->user_id, "PDANA01");
  auto bob = ask("bob@example.com");
  ASSERT_TRUE(bob) << bob.error().message;
  EXPECT_FALSE(bob->on_call);
  // Bob's shift starts later: not on call at kAt, on call an hour later.
  emulator->set_on_call(kSchedule, {{"PBOB001", *parse_time("2026-11-24T11:00:00Z"), std::nullopt}});
  EXPECT_FALSE(ask("bob@example.com")->on_call);
  EXPECT_TRUE(ask("bob@example.com", emulators::kPagerDutyEmulatorToken, kAt + std::chrono::hours(1))->on_call);
  const auto requests = emulator->requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0]["accept"], "application/vnd.pagerduty+json;version=2");
  EXPECT_TRUE(requests[0]["authorized"].get<bool>());
}

TEST_F(OnCallClientEmulatorTest, PagesThroughManyPeopleOnCall) {
  std::vector<emulators::PagerDutyShift> shifts;
  for (int i = 0; i < 230; ++i) {
    const std::string id = fmt::format("PU{:05}", i);
    emulator->add_user({id, id, fmt::format("user{}@example.com", i)});
    shifts.push_back({id});
  }
  emulator->set_on_call(kSchedule, shifts);
  auto last = ask("user229@example.com");
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_TRUE(last->on_call);
  EXPECT_EQ(last->user_id, "PU00229");
  EXPECT_EQ(emulator->requests().size(), 3u);
}

TEST_F(OnCallClientEmulatorTest, EveryFailureIsNoAnswer) {
  auto bad_token = ask("dana@example.com", "wrong-token");
  ASSERT_FALSE(bad_token);
  EXPECT_EQ(bad_token.error().code, Errc::denied);
  EXPECT_THAT(bad_token.error().message, Not(HasSubstr("wrong-token")));
  for (const auto& fault : {emulators::PagerDutyFault{.kind = emulators::PagerDutyFault::Kind::status, .status = 500},
                            emulators::PagerDutyFault{.kind = emulators::PagerDutyFault::Kind::garbage},
                            emulators::PagerDutyFault{.kind = emulators::PagerDutyFault::Kind::oversized},
                            emulators::PagerDutyFault{.kind = emulators::PagerDutyFault::Kind::hang,
                                                      .hang = std::chrono::milliseconds(1500)}}) {
    emulator->set_fault(fault);
    auto answer = ask("dana@example.com");
    ASSERT_FALSE(answer) << static_cast<int>(fault.kind);
    EXPECT_EQ(answer.error().code, Errc::unavailable) << answer.error().message;
  }
  emulator->set_fault({});
  EXPECT_TRUE(ask("dana@example.com")->on_call);
  // Stopped: nobody answers.
  emulator->stop();
  auto stopped = ask("dana@example.com");
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, Errc::unavailable);
}

}  // namespace
}  // namespace jit::pagerduty
