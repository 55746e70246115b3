// Who the access goes to (issue 12), attacked through the Slack directory: a requester whose
// e-mail changes between submit and approval, and accounts that may not ask at all (deactivated,
// bots, guests, another workspace's, an unconfirmed address). See README.md.
#include <gmock/gmock.h>

#include <fmt/format.h>

#include "adversarial/adversary.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

class Directory : public AdversarialTest {
 protected:
  std::size_t requests_of(const std::string& user) {
    auto found = world().store().list_requests({.requester = user});
    if (!found) ADD_FAILURE() << found.error().message;
    return found ? found->size() : 0;
  }
};

// Between submit and approval the requester's Slack e-mail becomes another person's (who has an
// Identity Center user of their own). The grant must not go to that person: it fails, naming both
// addresses, and no assignment is made.
TEST_F(Directory, EmailChangedBetweenSubmitAndApprovalRefusesTheGrant) {
  const std::string requester = fresh_person(), other = fresh_person(), approver = fresh_person();
  const std::string id = submit(requester, "prod admin 1h who am i");
  ASSERT_FALSE(id.empty());
  const int grants_before = grants_made();
  const std::size_t assignments_before = world().aws().assignments().size();
  const std::string other_email = fmt::format("p{}@example.com", other.substr(3));
  ASSERT_TRUE(slack().update_user(requester, {{"email", other_email}}));
  ASSERT_TRUE(click(approver, id, slack::kApproveAction));
  ASSERT_TRUE(world().wait_state(id, State::failed)) << world().log(0);
  EXPECT_THAT(stored(id).end_reason, HasSubstr("to " + other_email));
  EXPECT_EQ(grants_made(), grants_before);
  EXPECT_EQ(world().aws().assignments().size(), assignments_before) << "nothing assigned to anyone";
  EXPECT_EQ(audit_count(id, "grant_succeeded"), 0);
}

// An account that may not ask: the change made in Slack, and the reason the requester is told.
struct Standing {
  const char* name;
  const char* field;
  json value;
  const char* reason;
};
void PrintTo(const Standing& s, std::ostream* os) { *os << s.name; }

class Standings : public Directory, public ::testing::WithParamInterface<Standing> {};

// Submitted by command: refused with the reason, nothing stored, nothing posted to the owner channel.
TEST_P(Standings, AreRefusedAtSubmitWithTheReason) {
  const Standing& s = GetParam();
  const std::string user = fresh_person();
  ASSERT_TRUE(slack().update_user(user, {{s.field, s.value}}));
  const std::size_t posted = slack().messages(kProdChannel).size();
  const std::string reply = command(user, "request prod admin 1h let me in");
  EXPECT_THAT(reply, HasSubstr(s.reason));
  EXPECT_EQ(demo::request_id_in(reply), std::nullopt) << reply;
  EXPECT_EQ(requests_of(user), 0u);
  EXPECT_EQ(slack().messages(kProdChannel).size(), posted) << "nothing posted to the owner channel";
}

INSTANTIATE_TEST_SUITE_P(
    Directory, Standings,
    ::testing::Values(Standing{"Deactivated", "deleted", true, "deactivated"},
                      Standing{"Bot", "is_bot", true, "bot or app user"},
                      Standing{"AppUser", "is_app_user", true, "bot or app user"},
                      Standing{"SingleChannelGuest", "is_ultra_restricted", true, "single-channel guests"},
                      Standing{"MultiChannelGuest", "is_restricted", true, "multi-channel guests"},
                      Standing{"OtherTeam", "team_id", "T0ELSEWHERE", "another workspace (T0ELSEWHERE"},
                      Standing{"UnconfirmedEmail", "is_email_confirmed", false, "is not confirmed"}),
    [](const ::testing::TestParamInfo<Standing>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace jit::testing
