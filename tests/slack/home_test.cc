#include "slack/home.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "emulators/slack/block_kit.h"
#include "slack/escape.h"
#include "slack/ids.h"
#include "slack/render_fixture.h"

namespace jit::slack {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

const TimePoint kNow = *parse_time("2026-11-24T10:00:00Z");
const std::string kEvil = "fix <!channel> and <@U0BOSS> <https://evil.example|click> & more";

Policy policy() { return testing::render_policy(); }

AccessRequest row(const std::string& id, State state, const std::string& requester = "U0DANA") {
  return AccessRequest{.id = id, .requester = requester, .account = "prod", .account_id = "123456789012",
                       .role = "admin", .duration = std::chrono::minutes{90}, .reason = kEvil, .ticket = "OPS-<42>",
                       .created_at = kNow - std::chrono::minutes(5), .state = state, .chat_channel = "C0PROD"};
}

// Every button of the view: {action_id, value}.
std::vector<std::pair<std::string, std::string>> buttons(const json& view) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [block_id, element] : emulators::block_kit::message_elements(view["blocks"]))
    out.emplace_back(element->value("action_id", ""), element->value("value", ""));
  return out;
}

// What Slack would refuse in the view (the emulator's checks, Slack's limits).
std::vector<std::string> refused(const json& view) { return emulators::block_kit::check_home(view); }

TEST(SlackHome, EmptyHomeSaysSoAndHasNoButtons) {
  const json view = home_view({}, policy(), kNow);
  EXPECT_EQ(view["type"], "home");
  EXPECT_TRUE(refused(view).empty()) << fmt::format("{}", fmt::join(refused(view), "\n"));
  const std::string text = view.dump();
  EXPECT_THAT(text, HasSubstr("No grants"));
  EXPECT_THAT(text, HasSubstr("No pending requests"));
  EXPECT_THAT(text, Not(HasSubstr("Waiting for your decision"))) << "not an approver: no decision list";
  EXPECT_TRUE(buttons(view).empty());
}

TEST(SlackHome, ActiveGrantShowsTimeLeftAndRelease) {
  AccessRequest g = row("r1", State::active);
  g.expires_at = kNow + std::chrono::minutes(47) + std::chrono::seconds(30);
  const json view = home_view({.grants = {g}}, policy(), kNow);
  EXPECT_TRUE(refused(view).empty());
  const std::string text = view.dump();
  EXPECT_THAT(text, HasSubstr("47m left"));
  EXPECT_THAT(text, HasSubstr(date_token(*g.expires_at)));
  EXPECT_THAT(buttons(view), ::testing::ElementsAre(std::pair<std::string, std::string>{kReleaseAction, "r1"},
                                                    std::pair<std::string, std::string>{kExtendAction, "r1"}));
  EXPECT_EQ(view["blocks"][4]["accessory"]["style"], "danger");
  EXPECT_TRUE(view["blocks"][4]["accessory"].contains("confirm"));
  // "Request more time" below it, with its own confirm dialog (it files a request approvers see).
  EXPECT_EQ(view["blocks"][5]["type"], "actions");
  EXPECT_EQ(view["blocks"][5]["elements"][0]["text"]["text"], "Request more time");
  EXPECT_THAT(view["blocks"][5]["elements"][0]["confirm"].dump(), HasSubstr("without a gap"));
}

TEST(SlackHome, AGrantWhoseExtensionWaitsSaysSoInsteadOfOfferingAnother) {
  AccessRequest g = row("r1", State::active), ext = row("r2", State::pending), other = row("r3", State::active);
  g.expires_at = other.expires_at = kNow + std::chrono::minutes(20);
  ext.extends = "r1";
  const json view = home_view({.grants = {g, other}, .requests = {ext}}, policy(), kNow);
  EXPECT_TRUE(refused(view).empty()) << fmt::format("{}", fmt::join(refused(view), "\n"));
  EXPECT_THAT(buttons(view), ::testing::ElementsAre(std::pair<std::string, std::string>{kReleaseAction, "r1"},
                                                    std::pair<std::string, std::string>{kReleaseAction, "r3"},
                                                    std::pair<std::string, std::string>{kExtendAction, "r3"},
                                                    std::pair<std::string, std::string>{kCancelAction, "r2"}));
  const std::string text = view.dump();
  EXPECT_THAT(text, HasSubstr("More time asked: `r2` waits for approval"));
  EXPECT_THAT(text, HasSubstr("for 1h30m · more time for `r1`"));
}

TEST(SlackHome, GrantsBeingMadeOrEndedHaveNoRelease) {
  AccessRequest granting = row("r1", State::granting), revoking = row("r2", State::revoking);
  revoking.expires_at = kNow - std::chrono::seconds(1);
  const json view = home_view({.grants = {granting, revoking}}, policy(), kNow);
  EXPECT_THAT(view.dump(), HasSubstr("granting access"));
  EXPECT_THAT(view.dump(), HasSubstr("Ending"));
  EXPECT_TRUE(buttons(view).empty());
}

TEST(SlackHome, TimeLeftInWholeMinutes) {
  EXPECT_EQ(time_left(kNow + std::chrono::minutes(72) + std::chrono::seconds(59), kNow), "1h12m left");
  EXPECT_EQ(time_left(kNow + std::chrono::seconds(59), kNow), "under a minute left");
  EXPECT_EQ(time_left(kNow, kNow), "ending");
  EXPECT_EQ(time_left(kNow - std::chrono::minutes(3), kNow), "ending");
}

TEST(SlackHome, PendingRequestHasCancelApprovedHasNone) {
  const json view = home_view({.requests = {row("r1", State::pending), row("r2", State::approved)}}, policy(), kNow);
  EXPECT_TRUE(refused(view).empty());
  EXPECT_THAT(view.dump(), HasSubstr("Waiting for approval in <#C0PROD>"));
  EXPECT_THAT(buttons(view), ::testing::ElementsAre(std::pair<std::string, std::string>{kCancelAction, "r1"}));
}

TEST(SlackHome, DecisionsUseTheChannelMessagesButtons) {
  AccessRequest glass = row("r2", State::pending, "U0BOB");
  glass.role = "glass";
  const json view =
      home_view({.approver = true, .to_decide = {row("r1", State::pending), glass}}, policy(), kNow);
  EXPECT_TRUE(refused(view).empty());
  EXPECT_THAT(buttons(view), ::testing::ElementsAre(std::pair<std::string, std::string>{kApproveAction, "r1"},
                                                    std::pair<std::string, std::string>{kDenyAction, "r1"},
                                                    std::pair<std::string, std::string>{kApproveAction, "r2"},
                                                    std::pair<std::string, std::string>{kDenyAction, "r2"}));
  const std::string text = view.dump();
  EXPECT_THAT(text, HasSubstr("<@U0DANA> asks for *admin* on *prod*"));
  EXPECT_THAT(text, HasSubstr("break-glass · approving needs your security key · approvals 0 of 2"));
  EXPECT_THAT(home_view({.approver = true}, policy(), kNow).dump(), HasSubstr("Nothing waits for your decision"));
}

TEST(SlackHome, EveryTypedTextIsEscaped) {
  AccessRequest a = row("r1", State::active), p = row("r2", State::pending), d = row("r3", State::pending, "U0BOB");
  a.expires_at = kNow + std::chrono::hours(1);
  for (auto* r : {&a, &p, &d}) {
    r->role = "ad<!here>min";
    r->account = "pr<@U0X>od";
  }
  const std::string text = home_view({.grants = {a}, .requests = {p}, .approver = true, .to_decide = {d}}, policy(),
                                     kNow).dump();
  for (const char* raw : {"<!channel>", "<@U0BOSS>", "<https://evil", "<!here>", "<@U0X>", "OPS-<42>"})
    EXPECT_THAT(text, Not(HasSubstr(raw))) << raw;
  EXPECT_THAT(text, HasSubstr("&lt;!channel&gt;"));
  EXPECT_THAT(text, HasSubstr("OPS-&lt;42&gt;"));
  EXPECT_THAT(text, HasSubstr("ad&lt;!here&gt;min"));
}

TEST(SlackHome, ListsAreCappedAndTheRestCounted) {
  HomeContent c{.approver = true};
  for (int i = 0; i < 30; ++i) {
    AccessRequest g = row(fmt::format("g{:02}", i), State::active);
    g.expires_at = kNow + std::chrono::hours(1);
    c.grants.push_back(g);
    c.requests.push_back(row(fmt::format("p{:02}", i), State::pending));
  }
  for (int i = 0; i < 500; ++i) c.to_decide.push_back(row(fmt::format("d{:03}", i), State::pending, "U0BOB"));
  c.to_decide_cut = true;
  c.problem = "could not read <!channel>";
  const json view = home_view(c, policy(), kNow, /*dry_run=*/true);
  EXPECT_LE(view["blocks"].size(), kHomeMaxBlocks);
  EXPECT_TRUE(refused(view).empty()) << fmt::format("{}", fmt::join(refused(view), "\n"));
  const std::string text = view.dump();
  EXPECT_THAT(text, HasSubstr("…and 20 more: `/jit list`"));
  EXPECT_THAT(text, HasSubstr("…and at least 480 more: see the owner channels"));
  EXPECT_THAT(text, HasSubstr("Dry run"));
  EXPECT_THAT(text, HasSubstr("could not read &lt;!channel&gt;"));
  std::size_t releases = 0, cancels = 0, approves = 0, extends = 0;
  for (const auto& [action, value] : buttons(view)) {
    releases += action == kReleaseAction;
    extends += action == kExtendAction;
    cancels += action == kCancelAction;
    approves += action == kApproveAction;
  }
  EXPECT_EQ(releases, kHomeGrantsShown);
  EXPECT_EQ(extends, kHomeGrantsShown);
  EXPECT_EQ(cancels, kHomeRequestsShown);
  EXPECT_EQ(approves, kHomeDecisionsShown);
}

TEST(SlackHome, LongReasonsStillFitSlacksLimits) {
  AccessRequest d = row("r1", State::pending, "U0BOB");
  d.reason = std::string(3000, '<');  // escapes to 12,000 characters
  const json view = home_view({.approver = true, .to_decide = {d}}, policy(), kNow);
  EXPECT_TRUE(refused(view).empty()) << fmt::format("{}", fmt::join(refused(view), "\n"));
}

}  // namespace
}  // namespace jit::slack
