// Slack's text limits (issue 12), which the emulator enforces as Slack does (msg_too_long,
// invalid_blocks): the longest reason the policy allows, made of the character that grows most
// when escaped, and a deny reason that tries to mention the channel. See README.md.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include "adversarial/adversary.h"
#include "core/limits.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

class SlackLimits : public AdversarialTest {};

// A request whose reason is 3,000 `&` (the most reason_max_length allows; `&amp;` once escaped,
// five times longer) is posted to the owner channel anyway; alice denies it with 500 characters
// holding `<!channel>`: the deny replaces the buttons, and no call ever carries a mention.
TEST_F(SlackLimits, LongestEscapedReasonIsPostedAndAMentioningDenyReplacesTheButtons) {
  ASSERT_TRUE(own_world({}));
  ASSERT_TRUE(world().rewrite_policy(fmt::format("reason_max_length = {}\n", limits::kMaxReasonLength) +
                                     world().policy_text()))
      << world().log(0);
  const std::string view = open_request_form(kDana);
  ASSERT_FALSE(view.empty());
  const json ack = submit_form(kDana, view, form_values("prod", "admin", "1h", std::string(limits::kMaxReasonLength, '&')));
  EXPECT_TRUE(ack.is_null()) << ack.dump().substr(0, 500);
  std::optional<std::vector<AccessRequest>> mine;
  ASSERT_TRUE(World::poll(
      [&] {
        auto found = world().store().list_requests({.requester = std::string(kDana)});
        if (found && !found->empty()) mine = *found;
        return mine.has_value();
      },
      std::chrono::seconds(10)))
      << world().log(0);
  ASSERT_EQ(mine->size(), 1u);
  const std::string id = mine->front().id;
  EXPECT_EQ(mine->front().reason, std::string(limits::kMaxReasonLength, '&'));
  const std::string ts = message_ts(id);
  ASSERT_FALSE(ts.empty()) << "never posted: " << world().log(0);

  std::string reason = "<!channel> look at this ";
  reason += std::string(limits::kMaxDenyReasonLength - reason.size(), 'x');
  const std::string deny_view = open_deny_form(kAlice, id);
  ASSERT_FALSE(deny_view.empty());
  const json denied = submit_form(
      kAlice, deny_view, {{slack::kReasonField, {{slack::kReasonField, {{"type", "plain_text_input"}, {"value", reason}}}}}});
  EXPECT_TRUE(denied.is_null()) << denied.dump().substr(0, 500);
  ASSERT_TRUE(world().wait_state(id, State::denied)) << world().log(0);
  EXPECT_THAT(stored(id).end_reason, HasSubstr("look at this"));
  // The buttons are gone from the message once it is updated.
  ASSERT_TRUE(slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const auto& m : s.messages(kProdChannel))
          if (m.value("ts", "") == ts) return m.dump().find(slack::kApproveAction) == std::string::npos;
        return false;
      },
      std::chrono::seconds(10)))
      << "the denied request still shows its buttons";
  EXPECT_FALSE(slack().click(kBob, kProdChannel, ts, slack::kApproveAction).has_value());
  // Every post and update was within Slack's limits, and none carried a mention.
  ASSERT_TRUE(world().wait_dm(kDana, "look at this"));
  for (const auto& c : slack().calls()) {
    EXPECT_TRUE(c.value("ok", false)) << c.value("method", "") << ": " << c.value("error", "");
    EXPECT_THAT(c["args"].dump(), Not(HasSubstr("<!channel>"))) << c.value("method", "");
  }
  EXPECT_THAT(slack().messages(kProdChannel).dump(), HasSubstr("&amp;&amp;"));
}

}  // namespace
}  // namespace jit::testing
