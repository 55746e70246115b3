#include "slack/slack_chat.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_slack_http.h"
#include "fakes/manual_clock.h"

namespace jit::slack {
namespace {
namespace slack_chat_test {  // its own names: the unity build compiles it beside other files

using ::testing::HasSubstr;
using nlohmann::json;

using testing::FakeSlackHttp;

std::shared_ptr<Config> config() {
  auto c = std::make_shared<Config>();
  c->settings.ops_channel = "C0OPS";
  c->settings.aws.access_portal_url = "https://d-0000000000.awsapps.com/start";
  Policy* p = &c->policy;
  p->admins = {"S0ADMINS"};
  AccountPolicy prod{.name = "prod", .id = "123456789012", .owner_channel = "C0PROD", .approvers = {"S0SRE", "U0ALICE"}};
  prod.roles.push_back({.name = "admin", .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-1",
                        .max_duration = std::chrono::hours{1}, .requesters = {"S0DEVS"}});
  p->accounts.push_back(prod);
  return c;
}

std::shared_ptr<const Policy> policy() {
  auto c = config();
  return std::shared_ptr<const Policy>(c, &c->policy);
}

class SlackChatTest : public ::testing::Test {
 protected:
  SlackChatTest() {
    http.answers["chat.postMessage"] = R"({"ok":true,"channel":"C0PROD","ts":"1700000000.000100"})";
    http.answers["conversations.open"] = R"({"ok":true,"channel":{"id":"D0DEV"}})";
    http.answers["chat.getPermalink"] =
        R"({"ok":true,"channel":"C0PROD","permalink":"https://acme.slack.com/archives/C0PROD/p1700000000000100"})";
  }
  AccessRequest request() {
    return {.id = "r1", .requester = "U0DEV", .account = "prod", .account_id = "123456789012", .role = "admin",
            .duration = std::chrono::minutes{30}, .reason = "fix <!channel>", .created_at = *parse_time("2026-11-24T10:00:00Z"),
            .state = State::pending, .chat_channel = "C0PROD"};
  }
  FakeSlackHttp http;
  ManualClock clock;
  WebApi api{http, *net::Endpoint::parse("http://127.0.0.1:9/api/"), "xoxb-test", clock};
  SlackChat chat{api, config()};
};

TEST_F(SlackChatTest, PostsThenUpdatesWithAThreadReply) {
  auto posted = chat.post_request(request());
  ASSERT_TRUE(posted) << posted.error().message;
  EXPECT_EQ(posted->channel, "C0PROD");
  EXPECT_EQ(posted->ts, "1700000000.000100");
  EXPECT_EQ(http.calls[0].second["channel"], "C0PROD");
  EXPECT_THAT(http.calls[0].second.dump(), HasSubstr("jit_approve"));
  EXPECT_THAT(http.calls[0].second.dump(), ::testing::Not(HasSubstr("<!channel>")));
  EXPECT_EQ(http.calls[1].first, "chat.getPermalink");
  EXPECT_EQ(http.calls[1].second, (json{{"channel", "C0PROD"}, {"message_ts", "1700000000.000100"}}));
  EXPECT_EQ(posted->permalink, "https://acme.slack.com/archives/C0PROD/p1700000000000100");

  AccessRequest r = request();
  r.chat_ts = posted->ts;
  r.state = State::denied;
  r.decisions = {{"U0ALICE", false, "no", r.created_at}};
  ASSERT_TRUE(chat.update_request(r, {.actor = "U0ALICE", .action = "deny", .detail = "no"}));
  EXPECT_EQ(http.calls[2].first, "chat.update");
  EXPECT_EQ(http.calls[2].second["ts"], "1700000000.000100");
  EXPECT_THAT(http.calls[2].second.dump(), ::testing::Not(HasSubstr("jit_approve")));
  EXPECT_EQ(http.calls[3].first, "chat.postMessage");
  EXPECT_EQ(http.calls[3].second["thread_ts"], "1700000000.000100");
  EXPECT_EQ(http.calls[3].second["text"], "<@U0ALICE> denied: no.");
}

TEST_F(SlackChatTest, APermalinkSlackRefusesLeavesItEmptyAndThePostStands) {
  http.answers["chat.getPermalink"] = R"({"ok":false,"error":"message_not_found"})";
  auto posted = chat.post_request(request());
  ASSERT_TRUE(posted) << posted.error().message;
  EXPECT_EQ(posted->ts, "1700000000.000100");
  EXPECT_EQ(posted->permalink, "");
  EXPECT_EQ(http.count("chat.getPermalink"), 1);  // a refusal is not retried
}

TEST_F(SlackChatTest, NeverPostedMeansNothingToUpdate) {
  ASSERT_TRUE(chat.update_request(request(), {.action = "approve"}));
  EXPECT_TRUE(http.calls.empty());
}

TEST_F(SlackChatTest, DirectMessagesOpenTheImOnce) {
  AccessRequest r = request();
  r.state = State::active;
  r.expires_at = r.created_at + std::chrono::minutes{30};
  ASSERT_TRUE(chat.notify_requester(r, Notice::active));
  ASSERT_TRUE(chat.notify_requester(r, Notice::expiring_soon));
  EXPECT_EQ(http.count("conversations.open"), 1);
  EXPECT_EQ(http.calls[1].second["channel"], "D0DEV");
  EXPECT_THAT(http.calls[1].second["text"].get<std::string>(), HasSubstr("awsapps.com/start"));
}

TEST_F(SlackChatTest, AlertsGoToTheOpsChannelEscaped) {
  ASSERT_TRUE(chat.alert("could not revoke <@U0X>"));
  EXPECT_EQ(http.calls[0].second["channel"], "C0OPS");
  EXPECT_THAT(http.calls[0].second["text"].get<std::string>(), HasSubstr("&lt;@U0X&gt;"));
}

TEST_F(SlackChatTest, SlackErrorsBecomeTypedErrors) {
  http.answers["chat.postMessage"] = R"({"ok":false,"error":"channel_not_found"})";
  auto posted = chat.post_request(request());
  ASSERT_FALSE(posted);
  EXPECT_EQ(posted.error().code, Errc::not_found);
  EXPECT_THAT(posted.error().message, HasSubstr("channel_not_found"));
  EXPECT_EQ(to_error("x", {.error = "ratelimited", .retryable = true}).code, Errc::unavailable);
  EXPECT_EQ(to_error("x", {.error = "missing_scope"}).code, Errc::denied);
}

TEST_F(SlackChatTest, DirectoryResolvesGroupsWithACache) {
  SlackDirectory directory(api, policy(), clock, std::chrono::seconds(60));
  http.answers["usergroups.users.list"] = R"({"ok":true,"users":["U0DEV","U0OTHER"]})";
  http.answers["users.info"] = R"({"ok":true,"user":{"id":"U0DEV","profile":{"email":"dev@example.com"}}})";
  auto groups = directory.groups_of("U0DEV");
  ASSERT_TRUE(groups) << groups.error().message;
  EXPECT_THAT(*groups, ::testing::ElementsAre("S0ADMINS", "S0DEVS", "S0SRE"));
  EXPECT_EQ(http.count("usergroups.users.list"), 3);
  ASSERT_TRUE(directory.groups_of("U0OTHER"));
  EXPECT_EQ(http.count("usergroups.users.list"), 3) << "cached";
  clock.advance(std::chrono::seconds(61));
  ASSERT_TRUE(directory.groups_of("U0DEV"));
  EXPECT_EQ(http.count("usergroups.users.list"), 6) << "refreshed after the TTL";
}

// Issue 17: a reminder and an escalation mention their approvers (users and user groups) in the
// thread; the escalation channel gets the request with a link to where the buttons are.
TEST_F(SlackChatTest, RemindersAndEscalationsMentionTheirApproversAndTheEscalationIsLinked) {
  AccessRequest r = request();
  r.chat_ts = "1700000000.000100";
  ASSERT_TRUE(chat.update_request(r, {.action = "reminded", .facts = R"({"approvers":["S0SRE","U0ALICE"],"at":1})"}));
  EXPECT_EQ(http.calls.back().second["thread_ts"], "1700000000.000100");
  EXPECT_EQ(http.calls.back().second["text"],
            ":bell: Still waiting for a decision: <!subteam^S0SRE> <@U0ALICE>, please approve or deny.");
  ASSERT_TRUE(chat.update_request(r, {.action = "escalated", .facts = R"({"approvers":["S0LEADS"],"at":1})"}));
  EXPECT_THAT(http.calls.back().second["text"].get<std::string>(),
              HasSubstr("Escalated: nobody has decided yet, so <!subteam^S0LEADS> may now approve or deny too."));
  ASSERT_TRUE(chat.post_escalation(r, "C0ESC", {"S0LEADS", "U0BOB"}));
  EXPECT_EQ(http.calls.back().first, "chat.postMessage");
  const auto& posted = http.calls.back().second;
  EXPECT_EQ(posted["channel"], "C0ESC");
  const std::string text = posted["text"];
  EXPECT_THAT(text, HasSubstr("<@U0DEV> asks for *admin* on *prod* for 30m (`r1`)"));
  EXPECT_THAT(text, HasSubstr("<!subteam^S0LEADS> <@U0BOB>: you may approve or deny it"));
  EXPECT_THAT(text, HasSubstr("<https://acme.slack.com/archives/C0PROD/p1700000000000100|open the request>"));
  // Never posted: nothing to link.
  const auto calls = http.calls.size();
  ASSERT_TRUE(chat.post_escalation(request(), "C0ESC", {"S0LEADS"}));
  EXPECT_EQ(http.calls.size(), calls);
}

TEST_F(SlackChatTest, TheDirectoryKnowsTheEscalationApproversGroups) {
  auto c = config();
  c->policy.accounts[0].escalation = {.escalate_after = std::chrono::minutes{30}, .approvers = {"S0LEADS"}};
  SlackDirectory directory(api, std::shared_ptr<const Policy>(c, &c->policy), clock, std::chrono::seconds(60));
  http.answers["usergroups.users.list"] = R"({"ok":true,"users":["U0BOB"]})";
  auto groups = directory.groups_of("U0BOB");
  ASSERT_TRUE(groups) << groups.error().message;
  EXPECT_THAT(*groups, ::testing::ElementsAre("S0ADMINS", "S0DEVS", "S0LEADS", "S0SRE"));
}

TEST_F(SlackChatTest, AGroupSlackNoLongerKnowsIsEmptyAndAlertedOncePerInterval) {
  SlackDirectory directory(api, policy(), clock, std::chrono::seconds(60));
  std::vector<std::string> alerts;
  directory.set_unknown_group_alert([&](const std::string& text) { alerts.push_back(text); }, std::chrono::hours(1));
  http.answers["usergroups.users.list"] = R"({"ok":false,"error":"no_such_subteam"})";
  auto groups = directory.groups_of("U0DEV");
  ASSERT_TRUE(groups) << "an unknown group blocks nobody: " << groups.error().message;
  EXPECT_TRUE(groups->empty());
  ASSERT_EQ(alerts.size(), 3u) << "one alert per group the policy names";
  EXPECT_THAT(alerts[0], HasSubstr("user group S0ADMINS, which Slack no longer knows (no_such_subteam"));
  for (int click = 0; click < 5; ++click) {
    clock.advance(std::chrono::seconds(61));
    ASSERT_TRUE(directory.groups_of("U0DEV"));
  }
  EXPECT_EQ(alerts.size(), 3u) << "not once per click";
  clock.advance(std::chrono::hours(1));
  ASSERT_TRUE(directory.groups_of("U0DEV"));
  EXPECT_EQ(alerts.size(), 6u) << "again after the interval";
  http.answers["usergroups.users.list"] = R"({"ok":false,"error":"ratelimited"})";
  clock.advance(std::chrono::minutes(10));
  EXPECT_FALSE(directory.groups_of("U0DEV")) << "other errors still fail: the caller retries";
}

TEST_F(SlackChatTest, ApproverGroupsOfHighRolesAreCachedAtMostAMinute) {
  auto p = std::make_shared<Policy>();
  AccountPolicy low{.name = "dev", .id = "111111111111", .owner_channel = "C0DEV", .approvers = {"S0LOW"}};
  low.roles.push_back({.name = "read", .tier = Tier::standard, .requesters = {"*"}});
  AccountPolicy high{.name = "prod", .id = "222222222222", .owner_channel = "C0PROD", .approvers = {"S0HIGH"}};
  high.roles.push_back({.name = "glass", .tier = Tier::break_glass, .requesters = {"*"}});
  p->accounts = {low, high};
  SlackDirectory directory(api, p, clock, std::chrono::minutes(5));
  http.answers["usergroups.users.list"] = R"({"ok":true,"users":["U0DEV"]})";
  ASSERT_TRUE(directory.groups_of("U0DEV"));
  EXPECT_EQ(http.count("usergroups.users.list"), 2);
  clock.advance(std::chrono::seconds(59));
  ASSERT_TRUE(directory.groups_of("U0DEV"));
  EXPECT_EQ(http.count("usergroups.users.list"), 2);
  clock.advance(std::chrono::seconds(1));
  ASSERT_TRUE(directory.groups_of("U0DEV"));
  EXPECT_EQ(http.count("usergroups.users.list"), 3) << "S0HIGH asked again after 60 s, S0LOW still cached";
  clock.advance(std::chrono::minutes(4));
  ASSERT_TRUE(directory.groups_of("U0DEV"));
  EXPECT_EQ(http.count("usergroups.users.list"), 5) << "S0LOW after its 5 minutes";
}

TEST_F(SlackChatTest, DirectoryReadsTheProfileFreshEveryTime) {
  SlackDirectory directory(api, policy(), clock, std::chrono::seconds(60));
  http.answers["users.info"] = R"({"ok":true,"user":{"id":"U0DEV","team_id":"T0JIT","is_email_confirmed":true,
    "deleted":false,"is_bot":false,"is_restricted":false,"is_ultra_restricted":false,
    "profile":{"email":"dev@example.com"}}})";
  auto dev = directory.user("U0DEV");
  ASSERT_TRUE(dev) << dev.error().message;
  EXPECT_EQ(*dev, (UserProfile{.user_id = "U0DEV", .email = "dev@example.com", .email_confirmed = true, .team_id = "T0JIT"}));
  http.answers["users.info"] = R"({"ok":true,"user":{"id":"U0DEV","team_id":"T0OTHER","deleted":true,"is_app_user":true,
    "is_restricted":true,"is_ultra_restricted":true,"is_email_confirmed":false,"profile":{"email":"eve@example.com"}}})";
  auto changed = directory.user("U0DEV");
  ASSERT_TRUE(changed);
  EXPECT_EQ(http.count("users.info"), 2) << "never cached";
  EXPECT_EQ(*changed, (UserProfile{.user_id = "U0DEV", .email = "eve@example.com", .deleted = true, .bot = true,
                                   .multi_channel_guest = true, .single_channel_guest = true, .team_id = "T0OTHER"}));
  http.answers["users.info"] = R"({"ok":true,"user":{"id":"U0BOT","is_bot":"maybe","profile":{"email":7}}})";
  auto odd = directory.user("U0BOT");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->email, "") << "a field of the wrong type reads as absent";
  EXPECT_FALSE(odd->bot);
  http.answers["users.info"] = R"({"ok":false,"error":"user_not_found"})";
  EXPECT_EQ(directory.user("U0NOBODY").error().code, Errc::not_found);

  http.answers["auth.test"] = R"({"ok":true,"team_id":"T0JIT"})";
  EXPECT_EQ(directory.own_team().value(), "T0JIT");
  EXPECT_EQ(directory.own_team().value(), "T0JIT");
  EXPECT_EQ(http.count("auth.test"), 1) << "asked once";
}

}  // namespace slack_chat_test
}  // namespace
}  // namespace jit::slack
