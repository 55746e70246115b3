// Who gets the access is the person who asked (issue 12), end to end: real `jit serve` against the
// Slack and AWS emulators, the directory changed through the Slack emulator as a workspace admin
// (or an attacker with admin rights) would.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e/world.h"
#include "slack/ids.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

// The owner-channel message of a request, as JSON text.
std::string owner_message(World& world, const std::string& id) {
  const auto ts = world.message_ts(kProdChannel, id);
  if (!ts) return "";
  for (const auto& m : world.slack().messages(kProdChannel))
    if (m.value("ts", "") == *ts) return m.dump();
  return "";
}

// Dana asks; before alice approves, dana's Slack e-mail becomes eve's (who has an Identity Center
// user of her own). The grant must not go to eve: it fails, naming both addresses.
TEST(E2eRequester, EmailChangedBetweenSubmitAndApprovalRefusesTheGrant) {
  World world;
  auto id = world.request(kDana, "prod admin 1h who am i");
  ASSERT_TRUE(id);
  EXPECT_THAT(owner_message(world, *id), HasSubstr("dana@example.com")) << "the approver sees who gets the access";
  ASSERT_TRUE(world.slack().update_user(kDana, {{"email", "eve@example.com"}}));
  ASSERT_TRUE(world.click(kAlice, *id, slack::kApproveAction));
  ASSERT_TRUE(world.wait_state(*id, State::failed)) << world.log(0);
  EXPECT_THAT(world.read(*id)->end_reason, HasSubstr("changed from dana@example.com to eve@example.com"));
  EXPECT_EQ(world.assignment_count(), 0u);
  EXPECT_THAT(world.aws().calls().dump(), ::testing::Not(HasSubstr("CreateAccountAssignment")));
}

// A deactivated account cannot ask, and the reply says why.
TEST(E2eRequester, DeactivatedAccountIsRefusedAtSubmit) {
  World world;
  ASSERT_TRUE(world.slack().update_user(kEve, {{"deleted", true}}));
  std::string reply;
  EXPECT_FALSE(world.request(kEve, "prod admin 1h still here", &reply));
  EXPECT_THAT(reply, HasSubstr("deactivated"));
  EXPECT_TRUE(world.store().list_requests({}).value().empty());
}

// The S0LEADS group (an approver of prod) is deleted in Slack: requests and alice's approval go on,
// and the ops channel hears about the group once.
TEST(E2eRequester, DeletedGroupDoesNotBlockOtherApprovals) {
  World world;
  ASSERT_TRUE(world.slack().delete_usergroup(demo::kLeads));
  auto id = world.request(kDana, "prod admin 1h group gone");
  ASSERT_TRUE(id) << world.log(0);
  ASSERT_TRUE(world.click(kAlice, *id, slack::kApproveAction));
  ASSERT_TRUE(world.wait_state(*id, State::active)) << world.log(0);
  EXPECT_EQ(world.assignment_count(), 1u);
  auto alerts = [&] {
    int n = 0;
    for (const auto& m : world.slack().messages(kOpsChannel))
      if (m.value("text", "").find(demo::kLeads) != std::string::npos) ++n;
    return n;
  };
  ASSERT_TRUE(world.slack().wait_for([&](const auto&) { return alerts() > 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(alerts(), 1) << "once, not per click";
  EXPECT_THAT(world.slack().messages(kOpsChannel).dump(), HasSubstr("no longer knows"));
}

}  // namespace
}  // namespace jit::testing
