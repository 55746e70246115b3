#include "slack/blocks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "slack/escape.h"

namespace jit::slack {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const TimePoint kT = *parse_time("2026-11-24T10:00:00Z");

Policy policy() {
  Policy p;
  AccountPolicy prod{.name = "prod", .id = "123456789012", .owner_channel = "C0PROD", .approvers = {"U0ALICE"}};
  prod.roles.push_back({.name = "admin", .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-1",
                        .max_duration = std::chrono::hours{2}, .tier = Tier::high, .requesters = {"*"}});
  prod.roles.push_back({.name = "glass", .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-2",
                        .max_duration = std::chrono::hours{1}, .tier = Tier::break_glass, .approvals_required = 2,
                        .requesters = {"*"}});
  p.accounts.push_back(prod);
  return p;
}

AccessRequest request() {
  return AccessRequest{.id = "r7k2m9x", .requester = "U0DEV", .account = "prod", .account_id = "123456789012",
                       .role = "admin", .duration = std::chrono::minutes{90},
                       .reason = "fix <!channel> and <@U0BOSS> <https://evil.example|click> & more",
                       .ticket = "OPS-42", .created_at = kT, .state = State::pending};
}

std::string all_text(const nlohmann::json& j) { return j.dump(); }

TEST(SlackBlocks, EscapeNeutralisesMentionsAndLinks) {
  EXPECT_EQ(escape("<!channel> & <@U1> <http://x|y>"), "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;http://x|y&gt;");
  EXPECT_EQ(mention("U0DEV"), "<@U0DEV>");
  EXPECT_EQ(mention("U0<!here>"), "U0&lt;!here&gt;");
  EXPECT_EQ(date_token(kT), "<!date^1795514400^{date_short_pretty} {time}|2026-11-24T10:00:00Z>");
}

TEST(SlackBlocks, PendingMessageShowsEveryFactAndBothButtons) {
  auto m = request_message(request(), policy());
  const std::string text = all_text(m);
  for (const char* fact : {"<@U0DEV>", "prod (123456789012)", "admin · high", "1h30m", "OPS-42", "r7k2m9x"})
    EXPECT_THAT(text, HasSubstr(fact));
  EXPECT_THAT(text, Not(HasSubstr("<!channel>")));
  EXPECT_THAT(text, Not(HasSubstr("<@U0BOSS>")));
  EXPECT_THAT(text, Not(HasSubstr("<https://evil")));
  EXPECT_THAT(text, HasSubstr("&lt;!channel&gt;"));
  const auto& actions = m["blocks"].back();
  ASSERT_EQ(actions["type"], "actions");
  ASSERT_EQ(actions["elements"].size(), 2u);
  EXPECT_EQ(actions["elements"][0]["action_id"], kApproveAction);
  EXPECT_EQ(actions["elements"][0]["style"], "primary");
  EXPECT_EQ(actions["elements"][0]["value"], "r7k2m9x");
  EXPECT_EQ(actions["elements"][1]["action_id"], kDenyAction);
  EXPECT_EQ(actions["elements"][1]["style"], "danger");
  EXPECT_TRUE(actions["elements"][1].contains("confirm"));
  EXPECT_EQ(actions["elements"][1]["value"], "r7k2m9x");
}

TEST(SlackBlocks, PendingMessageShowsWhoWillReceiveTheAccess) {
  AccessRequest r = request();
  EXPECT_THAT(all_text(request_message(r, policy())), Not(HasSubstr("Access goes to"))) << "a row from before";
  r.requester_email = "dev<!here>@example.com";
  r.principal = "90676d5a-1234";
  const std::string text = all_text(request_message(r, policy()));
  EXPECT_THAT(text, HasSubstr("*Access goes to*\\ndev&lt;!here&gt;@example.com · Identity Center user `90676d5a-1234`"));
}

TEST(SlackBlocks, MultiApprovalShowsWhatIsStillNeeded) {
  AccessRequest r = request();
  r.role = "glass";
  r.decisions.push_back({"U0ALICE", true, "", kT});
  const std::string text = all_text(request_message(r, policy()));
  EXPECT_THAT(text, HasSubstr("break-glass"));
  EXPECT_THAT(text, HasSubstr("Approvals: 1 of 2"));
  EXPECT_THAT(text, HasSubstr("<@U0ALICE>"));
}

TEST(SlackBlocks, DecidedMessageReplacesButtonsWithTheOutcome) {
  AccessRequest r = request();
  r.state = State::active;
  r.decisions.push_back({"U0ALICE", true, "", kT});
  r.expires_at = kT + std::chrono::minutes{90};
  auto m = request_message(r, policy());
  EXPECT_NE(m["blocks"].back()["type"], "actions");
  const std::string text = all_text(m);
  EXPECT_THAT(text, HasSubstr("Approved by <@U0ALICE>"));
  EXPECT_THAT(text, HasSubstr("<!date^"));
  EXPECT_THAT(text, HasSubstr("2026-11-24T11:30:00Z"));

  r.state = State::denied;
  r.decisions = {{"U0BOB", false, "use <!here> the runbook", kT}};
  const std::string denied = all_text(request_message(r, policy()));
  EXPECT_THAT(denied, HasSubstr("Denied by <@U0BOB>: use &lt;!here&gt; the runbook"));
}

TEST(SlackBlocks, ThreadAndNoticeTexts) {
  AccessRequest r = request();
  r.state = State::active;
  r.expires_at = kT + std::chrono::minutes{90};
  AuditEvent e{.actor = "U0ALICE", .action = "approve"};
  EXPECT_EQ(thread_text(r, e), "<@U0ALICE> approved.");
  e = {.actor = "system:engine", .action = "grant_succeeded"};
  EXPECT_THAT(thread_text(r, e), HasSubstr("Access is active until <!date^"));
  EXPECT_THAT(notice_text(r, Notice::active, "https://d-0000000000.awsapps.com/start"),
              HasSubstr("<https://d-0000000000.awsapps.com/start|the AWS access portal>"));
  EXPECT_THAT(notice_text(r, Notice::expiring_soon, ""), HasSubstr("Make a new request"));
  r.chat_channel = "C0PROD";
  EXPECT_THAT(notice_text(r, Notice::submitted, ""), HasSubstr("is waiting for approval in <#C0PROD>."));
  r.chat_channel.clear();  // not posted yet (Slack was down): no channel to name
  EXPECT_THAT(notice_text(r, Notice::submitted, ""), HasSubstr("is waiting for approval."));
}

}  // namespace
}  // namespace jit::slack
