// Attacks through the Home tab (issue 17). Its buttons carry only a request id, like the
// owner-channel message's, so a click from a Home is decided by the same rules: an Approve forged
// by someone who may not decide, an Approve of one's own request, a Release or Cancel of someone
// else's. Safe outcome in every case: nothing is decided, granted, released or withdrawn, and the
// one who tried is told why; nobody's Home offers them what they may not do.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include "adversarial/adversary.h"

namespace jit::testing {
namespace {

using nlohmann::json;

class HomeTabAttack : public AdversarialTest {
 protected:
  // `user` opens their Home: the view published for them once it mentions `request_id` ("" to
  // take the first one), null after 15 s.
  json opened_home(const std::string& user, const std::string& request_id = "") {
    auto home = world().wait_home(
        user, [&](const json& view) { return view.dump().find(request_id) != std::string::npos; }, true);
    return home.value_or(json());
  }
  static bool has_button(const json& view, const std::string& action, const std::string& request_id) {
    return World::has_button(view, action, request_id);
  }
};

TEST_F(HomeTabAttack, ForgedApproveFromSomeoneWhoMayNotDecideGrantsNothing) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h rotate the keys");
  const int grants = grants_made();
  const json eves = opened_home(kEve);
  ASSERT_FALSE(eves.is_null());
  EXPECT_FALSE(has_button(eves, slack::kApproveAction, id)) << "eve's Home offers a decision she may not make";
  const Mark m = mark(kEve);
  slack().click_home_with_value(kEve, slack::kApproveAction, id);
  EXPECT_TRUE(reply_after(m, "not an approver"));
  slack().click_home_with_value(kEve, slack::kDenyAction, id);
  EXPECT_TRUE(reply_after(m, "not an approver"));
  EXPECT_EQ(stored(id).state, State::pending);
  EXPECT_TRUE(stored(id).decisions.empty());
  EXPECT_EQ(audit_count(id, "approve"), 0);
  EXPECT_EQ(grants_made(), grants);
}

TEST_F(HomeTabAttack, OwnRequestCannotBeApprovedFromOwnHome) {
  const auto me = fresh_person();  // a prod approver
  const auto id = submit(me, "prod admin 1h fix the build");
  const json mine = opened_home(me, id);
  ASSERT_FALSE(mine.is_null());
  EXPECT_TRUE(has_button(mine, slack::kCancelAction, id));
  EXPECT_FALSE(has_button(mine, slack::kApproveAction, id)) << "an approver's Home offers their own request";
  const Mark m = mark(me);
  slack().click_home_with_value(me, slack::kApproveAction, id);
  EXPECT_TRUE(reply_after(m, "your own request"));
  EXPECT_EQ(stored(id).state, State::pending);
  EXPECT_TRUE(stored(id).decisions.empty());
}

TEST_F(HomeTabAttack, ReleaseOrCancelOfSomeoneElsesIsRefused) {
  const auto owner = fresh_person(), approver = fresh_person(), attacker = fresh_person();
  const auto granted = submit(owner, "prod admin 1h deploy the fix");
  ASSERT_TRUE(click(approver, granted, slack::kApproveAction));
  ASSERT_TRUE(world().wait_state(granted, State::active));
  const auto pending = submit(owner, "sandbox developer 1h read the logs");
  const Mark m = mark(attacker);
  slack().click_home_with_value(attacker, slack::kReleaseAction, granted);
  EXPECT_TRUE(reply_after(m, fmt::format("only {} can release", owner)));
  slack().click_home_with_value(attacker, slack::kCancelAction, pending);
  EXPECT_TRUE(reply_after(m, fmt::format("only {} can cancel", owner)));
  // An id that is not one: refused before it is looked up.
  slack().click_home_with_value(attacker, slack::kReleaseAction, std::string(5000, 'r'));
  EXPECT_TRUE(reply_after(m, "request id"));
  EXPECT_EQ(stored(granted).state, State::active);
  EXPECT_EQ(stored(pending).state, State::pending);
}

}  // namespace
}  // namespace jit::testing
