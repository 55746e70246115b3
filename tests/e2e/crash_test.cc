// kill -9 at each step of the grant and revoke paths: a `jit serve` armed with JIT_CRASH_AT dies
// (SIGKILL) at that point; then it is restarted, or a second instance carries on once the dead
// one's lease has run out. Whatever the point, the lifecycle converges: the grant is made once,
// revoked at or soon after its expiry, no assignment is left in the emulated Identity Center (nor,
// on the IAM-role path, a grant statement in the role's trust policy, whose admin statement stays
// byte for byte), no audit event is lost and the chain verifies.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "audit/chain.h"
#include "e2e/world.h"
#include "slack/ids.h"

namespace jit::testing {
namespace {

using nlohmann::json;

struct CrashCase {
  const char* point;
  bool other_instance;    // false: the same instance restarts; true: instance 1 takes over
  bool dynamodb = false;  // the production store (moto_server) instead of SQLite
  bool iam_role = false;  // the legacy account's admin role (the IAM-role path, issue 16) instead of prod admin
};

void PrintTo(const CrashCase& c, std::ostream* os) {
  *os << c.point << (c.other_instance ? " (takeover)" : "") << (c.dynamodb ? " on DynamoDB" : "")
      << (c.iam_role ? " on an IAM role" : "");
}

class CrashTest : public ::testing::TestWithParam<CrashCase> {};

TEST_P(CrashTest, KilledAtThisPointTheLifecycleStillConverges) {
  const CrashCase& c = GetParam();
  const std::string point = c.point;
  World world({.instances = 0, .dynamodb = c.dynamodb, .iam_role = c.iam_role});
  std::string why;
  ASSERT_TRUE(world.start_instance(0, {{"JIT_CRASH_AT", point}}, &why)) << why;

  auto carry_on = [&] {
    ASSERT_TRUE(World::poll([&] { return !world.running(0); }, std::chrono::seconds(20)))
        << "instance 0 did not die at " << point << "\n" << world.log(0);
    EXPECT_THAT(world.log(0), ::testing::HasSubstr("fault_injection_crash"));
    std::string why;
    ASSERT_TRUE(world.start_instance(c.other_instance ? 1 : 0, {}, &why)) << why;
  };

  const bool crashes_on_submit = point == "after_write:submit";
  const bool crashes_on_release = point == "after_write:release";
  const bool crashes_on_revoke = point.find("revoke") != std::string::npos || point == "after_write:expire";
  const bool crashes_on_grant = !crashes_on_submit && !crashes_on_release && !crashes_on_revoke;

  const std::string target = c.iam_role ? "legacy admin" : "prod admin";
  const std::string owner_channel = c.iam_role ? demo::kLegacy : kProdChannel;
  const std::string short_grant = c.iam_role ? demo::kGrantSeconds : "5s";  // legacy admin allows 8s, 30m, 1h
  world.slack().slash_command(kDana, fmt::format("request {} {} crash test", target, crashes_on_release ? "1h" : short_grant));
  if (crashes_on_submit) {
    ASSERT_NO_FATAL_FAILURE(carry_on());
  }
  // The request exists (posted by its submitter, or by the sweeper of whoever carries on).
  std::string id;
  ASSERT_TRUE(World::poll(
      [&] {
        auto mine = world.store().list_requests({.requester = kDana});
        if (!mine || mine->empty()) return false;
        id = (*mine)[0].id;
        return !(*mine)[0].chat_ts.empty();
      },
      std::chrono::seconds(20)));
  ASSERT_TRUE(world.click(kAlice, id, slack::kApproveAction, owner_channel));
  if (crashes_on_grant) {
    ASSERT_NO_FATAL_FAILURE(carry_on());
  }
  ASSERT_TRUE(world.wait_state(id, State::active, std::chrono::seconds(20))) << world.log(c.other_instance ? 1 : 0);
  if (crashes_on_release) {
    world.slack().slash_command(kDana, "release " + id);
    ASSERT_NO_FATAL_FAILURE(carry_on());
  }
  if (crashes_on_revoke) {
    ASSERT_NO_FATAL_FAILURE(carry_on());
  }
  ASSERT_TRUE(world.wait_state(id, State::revoked, std::chrono::seconds(20)));

  // Nothing left in AWS, written at least once.
  const json calls = world.aws().calls()["operations"];
  if (c.iam_role) {
    const json iam = world.aws().iam();
    for (const auto& role : iam["roles"]) {
      if (role.value("arn", "") != demo::kLegacyAdminRole) continue;
      const std::string trust = role.value("trust_policy", "");
      EXPECT_EQ(trust.find("JitGrant"), std::string::npos) << trust;
      EXPECT_NE(trust.find(demo::kLegacyForeignStatement), std::string::npos) << trust;
    }
    EXPECT_GE(calls["iam:UpdateAssumeRolePolicy"].value("ok", 0), 2) << calls.dump();  // the grant's and the revoke's
  } else {
    EXPECT_EQ(world.assignment_count(), 0u) << world.aws().assignments().dump();
    EXPECT_GE(calls["sso-admin:CreateAccountAssignment"].value("ok", 0), 1);
  }
  // The revocation ended at the expiry second or after, within expiry + lease + one sweep (and on
  // the IAM-role path, the re-reads that wait for IAM to show the change, about a second each).
  auto r = world.read(id);
  ASSERT_TRUE(r && r->ended_at && r->expires_at);
  if (!crashes_on_release) {
    EXPECT_LE(*r->ended_at - *r->expires_at, std::chrono::seconds(3 + 1 + 2 + (c.iam_role ? 3 : 0)));
  }

  // Every step is in the trail once, in order, and the chain verifies.
  auto events = world.store().audit_events({}).value();
  std::map<std::string, int> per_action;
  for (const auto& e : events)
    if (e.request_id == id) ++per_action[e.action];
  for (const char* action : {"submit", "posted", "approve", "begin_grant", "grant_succeeded", "revoke_succeeded"})
    EXPECT_EQ(per_action[action], 1) << action;
  EXPECT_EQ(per_action["expire"] + per_action["release"], 1);
  auto report = audit::verify(events, world.store().audit_head().value(), audit::Keyring::unkeyed());
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(world.check_acks(), "");
}

// Twelve distinct points, on both paths; half restart the same instance, half are carried on by
// another instance after the lease; four of them again on DynamoDB, seven on the IAM-role path.
INSTANTIATE_TEST_SUITE_P(
    Points, CrashTest,
    ::testing::Values(CrashCase{"after_write:submit", false}, CrashCase{"after_write:approve", true},
                      CrashCase{"after_chat:approve", false}, CrashCase{"after_write:begin_grant", true},
                      CrashCase{"before_provider:grant", false}, CrashCase{"after_provider:grant", true},
                      CrashCase{"after_write:grant_succeeded", false}, CrashCase{"after_write:expire", true},
                      CrashCase{"before_provider:revoke", false}, CrashCase{"after_provider:revoke", true},
                      CrashCase{"after_write:revoke_succeeded", false}, CrashCase{"after_write:release", true},
                      // The same on the production store, for a point of each path.
                      CrashCase{"after_write:submit", true, true}, CrashCase{"after_provider:grant", true, true},
                      CrashCase{"after_write:expire", true, true}, CrashCase{"after_provider:revoke", false, true},
                      // The IAM-role path (issue 16): the trust statement and the cut-off deny written
                      // or removed around each crash.
                      CrashCase{"before_provider:arm", true, false, true}, CrashCase{"after_provider:arm", false, false, true},
                      CrashCase{"after_provider:grant", true, false, true}, CrashCase{"after_write:grant_succeeded", false, false, true},
                      CrashCase{"before_provider:revoke", true, false, true}, CrashCase{"after_provider:revoke", false, false, true},
                      CrashCase{"after_write:release", true, false, true}),
    [](const ::testing::TestParamInfo<CrashCase>& info) {
      std::string name = info.param.point;
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name + (info.param.other_instance ? "_takeover" : "_restart") + (info.param.dynamodb ? "_dynamodb" : "") +
             (info.param.iam_role ? "_iam_role" : "");
    });

}  // namespace
}  // namespace jit::testing
