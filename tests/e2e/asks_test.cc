// What users of other JIT tools keep asking for (issue 17), end to end: a real `jit serve` against
// the Slack and AWS emulators.
#include <fmt/format.h>
#include <algorithm>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/load_errors.h"
#include "core/policy.h"
#include "e2e/world.h"
#include "slack/ids.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kReadersChannel[] = "C0READERS";

// sandbox's "reader" role names its own approver (bob, who approves prod but not sandbox) and its
// own channel; sandbox's approvers (alice, dana) are not its approvers.
const std::string kReaderRole = fmt::format(R"toml(
  [[accounts.roles]]
  name = "reader"
  permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000004"
  max_duration = "1h"
  requesters = ["*"]
  approvers = ["{}"]
  owner_channel = "{}"
)toml",
                                            kBob, kReadersChannel);

// Approvers per role: the request is posted in the role's channel, the account's approver is
// refused there, the role's approver grants; the account's other roles keep the account's.
TEST(E2eAsks, ARoleWithItsOwnApproversIsPostedInItsChannelAndDecidedOnlyByThem) {
  World world({.policy_tail = kReaderRole});
  std::string reply;
  auto id = world.request(kDana, "sandbox reader 1h read the billing reports", &reply);
  ASSERT_TRUE(id) << reply;
  EXPECT_THAT(reply, HasSubstr(std::string("<#") + kReadersChannel + ">"));
  ASSERT_TRUE(world.message_ts(kReadersChannel, *id)) << world.slack().messages(kReadersChannel).dump(1);
  EXPECT_FALSE(world.message_ts(demo::kSandbox, *id));

  // alice approves sandbox, but not this role: refused, nothing recorded.
  ASSERT_TRUE(world.click(kAlice, *id, slack::kApproveAction, kReadersChannel));
  EXPECT_TRUE(world.wait_ephemeral_in(kReadersChannel, kAlice, "you are not an approver for role reader on account sandbox"));
  EXPECT_EQ(world.read(*id)->state, State::pending);
  EXPECT_TRUE(world.read(*id)->decisions.empty());

  ASSERT_TRUE(world.click(kBob, *id, slack::kApproveAction, kReadersChannel));
  ASSERT_TRUE(world.wait_state(*id, State::active)) << world.log(0);
  EXPECT_EQ(world.assignment_count(), 1u);

  // sandbox's developer role still goes to sandbox's channel, and bob cannot decide it.
  auto developer = world.request(kDana, "sandbox developer 1h fix the build");
  ASSERT_TRUE(developer);
  ASSERT_TRUE(world.message_ts(demo::kSandbox, *developer));
  ASSERT_TRUE(world.click(kBob, *developer, slack::kApproveAction, demo::kSandbox));
  EXPECT_TRUE(world.wait_ephemeral(kBob, "you are not an approver for account sandbox"));
  EXPECT_EQ(world.read(*developer)->state, State::pending);

  // Policy as it is at the click: a reload that makes alice the role's approver lets her decide.
  std::string policy = world.policy_text();
  const std::string from = fmt::format("approvers = [\"{}\"]\n  owner_channel", kBob);
  ASSERT_NE(policy.find(from), std::string::npos);
  policy.replace(policy.find(from), from.size(), fmt::format("approvers = [\"{}\"]\n  owner_channel", kAlice));
  ASSERT_TRUE(world.rewrite_policy(policy)) << world.log(0);
  auto second = world.request(kEve, "sandbox reader 30m audit the bucket");
  ASSERT_TRUE(second);
  ASSERT_TRUE(world.click(kBob, *second, slack::kApproveAction, kReadersChannel));
  EXPECT_TRUE(world.wait_ephemeral_in(kReadersChannel, kBob, "you are not an approver for role reader on account sandbox"));
  ASSERT_TRUE(world.click(kAlice, *second, slack::kApproveAction, kReadersChannel));
  ASSERT_TRUE(world.wait_state(*second, State::active)) << world.log(0);
  EXPECT_THAT(world.log(0), Not(HasSubstr("xoxb-")));
}

// Auto-approval: granted at once, still posted in the owner channel (marked, no buttons) and in
// the audit trail; the requester hears "approved" and "active", never "waiting".
TEST(E2eAsks, AnAutoApprovedRoleIsGrantedAtOnceAndStillPostedAndAudited) {
  World world({.policy_tail = R"toml(
  [[accounts.roles]]
  name = "viewer"
  permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000004"
  max_duration = "1h"
  requesters = ["*"]
  approvals_required = 0
  auto_approve = true
)toml"});
  std::string reply;
  auto id = world.request(kDana, "sandbox viewer 30m look at the cost dashboards", &reply);
  ASSERT_TRUE(id) << reply;
  ASSERT_TRUE(world.wait_state(*id, State::active)) << world.log(0);
  EXPECT_EQ(world.assignment_count(), 1u);
  EXPECT_TRUE(world.wait_dm(kDana, "expires at"));
  EXPECT_FALSE(world.wait_dm(kDana, "waiting for approval", std::chrono::milliseconds(0)));
  ASSERT_TRUE(world.message_ts(demo::kSandbox, *id));
  ASSERT_TRUE(world.slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        const std::string all = s.messages(demo::kSandbox).dump();
        return all.find("auto-approval (the role's policy)") != std::string::npos;
      },
      std::chrono::seconds(5)))
      << world.slack().messages(demo::kSandbox).dump(1);
  const auto stored = world.read(*id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->decisions.at(0).approver, kAutoApprover);
  const auto [code, verify] = world.audit_verify();
  EXPECT_EQ(code, 0) << verify;
}

// Nobody answers: sandbox's "oncall" role reminds after 2s and escalates after 4s to S0LEADS (bob,
// who approves prod but not sandbox), linked in C0ESCALATE.
constexpr char kEscalationChannel[] = "C0ESCALATE";
const std::string kOnCallRole = fmt::format(R"toml(
  [[accounts.roles]]
  name = "oncall"
  permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000004"
  max_duration = "1h"
  requesters = ["*"]
  remind_after = "2s"
  escalate_after = "4s"
  escalation_approvers = ["{}"]
  escalation_channel = "{}"
)toml",
                                            demo::kLeads, kEscalationChannel);

// Waits until a message in `channel` holds every one of `parts`; that message's text.
std::optional<std::string> message_with(World& world, const std::string& channel, const std::vector<std::string>& parts,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  std::optional<std::string> found;
  world.slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const auto& m : s.messages(channel)) {
          const std::string text = m.value("text", "");
          if (std::all_of(parts.begin(), parts.end(),
                          [&](const std::string& p) { return text.find(p) != std::string::npos; })) {
            found = text;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

// A request nobody answers is re-announced in its thread with its approvers mentioned, then
// escalated: the thread mentions the group, the escalation channel links the request, and bob's
// click grants it. The role's own approvers still decide an escalated request.
TEST(E2eAsks, ARequestNobodyAnswersIsRemindedThenEscalatedAndTheEscalationApproverGrantsIt) {
  World world({.policy_tail = kOnCallRole});
  auto id = world.request(kDana, "sandbox oncall 30m the pager fired");
  ASSERT_TRUE(id);
  const auto ts = world.message_ts(demo::kSandbox, *id);
  ASSERT_TRUE(ts);
  const std::string alice = fmt::format("<@{}>", kAlice), leads = fmt::format("<!subteam^{}>", demo::kLeads);

  // The reminder: in the request's thread, sandbox's approvers mentioned.
  const auto reminder = message_with(world, demo::kSandbox, {"Still waiting for a decision", alice});
  ASSERT_TRUE(reminder) << world.slack().messages(demo::kSandbox).dump(1) << world.log(0);
  // The escalation: the thread mentions S0LEADS, and the escalation channel links the request.
  ASSERT_TRUE(message_with(world, demo::kSandbox, {"Escalated", leads})) << world.slack().messages(demo::kSandbox).dump(1);
  const auto linked = message_with(world, kEscalationChannel, {*id, leads, "open the request"});
  ASSERT_TRUE(linked) << world.slack().messages(kEscalationChannel).dump(1);
  EXPECT_THAT(*linked, HasSubstr(fmt::format("<@{}>", kDana)));
  for (const auto& m : world.slack().messages(demo::kSandbox))
    if (m.value("text", "").find("Still waiting for a decision") != std::string::npos ||
        m.value("text", "").find("Escalated") != std::string::npos) {
      EXPECT_EQ(m.value("thread_ts", ""), *ts) << m.dump();
    }
  const auto stored = world.read(*id);
  ASSERT_TRUE(stored);
  ASSERT_TRUE(stored->reminded_at);
  ASSERT_TRUE(stored->escalated_at);
  EXPECT_LE(*stored->reminded_at, *stored->escalated_at);

  // bob, an escalation approver only, grants it with the owner-channel message's button.
  ASSERT_TRUE(world.click(kBob, *id, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(world.wait_state(*id, State::active)) << world.log(0);
  EXPECT_EQ(world.assignment_count(), 1u);
  EXPECT_EQ(world.read(*id)->decisions.at(0).approver, kBob);

  // The original approvers still can: eve's request, escalated too, approved by alice.
  auto second = world.request(kEve, "sandbox oncall 30m check the pager");
  ASSERT_TRUE(second);
  ASSERT_TRUE(message_with(world, kEscalationChannel, {*second, leads})) << world.log(0);
  ASSERT_TRUE(world.click(kAlice, *second, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(world.wait_state(*second, State::active)) << world.log(0);
  const auto [code, verify] = world.audit_verify();
  EXPECT_EQ(code, 0) << verify;
}

// The requester withdraws a reminded request: no escalation follows. (The escalation is 10 s
// out here, so that the cancel lands before it even on a loaded machine.)
TEST(E2eAsks, ACancelStopsTheEscalationOfARemindedRequest) {
  World world({.policy_tail = test::replaced(kOnCallRole, "escalate_after = \"4s\"", "escalate_after = \"10s\"")});
  auto id = world.request(kDana, "sandbox oncall 30m the pager fired");
  ASSERT_TRUE(id);
  ASSERT_TRUE(message_with(world, demo::kSandbox, {"Still waiting for a decision"})) << world.log(0);
  world.slack().slash_command(kDana, "cancel " + *id);
  ASSERT_TRUE(world.wait_state(*id, State::cancelled)) << world.log(0);
  ASSERT_FALSE(world.read(*id)->escalated_at) << "the cancel came after the escalation: a slow machine";
  // Until well past escalate_after (the sweep runs every second): nothing in the escalation
  // channel, no escalated event.
  const TimePoint escalation_due = world.read(*id)->created_at + Seconds{12};
  const auto escalated = [&] {
    return !world.slack().messages(kEscalationChannel).empty() || world.read(*id)->escalated_at.has_value();
  };
  World::poll([&] { return escalated() || std::chrono::system_clock::now() > escalation_due; },
              std::chrono::seconds(15));
  EXPECT_FALSE(escalated()) << world.slack().messages(kEscalationChannel).dump(1);
  EXPECT_GT(std::chrono::system_clock::now(), escalation_due);
  EXPECT_EQ(world.read(*id)->state, State::cancelled);
}

}  // namespace
}  // namespace jit::testing
