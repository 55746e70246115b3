// The product under trouble, end to end: AWS down at expiry, Slack down, SIGTERM with work in
// flight.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <regex>

#include "e2e/world.h"
#include "slack/ids.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

// The ops channel's messages but the start-up notice that the audit trail is unkeyed (the world's
// serve runs without an audit key; `jit serve` says so once per start).
json ops_alerts(World& world) {
  json out = json::array();
  for (const auto& m : world.slack().messages(kOpsChannel))
    if (m.value("text", "").find("The audit trail is unkeyed") == std::string::npos) out.push_back(m);
  return out;
}

// AWS goes down just before the expiry second and stays down for a few sweeps (one a second): the
// revocation fails and is retried, the ops channel hears once, and the access is removed as soon
// as AWS answers again, with one more alert saying so. (That the alert repeats at most every
// alert_repeat through a long outage is the engine's test on a manual clock:
// EngineTest.ALongRevokeOutageAlertsOnceThenEveryTenMinutesAndWhenItEnds.)
TEST(E2eOutage, AwsDownAtExpiryAlertsOpsOnceThenRevokesWhenItReturns) {
  World world;
  const std::string id = world.grant(kDana, "prod admin 3s outage");
  ASSERT_FALSE(id.empty());
  world.aws().set_faults({.down = true});
  ASSERT_TRUE(world.slack().wait_for(
      [&](const emulators::SlackEmulator& s) { return s.messages(kOpsChannel).dump().find(id) != std::string::npos; },
      std::chrono::seconds(20)))
      << world.log(0);
  EXPECT_THAT(world.slack().messages(kOpsChannel).dump(), HasSubstr("Could not revoke"));
  EXPECT_EQ(world.read(id)->state, State::revoking);
  EXPECT_EQ(world.assignment_count(), 1u);
  // Several more sweeps fail without repeating the alert.
  auto failures = [&] {
    const std::string log = world.log(0);
    int n = 0;
    for (auto at = log.find(R"("event":"revoke_failed")"); at != std::string::npos;
         at = log.find(R"("event":"revoke_failed")", at + 1))
      ++n;
    return n;
  };
  ASSERT_TRUE(World::poll([&] { return failures() >= 3; }, std::chrono::seconds(20))) << world.log(0);
  EXPECT_EQ(world.read(id)->state, State::revoking);
  EXPECT_EQ(world.assignment_count(), 1u);
  EXPECT_EQ(ops_alerts(world).size(), 1u) << world.slack().messages(kOpsChannel).dump(1);
  world.aws().set_faults({});
  ASSERT_TRUE(world.wait_state(id, State::revoked, std::chrono::seconds(20)));
  EXPECT_EQ(world.assignment_count(), 0u);
  // One alert when it started, one when the access was finally gone.
  ASSERT_TRUE(world.slack().wait_for(
      [&](const emulators::SlackEmulator& s) { return s.messages(kOpsChannel).dump().find("the access is gone") != std::string::npos; },
      std::chrono::seconds(10)));
  const json ops = ops_alerts(world);
  ASSERT_EQ(ops.size(), 2u) << ops.dump(1);
  EXPECT_THAT(ops[0].value("text", ""), HasSubstr("Could not revoke"));
  EXPECT_THAT(ops[1].value("text", ""), HasSubstr("failed attempts: the access is gone"));
}

// AWS unreachable when the approver clicks: the approver is told it will be retried, the request
// waits, approved, and the grant goes through (once, and the requester hears) when AWS is back.
TEST(E2eOutage, AwsDownAtApprovalIsRetriedAndGrantedWhenItReturns) {
  World world;
  auto id = world.request(kDana, "prod admin 1h aws is flaky");
  ASSERT_TRUE(id);
  world.aws().set_faults({.down = true});
  ASSERT_TRUE(world.click(kAlice, *id, slack::kApproveAction));
  EXPECT_TRUE(world.wait_ephemeral(kAlice, "retried automatically"));
  // Approved and waiting: before `granting` is written, the grant checks in Identity Center that the
  // requester does not already hold the assignment (standing access is never taken over), and
  // with AWS down that check fails, so the request waits in `approved` for the sweeper.
  EXPECT_EQ(world.read(*id)->state, State::approved);
  EXPECT_EQ(world.assignment_count(), 0u);
  EXPECT_FALSE(world.wait_dm(kDana, "is active", std::chrono::seconds(2)));
  world.aws().set_faults({});
  ASSERT_TRUE(world.wait_state(*id, State::active, std::chrono::seconds(20))) << world.log(0);
  EXPECT_EQ(world.assignment_count(), 1u);
  EXPECT_TRUE(world.wait_dm(kDana, "Your access is active"));
  const json calls = world.aws().calls();
  EXPECT_EQ(calls["operations"]["sso-admin:CreateAccountAssignment"].value("ok", 0), 1) << calls.dump();
}

TEST(E2eOutage, SlackDownGrantsStillExpireOnTime) {
  World world;
  const std::string id = world.grant(kDana, "prod admin 3s slack outage");
  ASSERT_FALSE(id.empty());
  world.slack().set_down(true);
  ASSERT_TRUE(world.wait_state(id, State::revoked, std::chrono::seconds(15)));
  EXPECT_EQ(world.assignment_count(), 0u);
  auto r = world.read(id);
  EXPECT_LE(*r->ended_at - *r->expires_at, std::chrono::seconds(2));
  // Readiness says Slack is gone, and comes back with it.
  auto http = net::make_http_client();
  const auto ops = *net::Endpoint::parse("http://127.0.0.1:" + std::to_string(world.ops_port(0)));
  ASSERT_TRUE(World::poll(
      [&] {
        auto ready = http->send(ops, {.method = "GET", .target = "/readyz"});
        return ready && ready->status == 503 && ready->body.find("slack") != std::string::npos;
      },
      std::chrono::seconds(10)));
  world.slack().set_down(false);
  ASSERT_TRUE(World::poll(
      [&] {
        auto ready = http->send(ops, {.method = "GET", .target = "/readyz"});
        return ready && ready->status == 200;
      },
      std::chrono::seconds(20)));
}

TEST(E2eSignals, SigtermWithWorkInFlightExitsCleanlyWithinTenSeconds) {
  World world;
  const std::string id = world.grant(kDana, "prod admin 1h in flight");
  ASSERT_FALSE(id.empty());
  world.slack().slash_command(kEve, "request prod admin 1h just before the stop");
  const auto asked = std::chrono::steady_clock::now();
  const int status = world.stop_instance(0);
  const auto took = std::chrono::steady_clock::now() - asked;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << world.log(0);
  EXPECT_LT(took, std::chrono::seconds(10));
  std::cout << "SIGTERM to exit: " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  EXPECT_THAT(world.log(0), HasSubstr(R"("event":"stopping")"));
  // The grant is untouched (it will expire on whichever instance runs next).
  EXPECT_EQ(world.read(id)->state, State::active);
  EXPECT_EQ(world.assignment_count(), 1u);
  // The last command was either handled before the exit or left unacked, so Slack delivers it
  // again to whichever instance is connected: either way it is handled exactly once.
  std::string why;
  ASSERT_TRUE(world.start_instance(1, {}, &why)) << why;
  ASSERT_TRUE(World::poll([&] { return world.store().list_requests({.requester = kEve}).value().size() == 1; },
                          std::chrono::seconds(10)));
  EXPECT_TRUE(world.wait_ephemeral(kEve, "is waiting for approval"));
  EXPECT_EQ(world.store().list_requests({.requester = kEve}).value().size(), 1u);
  EXPECT_EQ(world.check_acks(), "");
}

}  // namespace
}  // namespace jit::testing
