// Attacks on extensions (issue 17): "Request more time" files a new request linked to a grant, and
// an approved one takes the grant's assignment over. Safe outcome: only the grant's requester may
// ask, only within the role's rules as they are now, one at a time, never approved by the
// requester; nothing is created in AWS by an extension that takes a grant over, and a reload that
// takes the role away is obeyed by the next extension and by the click on a filed one.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include "adversarial/adversary.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using test::replaced;

class ExtendAttack : public AdversarialTest {
 protected:
  // `who`'s grant of prod admin for 30m, approved by alice; its id once active.
  std::string granted(const std::string& who) {
    const std::string id = submit(who, "prod admin 30m look at the incident");
    if (id.empty()) return "";
    EXPECT_TRUE(click(kAlice, id, slack::kApproveAction));
    EXPECT_TRUE(world().wait_state(id, State::active)) << world().log(0);
    return id;
  }
  // The extensions of grant `id` in the store.
  std::vector<AccessRequest> extensions_of(const std::string& id) {
    std::vector<AccessRequest> out;
    const auto all = world().store().list_requests({});  // held: value() of a temporary dangles
    EXPECT_TRUE(all) << all.error().message;
    for (const auto& r : all.value_or(std::vector<AccessRequest>{}))
      if (r.extends == id) out.push_back(r);
    return out;
  }
};

TEST_F(ExtendAttack, OnlyTheRequesterWithinTheRulesOneAtATimeAndNeverSelfApproved) {
  const std::string person = fresh_person();
  const std::string other = fresh_person();
  const std::string id = granted(person);
  ASSERT_FALSE(id.empty());
  const int grants_before = grants_made();

  // Someone else: by command, and by a click on Request more time carrying the grant's id.
  EXPECT_THAT(command(kEve, fmt::format("extend {} 1h keep it going", id)), HasSubstr("only " + person));
  const Mark m = mark(other);
  forged_click(other, id, slack::kExtendAction, id);
  EXPECT_TRUE(reply_after(m, "only " + person));
  // The requester, outside the role's rules: over its maximum (2h), not a duration, shorter than
  // what the grant has left, no reason, a command past the limit, a grant id that is not one.
  EXPECT_THAT(command(person, fmt::format("extend {} 3h more", id)), HasSubstr("maximum"));
  EXPECT_THAT(command(person, fmt::format("extend {} forever more", id)), HasSubstr("forever"));
  EXPECT_THAT(command(person, fmt::format("extend {} 8s more", id)), HasSubstr("left"));
  EXPECT_THAT(command(person, fmt::format("extend {} 1h", id)), HasSubstr("/jit extend"));
  EXPECT_THAT(command(person, fmt::format("extend {} 1h {}", id, std::string(5000, 'x'))), HasSubstr("reason"));
  EXPECT_THAT(command(person, "extend r-nope 1h more"), HasSubstr("r-nope"));
  EXPECT_TRUE(extensions_of(id).empty());

  // Within them: filed once; a second, and a fresh request beside it, are refused.
  const auto filed = command(person, fmt::format("extend {} 1h the incident goes on", id));
  ASSERT_EQ(extensions_of(id).size(), 1u) << filed;
  const std::string ext = extensions_of(id).at(0).id;
  EXPECT_THAT(filed, HasSubstr(ext));
  EXPECT_THAT(command(person, fmt::format("extend {} 1h again", id)), HasSubstr(ext));
  EXPECT_THAT(command(person, "request prod admin 30m beside it"), HasSubstr("already have request"));
  EXPECT_EQ(extensions_of(id).size(), 1u);

  // The requester approving it: refused, nothing recorded, however the click comes.
  EXPECT_TRUE(click(person, ext, slack::kApproveAction));
  const Mark own = mark(person);
  forged_click(person, ext, slack::kApproveAction, ext);
  EXPECT_TRUE(reply_after(own, "own request"));
  EXPECT_EQ(audit_count(ext, "approve"), 0);
  EXPECT_EQ(stored(ext).state, State::pending);

  // An approver: the extension takes the assignment over; AWS sees no new assignment.
  EXPECT_TRUE(click(other, ext, slack::kApproveAction));
  ASSERT_TRUE(world().wait_state(ext, State::active)) << world().log(0);
  EXPECT_EQ(stored(id).state, State::revoked);
  EXPECT_EQ(stored(id).end_reason, "extended by " + ext);
  EXPECT_EQ(grants_made(), grants_before);
  // The ended grant cannot be extended again, nor released into revoking its successor's access.
  EXPECT_THAT(command(person, fmt::format("extend {} 1h once more", id)), HasSubstr("not active"));
  const auto release = command(person, "release " + id);
  EXPECT_EQ(stored(ext).state, State::active) << release;
  ASSERT_TRUE(world().wait_state(id, State::revoked));
}

// A reload that takes the role away from the requester is obeyed by the next extension, and by the
// approval click on one filed before it.
TEST_F(ExtendAttack, AReloadThatTakesTheRoleAwayIsObeyed) {
  ASSERT_TRUE(own_world({}));
  const std::string id = granted(kDana);
  ASSERT_FALSE(id.empty());
  const auto filed = command(kDana, fmt::format("extend {} 1h more", id));
  ASSERT_EQ(extensions_of(id).size(), 1u) << filed;
  const std::string ext = extensions_of(id).at(0).id;

  const std::string policy = world().policy_text();
  ASSERT_NE(policy.find("requesters = [\"*\"]"), std::string::npos);
  ASSERT_TRUE(world().rewrite_policy(replaced(policy, "requesters = [\"*\"]", "requesters = [\"" + std::string(kBob) + "\"]")))
      << world().log(0);
  const Mark m = mark(kAlice);
  EXPECT_TRUE(click(kAlice, ext, slack::kApproveAction));
  EXPECT_TRUE(reply_after(m, "may no longer request role admin"));
  EXPECT_EQ(stored(ext).state, State::pending);
  EXPECT_EQ(audit_count(ext, "approve"), 0);
  EXPECT_EQ(stored(id).state, State::active);
  // Cancelled by her, a new extension is refused by the reloaded policy.
  EXPECT_THAT(command(kDana, "cancel " + ext), HasSubstr("withdrawn"));
  EXPECT_THAT(command(kDana, fmt::format("extend {} 1h again", id)), HasSubstr("may not request"));
  EXPECT_EQ(stored(id).state, State::active);
}

}  // namespace
}  // namespace jit::testing
