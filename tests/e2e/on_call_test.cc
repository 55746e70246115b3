// On-call auto-approval (issue 17) end to end: a real `jit serve` against the Slack and AWS
// emulators and the PagerDuty emulator. The requester on call is granted at once; anyone else, and
// everyone while PagerDuty fails or is gone, waits for a person, who then grants as usual.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/policy.h"
#include "e2e/world.h"
#include "slack/ids.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSchedule[] = "PSANDBOX1";

// sandbox's "ops" role: approved for whoever is on call on kSchedule, else by sandbox's approver
// (alice).
const std::string kOpsRole = fmt::format(R"toml(
  [[accounts.roles]]
  name = "ops"
  permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000004"
  max_duration = "1h"
  requesters = ["*"]
  approvals_required = 1
  auto_approve_if_on_call = "{}"
)toml",
                                         kSchedule);

// Waits until the sandbox channel (messages and thread replies) shows `text`.
bool sandbox_says(World& world, const std::string& text) {
  return world.slack().wait_for(
      [&](const emulators::SlackEmulator& s) { return s.messages(demo::kSandbox).dump().find(text) != std::string::npos; },
      std::chrono::seconds(10));
}

// What the World's PagerDuty was asked: GET /oncalls for kSchedule with the token.
int questions_about_schedule(World& world) {
  int n = 0;
  for (const auto& r : world.pagerduty().requests())
    if (r["target"].get<std::string>().find(std::string("schedule_ids%5B%5D=") + kSchedule) != std::string::npos &&
        r["authorized"].get<bool>() && r["accept"] == "application/vnd.pagerduty+json;version=2")
      ++n;
  return n;
}

TEST(E2eOnCall, TheRequesterOnCallIsGrantedAtOnceAndSomeoneElseWaitsForAPerson) {
  World world({.policy_tail = kOpsRole, .pagerduty = true});
  world.pagerduty().set_on_call(kSchedule, {{pagerduty_user_id(kDana)}});

  std::string reply;
  auto id = world.request(kDana, "sandbox ops 30m INC-42 restart the stuck consumer", &reply);
  ASSERT_TRUE(id) << reply;
  ASSERT_TRUE(world.wait_state(*id, State::active)) << world.log(0);
  EXPECT_EQ(world.assignment_count(), 1u);
  const auto granted = world.read(*id);
  ASSERT_TRUE(granted);
  ASSERT_EQ(granted->decisions.size(), 1u);
  EXPECT_EQ(granted->decisions[0].approver, kAutoApprover);
  ASSERT_TRUE(world.message_ts(demo::kSandbox, *id));
  EXPECT_TRUE(sandbox_says(world, fmt::format("auto-approval (on call on PagerDuty schedule {})", kSchedule)))
      << world.slack().messages(demo::kSandbox).dump(1);
  EXPECT_TRUE(world.wait_dm(kDana, "expires at"));
  EXPECT_GE(questions_about_schedule(world), 1);
  EXPECT_THAT(world.log(0), HasSubstr(fmt::format(R"("event":"on_call_approval","pagerduty_user":"{}","request":"{}",)"
                                                  R"("schedule":"{}")",
                                                  pagerduty_user_id(kDana), *id, kSchedule)));

  // eve is not on call: her request waits, the channel says why, and alice's approval grants it.
  auto waiting = world.request(kEve, "sandbox ops 30m INC-42 read the consumer's logs", &reply);
  ASSERT_TRUE(waiting) << reply;
  EXPECT_TRUE(sandbox_says(world, fmt::format("eve@example.com is not on call on PagerDuty schedule {}: an approver "
                                              "decides",
                                              kSchedule)))
      << world.slack().messages(demo::kSandbox).dump(1);
  EXPECT_EQ(world.read(*waiting)->state, State::pending);
  EXPECT_TRUE(world.wait_dm(kEve, "waiting for approval"));
  ASSERT_TRUE(world.click(kAlice, *waiting, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(world.wait_state(*waiting, State::active)) << world.log(0);
  EXPECT_EQ(world.read(*waiting)->decisions.at(0).approver, kAlice);

  const auto [code, verify] = world.audit_verify();
  EXPECT_EQ(code, 0) << verify;
  EXPECT_THAT(world.log(0), Not(HasSubstr(emulators::kPagerDutyEmulatorToken)));
}

// PagerDuty failing (500s), then gone (stopped): the on-call requester's request waits for a
// person each time, never approved by the service; a person's approval grants it.
TEST(E2eOnCall, WhenPagerDutyDoesNotAnswerAPersonDecides) {
  World world({.policy_tail = kOpsRole, .pagerduty = true, .pagerduty_timeout = "2s"});
  world.pagerduty().set_on_call(kSchedule, {{pagerduty_user_id(kDana)}, {pagerduty_user_id(kEve)}});
  world.pagerduty().set_fault({.kind = emulators::PagerDutyFault::Kind::status, .status = 500});

  std::string reply;
  auto failing = world.request(kDana, "sandbox ops 30m INC-43 drain the queue", &reply);
  ASSERT_TRUE(failing) << reply;
  EXPECT_TRUE(sandbox_says(world, "human approval needed")) << world.slack().messages(demo::kSandbox).dump(1);
  EXPECT_TRUE(sandbox_says(world, "HTTP 500"));
  EXPECT_EQ(world.read(*failing)->state, State::pending);
  EXPECT_TRUE(world.read(*failing)->decisions.empty());
  EXPECT_EQ(world.assignment_count(), 0u);
  EXPECT_THAT(world.log(0), HasSubstr(R"("event":"pagerduty_failed","schedule":"PSANDBOX1")"));
  ASSERT_TRUE(world.click(kAlice, *failing, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(world.wait_state(*failing, State::active)) << world.log(0);
  EXPECT_EQ(world.read(*failing)->decisions.at(0).approver, kAlice);

  world.pagerduty().stop();
  auto gone = world.request(kEve, "sandbox ops 30m INC-43 check the replicas", &reply);
  ASSERT_TRUE(gone) << reply;
  // The channel says why a person decides (the detail names eve; it is no claim that she is on
  // call), the log records the check, and no auto-approval is claimed anywhere.
  EXPECT_TRUE(sandbox_says(world, "PagerDuty did not answer whether eve@example.com is on call"))
      << world.slack().messages(demo::kSandbox).dump(1);
  ASSERT_TRUE(World::poll(
      [&] {
        return world.log(0).find(fmt::format(R"("event":"on_call_no_approval","request":"{}")", *gone)) !=
               std::string::npos;
      },
      std::chrono::seconds(15)))
      << world.log(0);
  EXPECT_THAT(world.slack().messages(demo::kSandbox).dump(), Not(HasSubstr("auto-approval")));
  EXPECT_EQ(world.read(*gone)->state, State::pending);
  EXPECT_TRUE(world.read(*gone)->decisions.empty());
  ASSERT_TRUE(world.click(kAlice, *gone, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(world.wait_state(*gone, State::active)) << world.log(0);
  EXPECT_EQ(world.assignment_count(), 2u);
  const auto [code, verify] = world.audit_verify();
  EXPECT_EQ(code, 0) << verify;
}

}  // namespace
}  // namespace jit::testing
