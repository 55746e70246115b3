#include "slack/blocks.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/limits.h"
#include "emulators/slack/block_kit.h"
#include "slack/escape.h"
#include "slack/limits.h"
#include "slack/render_fixture.h"

namespace jit::slack {
namespace {
namespace blocks_test {  // its own names: the unity build compiles it beside other files

using ::testing::HasSubstr;
using ::testing::Not;

const TimePoint kT = *parse_time("2026-11-24T10:00:00Z");

Policy policy() { return testing::render_policy(); }

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

// Issue 17: the active grant's DMs carry "Request more time", valued with the grant's id; the other
// notices, and a grant no longer active, do not.
TEST(SlackBlocks, TheActiveGrantsMessagesOfferMoreTime) {
  AccessRequest r = request();
  r.state = State::active;
  r.expires_at = kT + std::chrono::minutes{90};
  for (Notice n : {Notice::active, Notice::expiring_soon}) {
    auto message = notice_blocks(r, n, "the text");
    ASSERT_TRUE(message);
    EXPECT_EQ((*message)["text"], "the text");
    const auto& button = (*message)["blocks"][1]["elements"][0];
    EXPECT_EQ(button["action_id"], kExtendAction);
    EXPECT_EQ(button["value"], r.id);
    EXPECT_EQ(button["text"]["text"], "Request more time");
  }
  EXPECT_FALSE(notice_blocks(r, Notice::approved, "x"));
  r.state = State::revoked;
  EXPECT_FALSE(notice_blocks(r, Notice::active, "x"));
}

TEST(SlackBlocks, AnExtensionSaysWhichGrantItExtendsAndTheHandoverIsInTheThread) {
  AccessRequest r = request();
  r.extends = "r-old<@U0X>";
  const std::string text = request_message(r, policy()).dump();
  EXPECT_THAT(text, HasSubstr("requests more time on grant `r-old&lt;@U0X&gt;`"));
  EXPECT_THAT(thread_text(r, {.actor = "system:engine", .action = "hand_over", .detail = "r-new took it over"}),
              HasSubstr("r-new took it over"));
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
  EXPECT_THAT(notice_text(r, Notice::expiring_soon, ""), HasSubstr("*Request more time* below"));
  EXPECT_THAT(notice_text(r, Notice::expiring_soon, ""), HasSubstr("/jit extend " + r.id));
  r.chat_channel = "C0PROD";
  EXPECT_THAT(notice_text(r, Notice::submitted, ""), HasSubstr("is waiting for approval in <#C0PROD>."));
  r.chat_channel.clear();  // not posted yet (Slack was down): no channel to name
  EXPECT_THAT(notice_text(r, Notice::submitted, ""), HasSubstr("is waiting for approval."));
}

// Issue 16: a grant of an IAM role is used by assuming the role, not through the portal.
AccessRequest iam_role_grant() {
  AccessRequest r = request();
  r.account = "legacy";
  r.account_id = "222233334444";
  r.permission_set_arn = "arn:aws:iam::222233334444:role/jit-elevated/admin";
  r.requester_email = r.principal = "dev@example.com";
  r.state = State::active;
  r.expires_at = kT + std::chrono::minutes{90};
  return r;
}

TEST(SlackBlocks, TheActiveNoticeOfAnIamRoleSaysHowToAssumeIt) {
  const std::string text = notice_text(iam_role_grant(), Notice::active, "https://d-0000000000.awsapps.com/start");
  EXPECT_THAT(text, HasSubstr(":white_check_mark: Your access is active: *admin* on *legacy* for 1h30m (`r7k2m9x`). "
                              "It expires at <!date^"));
  EXPECT_THAT(text, HasSubstr(" From a session of your usual (base) AWS role, assume "
                              "`arn:aws:iam::222233334444:role/jit-elevated/admin` with your e-mail address as source "
                              "identity:\n```aws sts assume-role --role-arn "
                              "arn:aws:iam::222233334444:role/jit-elevated/admin --role-session-name dev@example.com "
                              "--source-identity dev@example.com```\n"));
  EXPECT_THAT(text, HasSubstr("IAM can take a few seconds to apply the grant everywhere: if the first attempt is "
                              "refused, try again in a few seconds."));
  EXPECT_THAT(text, Not(HasSubstr("access portal")));
  // A permission set's grant keeps the portal, and no assume-role line.
  AccessRequest sso = request();
  sso.state = State::active;
  sso.expires_at = kT + std::chrono::minutes{90};
  EXPECT_THAT(notice_text(sso, Notice::active, "https://portal.example"), Not(HasSubstr("assume-role")));
  // The longest role ARN IAM takes (path and name) still fits one message.
  AccessRequest longest = iam_role_grant();
  longest.permission_set_arn = "arn:aws:iam::222233334444:role/" + std::string(512, 'p') + std::string(64, 'n');
  longest.principal = std::string(64, 'e');
  EXPECT_LE(emulators::block_kit::text_length(mark_dry_run(true, notice_text(longest, Notice::active, ""))),
            emulators::block_kit::kMaxMessageText);
}

TEST(SlackBlocks, TheRequestOfAnIamRoleShowsTheSourceIdentity) {
  AccessRequest r = iam_role_grant();
  r.account = "prod";  // the test policy's account, for the tier
  r.state = State::pending;
  const std::string text = all_text(request_message(r, policy()));
  EXPECT_THAT(text, HasSubstr("*Access goes to*\\ndev@example.com · AWS source identity `dev@example.com`"));
  EXPECT_THAT(text, Not(HasSubstr("Identity Center")));
}

namespace kit = emulators::block_kit;

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// Text people may type, at its worst for Slack's limits: 4,000 characters that escape five-fold,
// that take two UTF-16 units each, that take two bytes each, and mentions that must stay inert.
std::vector<std::pair<std::string, std::string>> hostile_texts() {
  return {{"4000 &", std::string(4000, '&')},
          {"4000 <", std::string(4000, '<')},
          {"4000 emoji", repeat("\xF0\x9F\x94\x91", 4000)},
          {"4000 é", repeat("\xC3\xA9", 4000)},
          {"mentions and entities", repeat("<!channel>&", 400)}};
}

// Checked against the Slack emulator's own copy of Slack's limits, not ours.
void expect_fits_slack(const nlohmann::json& m, const std::string& what) {
  EXPECT_EQ(kit::check_blocks(m["blocks"], kit::kMaxMessageBlocks, "/blocks"), std::vector<std::string>{}) << what;
  EXPECT_LE(kit::text_length(m["text"].get<std::string>()), kit::kMaxMessageText) << what;
}

TEST(SlackBlocks, EveryStateFitsSlacksLimitsWhateverTheRequestHolds) {
  Policy p = policy();
  const std::string long_name = std::string(limits::kMaxChoiceLength - 1, 'n') + "1";
  AccountPolicy wide{.name = long_name, .id = "999999999999", .owner_channel = "C0WIDE", .approvers = {"U0ALICE"}};
  wide.roles.push_back({.name = long_name, .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-9",
                        .max_duration = std::chrono::hours{1}, .tier = Tier::break_glass, .approvals_required = 100,
                        .requesters = {"*"}});
  p.accounts.push_back(wide);
  for (const auto& [what, text] : hostile_texts()) {
    AccessRequest r = request();
    r.account = r.role = long_name;
    r.reason = r.ticket = r.end_reason = text;
    for (int i = 0; i < 99; ++i) r.decisions.push_back({fmt::format("U0APPROVER{:02}", i), true, "", kT});
    r.expires_at = r.ended_at = kT + std::chrono::hours{1};
    for (State s : {State::pending, State::approved, State::granting, State::active, State::revoking, State::revoked,
                    State::denied, State::cancelled, State::expired, State::failed}) {
      r.state = s;
      if (s == State::denied) r.decisions.push_back({"U0BOB", false, text, kT});
      const auto m = request_message(r, p);
      expect_fits_slack(m, fmt::format("{} in state {}", what, state_name(s)));
      EXPECT_EQ(s == State::pending, m["blocks"].back()["type"] == "actions") << what;
      EXPECT_THAT(m.dump(), Not(HasSubstr("<!channel>"))) << what;
      for (Notice n : {Notice::submitted, Notice::approved, Notice::denied, Notice::active, Notice::expiring_soon,
                       Notice::revoked, Notice::failed, Notice::cancelled, Notice::expired})
        EXPECT_LE(kit::text_length(mark_dry_run(true, notice_text(r, n, "https://portal.example"))), kit::kMaxMessageText);
    }
    for (const char* action : {"approve_partial", "deny", "grant_failed", "admin_revoke", "something_new"})
      EXPECT_LE(kit::text_length(mark_dry_run(false, thread_text(r, {.actor = "U0ALICE", .action = action, .detail = text}))),
                kit::kMaxMessageText);
  }
}

TEST(SlackBlocks, ALongDenyReasonStillReplacesTheButtons) {
  AccessRequest r = request();
  r.reason = std::string(limits::kMaxReasonLength, '&');
  r.state = State::denied;
  r.decisions = {{"U0BOB", false, std::string(limits::kMaxDenyReasonLength, '&'), kT}};
  const auto m = request_message(r, policy());
  expect_fits_slack(m, "deny reason of 500 '&'");
  EXPECT_EQ(m["blocks"].back()["type"], "section");
  const std::string outcome = m["blocks"].back()["text"]["text"];
  EXPECT_TRUE(outcome.starts_with(":x: Denied by <@U0BOB>: &amp;&amp;")) << outcome;
  const std::string reason = m["blocks"][2]["text"]["text"];
  EXPECT_EQ(kit::text_length(reason), kSectionTextLimit);
  EXPECT_TRUE(reason.ends_with("&amp;…")) << reason.substr(reason.size() - 20);
}

// Issue 17: the one DM of a bundle.
TEST(SlackBundleText, ListsEachRequestWhereItWaitsAndWhatWasNotFiled) {
  AccessRequest prod{.id = "rAAAA", .requester = "U0DEV", .account = "prod", .role = "admin",
                     .duration = std::chrono::hours{1}, .state = State::pending, .chat_channel = "C0PROD"};
  AccessRequest staging = prod;
  staging.id = "rBBBB";
  staging.account = "staging";
  staging.chat_channel = "C0STAGING";
  BundleOutcome out{"rAAAA", {prod, staging}, {{"vault<!channel>", Error::Conflict("you already have request rC"), 2}}};
  const std::string text = bundle_text(out);
  EXPECT_THAT(text, HasSubstr("*admin* for 1h on 2 accounts (bundle `rAAAA`)"));
  EXPECT_THAT(text, HasSubstr("• *prod* (`rAAAA`): waiting for approval in <#C0PROD>"));
  EXPECT_THAT(text, HasSubstr("• *staging* (`rBBBB`): waiting for approval in <#C0STAGING>"));
  EXPECT_THAT(text, HasSubstr("Not filed:\n• *vault&lt;!channel&gt;*: you already have request rC"));
  EXPECT_THAT(bundle_text({"", {}, out.not_filed}), HasSubstr("None of your requests could be filed"));
}

}  // namespace blocks_test
}  // namespace
}  // namespace jit::slack
