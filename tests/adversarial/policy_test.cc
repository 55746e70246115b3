// Attacks that lean on time and on change: a click after the approval window, a click after a
// SIGHUP reload took the role, the approver or the requester out of policy, and one click
// delivered to each of two instances on one store. Safe outcome: every decision is checked
// against policy as it is at the click, and one click grants at most once. Each case has a World
// of its own (it changes the policy, or runs two instances).
#include <gmock/gmock.h>

#include "adversarial/adversary.h"
#include "core/load_errors.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;

using test::replaced;

// ---- The approval window, at the click ----

class ApprovalWindow : public AdversarialTest {
 protected:
  // A World whose sweeper never runs during the case, with a one-second approval window; a
  // request by dana that has outlived it.
  std::string lapsed_request() {
    if (!own_world({.sweep_interval = "1h"})) return "";
    if (!world().rewrite_policy(replaced(world().policy_text(), "approval_window = \"1h\"", "approval_window = \"1s\"")))
      ADD_FAILURE() << "reload failed:\n" << world().log(0);
    const std::string id = submit(kDana, "prod admin 1h waited too long");
    const TimePoint created = stored(id).created_at;
    EXPECT_TRUE(World::poll([&] { return std::chrono::system_clock::now() >= created + std::chrono::seconds(1); },
                            std::chrono::seconds(5)));
    return id;
  }
};

TEST_F(ApprovalWindow, ApproveAfterTheWindowIsRefusedAtTheClick) {
  const std::string id = lapsed_request();
  const Mark m = mark(kAlice);
  ASSERT_TRUE(click(kAlice, id, slack::kApproveAction));
  EXPECT_TRUE(reply_after(m, "waited longer than the approval window"));
  EXPECT_TRUE(world().wait_state(id, State::expired));
  EXPECT_EQ(audit_count(id, "approve"), 0);
  EXPECT_EQ(audit_count(id, "lapse"), 1);
  EXPECT_EQ(grants_made(), 0);
}

TEST_F(ApprovalWindow, StaleApproveAfterTheRequestLapsed) {
  const std::string id = lapsed_request();
  ASSERT_TRUE(click(kBob, id, slack::kApproveAction));  // the click past the window lapses it
  ASSERT_TRUE(world().wait_state(id, State::expired));
  // alice's client still shows the buttons.
  const Mark m = mark(kAlice);
  forged_click(kAlice, id, slack::kApproveAction, id);
  EXPECT_TRUE(reply_after(m, "expired"));
  EXPECT_EQ(stored(id).state, State::expired);
  EXPECT_EQ(grants_made(), 0);
}

// ---- Policy changed by SIGHUP between submit and click ----

class ReloadBetweenSubmitAndClick : public AdversarialTest {
 protected:
  void SetUp() override { ASSERT_TRUE(own_world({})); }
  void reload(const std::string& from, const std::string& to) {
    ASSERT_TRUE(world().rewrite_policy(replaced(world().policy_text(), from, to))) << world().log(0);
  }
};

TEST_F(ReloadBetweenSubmitAndClick, TwoApproverRoleRemovedAfterTheFirstApproval) {
  const std::string id = submit(kDana, "prod break-glass 30m failover --ticket INC-9");
  ASSERT_TRUE(click(kAlice, id, slack::kApproveAction));
  ASSERT_TRUE(World::poll([&] { return stored(id).decisions.size() == 1; }, std::chrono::seconds(10)));
  reload("name = \"break-glass\"", "name = \"break-glass-v2\"");
  const Mark m = mark(kBob);
  ASSERT_TRUE(click(kBob, id, slack::kApproveAction));
  EXPECT_TRUE(reply_after(m, "no longer on account prod"));
  EXPECT_NE(stored(id).state, State::active);
  EXPECT_EQ(audit_count(id, "approve"), 0);
  EXPECT_EQ(grants_made(), 0);
}

// A reload between dana's prod admin request and an approver's click; the click is refused.
struct Reload {
  const char* name;
  const char* from;
  const char* to;
  const char* approver;
  const char* refusal;  // in the reply to the approver
};

void PrintTo(const Reload& reload, std::ostream* os) { *os << reload.name; }

class ReloadsBeforeTheOnlyApproval : public ReloadBetweenSubmitAndClick,
                                     public ::testing::WithParamInterface<Reload> {};

TEST_P(ReloadsBeforeTheOnlyApproval, RefuseTheClick) {
  const std::string id = submit(kDana, "prod admin 1h before the reload");
  reload(GetParam().from, GetParam().to);
  const Mark m = mark(GetParam().approver);
  ASSERT_TRUE(click(GetParam().approver, id, slack::kApproveAction));
  EXPECT_TRUE(reply_after(m, GetParam().refusal));
  EXPECT_NE(stored(id).state, State::active);
  EXPECT_EQ(audit_count(id, "approve"), 0);
  EXPECT_EQ(grants_made(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Policy, ReloadsBeforeTheOnlyApproval,
    ::testing::Values(Reload{"RoleRemoved", "name = \"admin\"", "name = \"administrator\"", kAlice,
                             "no longer on account prod"},
                      Reload{"ApproverRemovedFromTheAccount", "approvers = [\"U0ALICE\", \"S0LEADS\"]",
                             "approvers = [\"U0ALICE\", \"U0EVE\"]" /* bob's group out */, kBob, "not an approver"},
                      Reload{"RequesterRemovedFromTheRolesRequesters", "max_duration = \"2h\"\n  requesters = [\"*\"]",
                             "max_duration = \"2h\"\n  requesters = [\"U0EVE\"]", kAlice, "may no longer request"}),
    [](const auto& info) { return std::string(info.param.name); });

// ---- Two instances on one store ----

// On one SQLite file, and on DynamoDB (moto_server), whose conditional writes then decide the race.
class TwoInstances : public AdversarialTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override { ASSERT_TRUE(own_world({.instances = 2, .dynamodb = GetParam()})); }
};

TEST_P(TwoInstances, OneClickDeliveredToEachGrantsOnce) {
  const std::string id = submit(kDana, "prod admin 1h one click, two instances");
  const auto click_id = slack().click(kAlice, kProdChannel, message_ts(id), slack::kApproveAction);
  ASSERT_TRUE(click_id);
  ASSERT_TRUE(wait_acked(*click_id));
  const auto first = envelope(*click_id)["connection"];
  // The same envelope again: round-robin gives it to the other instance, which has not seen its
  // id, and whose engine finds the request decided.
  const Mark m = mark(kAlice);
  ASSERT_TRUE(slack().redeliver(*click_id));
  ASSERT_TRUE(wait_acked(*click_id, 2));
  EXPECT_NE(envelope(*click_id)["connection"], first) << "both deliveries went to one connection";
  EXPECT_TRUE(reply_after(m, "already"));
  ASSERT_TRUE(world().wait_state(id, State::active));
  EXPECT_EQ(grants_made(), 1);
  EXPECT_EQ(world().assignment_count(), 1u);
  EXPECT_EQ(audit_count(id, "approve"), 1);
  EXPECT_EQ(audit_count(id, "begin_grant"), 1);
  EXPECT_EQ(audit_count(id, "grant_succeeded"), 1);
}

TEST_P(TwoInstances, TwoApproversOnDifferentInstancesGrantOnce) {
  const std::string id = submit(kDana, "prod admin 1h two approvers, two instances");
  const std::string ts = message_ts(id);
  const auto a = slack().click(kAlice, kProdChannel, ts, slack::kApproveAction);
  const auto b = slack().click(kBob, kProdChannel, ts, slack::kApproveAction);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(wait_acked(*a) && wait_acked(*b));
  EXPECT_NE(envelope(*a)["connection"], envelope(*b)["connection"]);
  ASSERT_TRUE(world().wait_state(id, State::active));
  EXPECT_EQ(grants_made(), 1);
  EXPECT_EQ(world().assignment_count(), 1u);
  EXPECT_EQ(audit_count(id, "approve"), 1);
  EXPECT_EQ(audit_count(id, "begin_grant"), 1);
}

INSTANTIATE_TEST_SUITE_P(Store, TwoInstances, ::testing::Values(false, true),
                         [](const auto& info) { return std::string(info.param ? "DynamoDb" : "Sqlite"); });

}  // namespace
}  // namespace jit::testing
