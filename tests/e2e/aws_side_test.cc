// AWS itself ends the access (issue 14): with every `jit serve` killed -9 seconds before expiry,
// the deny armed at grant time cuts the live session at the expiry second, and the grant's
// EventBridge schedule deletes the assignment within the minute; a later grant's fresh session is
// not cut by the earlier grant's deny. On SQLite and on DynamoDB (moto_server).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "e2e/world.h"
#include "slack/ids.h"

namespace jit::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kSandboxAccount = demo::kSandboxAccountId;
constexpr const char* kOpsSet = demo::kOpsPermissionSet;
const std::string kDanaPrincipal = demo::person_of(kDana).aws_id;
// The emulated Scheduler fires this late (AWS promises within a minute).
constexpr auto kFireDelay = 3s;



std::string grant_ops(World& world, const std::string& reason) {
  std::string reply;
  auto id = world.request(kDana, "sandbox ops 20s " + reason, &reply);
  EXPECT_TRUE(id) << reply;
  if (!id) return "";
  EXPECT_TRUE(world.click(kAlice, *id, slack::kApproveAction, demo::kSandbox));
  EXPECT_TRUE(world.wait_state(*id, State::active, 30s)) << world.log(0);
  return *id;
}

class AwsSideTest : public ::testing::TestWithParam<bool> {};

TEST_P(AwsSideTest, WithEveryInstanceKilledTheDenyCutsTheSessionAndTheScheduleDeletesTheAssignment) {
  World world({.instances = 1, .dynamodb = GetParam(), .schedule_fire_delay = kFireDelay, .policy_tail = sandbox_ops_role()});
  const std::string id = grant_ops(world, "kill test");
  ASSERT_FALSE(id.empty());
  const auto expires_at = world.read(id)->expires_at.value();

  // Active means armed: the statement is in the account's provisioned policy, the schedule exists.
  EXPECT_NE(world.aws().provisioned_policy(kOpsSet, kSandboxAccount).value_or("").find("JitCutoff" + id), std::string::npos);
  EXPECT_NE(world.aws().schedules().dump().find("jit-" + id), std::string::npos);

  // dana signs in during the grant: a live session.
  auto session = world.aws().open_session(kDanaPrincipal, kSandboxAccount, kOpsSet);
  ASSERT_TRUE(session) << session.error().message;

  // Every instance dies well before the expiry.
  world.kill_instance(0);
  ASSERT_TRUE(dana_holds_sandbox_ops(world)) << world.aws().assignments().dump();

  // The deny: allowed up to the expiry second, denied from it on, with nothing of ours running.
  auto before = world.aws().session_allowed(session->id, expires_at - 1s);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_TRUE(before->allowed) << before->reason;
  auto after = world.aws().session_allowed(session->id, expires_at + 1s);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_FALSE(after->allowed) << after->reason;
  EXPECT_EQ(after->statement, "JitCutoff" + id) << after->reason;

  // The schedule: the assignment is gone within the minute, later than the expiry.
  ASSERT_TRUE(World::poll([&] { return !dana_holds_sandbox_ops(world); }, 60s + kFireDelay))
      << world.aws().schedules().dump();
  const auto gone_at = std::chrono::system_clock::now();
  EXPECT_GE(gone_at, expires_at + kFireDelay);
  EXPECT_LT(gone_at - expires_at, 60s);

  // The service comes back and records the end (its revoke and the schedule's deletion are no-ops).
  std::string why;
  ASSERT_TRUE(world.start_instance(0, {}, &why)) << why;
  ASSERT_TRUE(world.wait_state(id, State::revoked, 30s)) << world.log(0);

  // A new grant's fresh session is not cut by the first grant's deny.
  const std::string again = grant_ops(world, "again");
  ASSERT_FALSE(again.empty());
  auto fresh = world.aws().open_session(kDanaPrincipal, kSandboxAccount, kOpsSet);
  ASSERT_TRUE(fresh) << fresh.error().message;
  auto now = world.aws().session_allowed(fresh->id);
  ASSERT_TRUE(now) << now.error().message;
  EXPECT_TRUE(now->allowed) << now->reason;

  // Early release ends the live session at the release and deletes the schedule.
  world.slack().slash_command(kDana, "release " + again);
  ASSERT_TRUE(world.wait_state(again, State::revoked, 30s)) << world.log(0);
  auto released = world.aws().session_allowed(fresh->id, std::chrono::system_clock::now() + 1s);
  ASSERT_TRUE(released) << released.error().message;
  EXPECT_FALSE(released->allowed) << released->reason;
  EXPECT_EQ(world.aws().schedules().dump().find("jit-" + again), std::string::npos);

  auto [code, out] = world.audit_verify();
  EXPECT_EQ(code, 0) << out;
}

INSTANTIATE_TEST_SUITE_P(Stores, AwsSideTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "DynamoDb" : "Sqlite"; });

}  // namespace
}  // namespace jit::testing
