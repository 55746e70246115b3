// The metrics an operator scrapes from /metrics move as a request goes through its whole life.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e/world.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;

// The value of one sample line of a Prometheus text page ("name{labels} value"); 0 when absent.
double sample(const std::string& page, const std::string& series) {
  const auto at = page.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stod(page.substr(at + series.size() + 2));
}

TEST(E2eMetrics, CountersMoveThroughALifecycle) {
  World world;
  const std::string before = world.metrics(0);
  EXPECT_THAT(before, HasSubstr("jit_slack_envelope_ack_seconds"));
  const std::string id = world.grant(kDana, "prod admin 3s metrics");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(world.wait_state(id, State::revoked));
  const std::string after = world.metrics(0);
  EXPECT_EQ(sample(after, R"(jit_requests_total{outcome="submitted"})") -
                sample(before, R"(jit_requests_total{outcome="submitted"})"),
            1)
      << after;
  EXPECT_EQ(sample(after, R"(jit_requests_total{outcome="revoked"})"), 1) << after;
  EXPECT_EQ(sample(after, "jit_revoke_lag_seconds_count"), 1) << after;
  EXPECT_GE(sample(after, R"(jit_slack_envelope_ack_seconds_count{type="slash_commands"})"), 1) << after;
  EXPECT_GE(sample(after, R"(jit_slack_envelope_ack_seconds_count{type="interactive"})"), 1) << after;
  EXPECT_GE(sample(after, R"(jit_slack_calls_total{method="chat.postMessage"})"), 1) << after;
  EXPECT_EQ(sample(after, R"(jit_aws_calls_total{service="sso-admin",operation="CreateAccountAssignment"})"), 1)
      << after;
  EXPECT_EQ(sample(after, R"(jit_aws_calls_total{service="sso-admin",operation="DeleteAccountAssignment"})"), 1)
      << after;
  EXPECT_EQ(sample(after, "jit_grants_active"), 0) << after;
  EXPECT_EQ(sample(after, "jit_slack_connections_open"), 1) << after;
  // A reconnect is counted.
  const int opened = world.slack().connections_opened();
  world.slack().drop();
  ASSERT_TRUE(world.slack().wait_for([&](const emulators::SlackEmulator& s) { return s.connections_opened() > opened; },
                                     std::chrono::seconds(5)));
  EXPECT_EQ(sample(world.metrics(0), "jit_slack_reconnects_total"), 1);
}

}  // namespace
}  // namespace jit::testing
