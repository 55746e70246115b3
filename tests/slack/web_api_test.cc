#include "slack/web_api.h"

#include "fakes/manual_clock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <thread>

namespace jit::slack {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Answers from a script and records what was sent.
class ScriptedHttp final : public net::HttpClient {
 public:
  Result<net::HttpResponse> send(const net::Endpoint&, const net::HttpRequest& request) override {
    std::lock_guard lock(mu);
    sent.push_back(request);
    if (answers.empty()) return net::HttpResponse{200, {}, R"({"ok":true})"};
    auto a = answers.front();
    answers.pop_front();
    return a;
  }
  std::mutex mu;
  std::deque<Result<net::HttpResponse>> answers;
  std::vector<net::HttpRequest> sent;
};

class WebApiTest : public ::testing::Test {
 protected:
  WebApi api() { return WebApi(http, *net::Endpoint::parse("http://127.0.0.1:9/api/"), "xoxb-test-secret-token", clock); }
  ScriptedHttp http;
  ManualClock clock;  // waits move it on at once
};

TEST_F(WebApiTest, PostsJsonWithTheBotToken) {
  auto a = api();
  auto r = a.call("chat.postMessage", {{"channel", "C1"}, {"text", "hi"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(http.sent.size(), 1u);
  const auto& req = http.sent[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/api/chat.postMessage");
  EXPECT_THAT(req.headers, ::testing::Contains(std::pair<std::string, std::string>{"Authorization", "Bearer xoxb-test-secret-token"}));
  EXPECT_THAT(req.body, HasSubstr("\"channel\":\"C1\""));
}

TEST_F(WebApiTest, FormCallsAreEncoded) {
  auto a = api();
  ASSERT_TRUE(a.call_form("users.info", {{"user", "U1 &x"}}));
  EXPECT_EQ(http.sent[0].body, "user=U1%20%26x");
}

TEST_F(WebApiTest, OkFalseIsATypedErrorWithoutTheToken) {
  http.answers.push_back(net::HttpResponse{200, {}, R"({"ok":false,"error":"channel_not_found"})"});
  auto a = api();
  auto r = a.call("chat.postMessage", {{"channel", "C404"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error, "channel_not_found");
  EXPECT_FALSE(r.error().retryable);
  EXPECT_EQ(http.sent.size(), 1u) << "an application error is not retried";
  EXPECT_THAT(r.error().detail, Not(HasSubstr("xoxb")));
}

TEST_F(WebApiTest, RateLimitWaitsForRetryAfterThenSucceeds) {
  http.answers.push_back(net::HttpResponse{429, {{"Retry-After", "3"}}, ""});
  http.answers.push_back(net::HttpResponse{429, {{"retry-after", "1"}}, ""});
  auto a = api();
  auto r = a.call("chat.postMessage", {{"channel", "C1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(http.sent.size(), 3u);
  EXPECT_EQ(a.rate_limited("chat.postMessage"), 2);
  EXPECT_EQ(a.rate_limited("views.open"), 0);
  // Each wait is the Retry-After, counted from the 429 (no time passed on the clock since).
  EXPECT_EQ(clock.sleeps(), (std::vector<std::chrono::milliseconds>{std::chrono::seconds(3), std::chrono::seconds(1)}));
}

TEST_F(WebApiTest, ARateLimitStormIsWaitedOutUpToItsBudget) {
  // Ten 429s in a row: more than max_attempts, but Slack said when to come back each time.
  for (int i = 0; i < 10; ++i) http.answers.push_back(net::HttpResponse{429, {{"Retry-After", "2"}}, ""});
  auto a = api();
  EXPECT_TRUE(a.call("chat.postMessage", {{"channel", "C1"}}));
  EXPECT_EQ(http.sent.size(), 11u);
  // A storm longer than max_rate_limited_wait (120 s) ends in "ratelimited".
  http.sent.clear();
  for (int i = 0; i < 100; ++i) http.answers.push_back(net::HttpResponse{429, {{"Retry-After", "30"}}, ""});
  auto r = a.call("chat.postMessage", {{"channel", "C1"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error, "ratelimited");
  EXPECT_EQ(http.sent.size(), 9u);  // 4 waits of 30 s within the budget, then 5 counted attempts
  EXPECT_EQ(clock.slept(), std::chrono::seconds(10 * 2 + 8 * 30));
}

TEST_F(WebApiTest, TransportErrorsAndServerErrorsAreRetriedBounded) {
  for (int i = 0; i < 10; ++i) http.answers.push_back(fail(Error::Unavailable("connection refused")));
  auto a = api();
  auto r = a.call("auth.test", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error, "transport");
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(http.sent.size(), 5u);
  http.answers.clear();
  http.answers.push_back(net::HttpResponse{503, {}, "busy"});
  EXPECT_TRUE(a.call("auth.test", {}));
}

TEST_F(WebApiTest, NonSlackBodyIsABadResponse) {
  http.answers.push_back(net::HttpResponse{404, {}, "<html>not found</html>"});
  auto a = api();
  auto r = a.call("nope.method", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error, "bad_response");
}

TEST_F(WebApiTest, SlackApiUrlComesFromTheEnvironment) {
  auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto def = slack_api_endpoint(none);
  ASSERT_TRUE(def);
  EXPECT_EQ(def->host, "slack.com");
  EXPECT_EQ(def->base_path, "/api");
  auto local = slack_api_endpoint([](std::string_view) -> std::optional<std::string> { return "http://127.0.0.1:8080/api/"; });
  ASSERT_TRUE(local);
  EXPECT_EQ(local->port, 8080);
  auto remote_plain = slack_api_endpoint([](std::string_view) -> std::optional<std::string> { return "http://slack.example/api/"; });
  EXPECT_FALSE(remote_plain);
}

}  // namespace
}  // namespace jit::slack
