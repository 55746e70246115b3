// Attacks on the IAM-role path (issue 16): the "legacy" account's admin role is an IAM role whose
// trust policy the service edits. Self-approval and replays must write nothing more into it; a
// statement planted to look like one of ours (standing access disguised as a grant) is removed by
// the reconciler; a requester cannot pose as someone else at AssumeRole. Each case starts a World of
// its own with the legacy account (the demo people have base-role sessions there).
#include <fmt/format.h>

#include "adversarial/adversary.h"
#include "core/load_errors.h"

namespace jit::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class IamRoleAttack : public AdversarialTest {
 protected:
  void SetUp() override { ASSERT_TRUE(own_world({.iam_role = true})); }

  json admin_role() {
    const json iam = world().aws().iam();
    for (const auto& role : iam["roles"])
      if (role.value("arn", "") == demo::kLegacyAdminRole) return role;
    return json::object();
  }
  std::string trust() { return admin_role().value("trust_policy", ""); }
  int trust_writes() {
    const json operations = world().aws().calls()["operations"];
    const auto it = operations.find("iam:UpdateAssumeRolePolicy");
    return it == operations.end() ? 0 : it->value("ok", 0);
  }
  std::string request_legacy(const std::string& who, const std::string& duration = "30m") {
    return submit(who, fmt::format("legacy admin {} adversarial", duration));
  }
};

TEST_F(IamRoleAttack, ApproveButtonOnOwnRequestWritesNothing) {
  // alice approves legacy; she asks for its admin role and clicks Approve herself.
  const std::string id = request_legacy(kAlice);
  const std::string before = trust();
  const Mark m = mark(kAlice);
  click(kAlice, id, slack::kApproveAction, demo::kLegacy);
  EXPECT_TRUE(reply_after(m, "your own request"));
  EXPECT_EQ(stored(id).state, State::pending);
  EXPECT_EQ(audit_count(id, "approve"), 0);
  EXPECT_EQ(trust(), before) << "nothing written into the trust policy";
  EXPECT_EQ(trust_writes(), 0);
}

TEST_F(IamRoleAttack, ReplayedApproveAfterTheGrantWritesNoSecondStatement) {
  const std::string id = request_legacy(kDana);
  const auto envelope_id = slack().click(kAlice, demo::kLegacy, message_ts(id, demo::kLegacy), slack::kApproveAction);
  ASSERT_TRUE(envelope_id);
  ASSERT_TRUE(world().wait_state(id, State::active, 30s)) << world().log(0);
  const int writes = trust_writes();
  const std::string granted = trust();
  const Mark m = mark(kAlice);
  slack().send_envelope("interactive", envelope(*envelope_id)["payload"], false);
  EXPECT_TRUE(reply_after(m, "already approved"));
  EXPECT_EQ(stored(id).state, State::active);
  EXPECT_EQ(trust_writes(), writes);
  EXPECT_EQ(trust(), granted);
  EXPECT_EQ(audit_count(id, "begin_grant"), 1);
}

// An admin (or an attacker with iam:UpdateAssumeRolePolicy) plants a statement shaped like one of
// ours for eve, who has no grant, with a window open for a year: standing access in disguise. The
// next reconcile removes it and says so, leaving the real grant and the admin's own statement alone.
TEST_F(IamRoleAttack, APlantedGrantStatementIsRemovedByTheNextReconcile) {
  const std::string dana = request_legacy(kDana);
  ASSERT_TRUE(click(kAlice, dana, slack::kApproveAction, demo::kLegacy));
  ASSERT_TRUE(world().wait_state(dana, State::active, 30s)) << world().log(0);
  // Written as text, after the statements there (the admin's keeps its bytes).
  std::string planted = trust();
  const auto end = planted.rfind("]}");
  ASSERT_NE(end, std::string::npos) << planted;
  planted.insert(end, fmt::format(
      R"(,{{"Sid":"JitGrantforged1","Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],)"
      R"("Condition":{{"StringEquals":{{"sts:SourceIdentity":"eve@example.com"}},"DateLessThan":{{"aws:CurrentTime":"{}"}}}}}})",
      demo::kLegacyBaseRole, "2027-12-04T00:00:00Z"));
  json role = admin_role();
  role["trust_policy"] = planted;
  ASSERT_TRUE(world().aws().seed_iam({{"roles", json::array({role})}}));
  ASSERT_NE(trust().find("JitGrantforged1"), std::string::npos);

  // A reload that shortens reconcile_interval takes effect at once: the reconciler runs now, and again.
  ASSERT_TRUE(world().rewrite_policy(
      test::replaced(world().policy_text(), "reconcile_interval = \"1h\"", "reconcile_interval = \"1s\"")))
      << world().log(0);
  ASSERT_TRUE(World::poll([&] { return trust().find("JitGrantforged1") == std::string::npos; }, 30s))
      << trust() << "\n" << world().log(0);
  const std::string after = trust();
  EXPECT_NE(after.find("JitGrant" + dana), std::string::npos) << "the real grant stays: " << after;
  EXPECT_NE(after.find(demo::kLegacyForeignStatement), std::string::npos) << after;
  EXPECT_EQ(stored(dana).state, State::active);
  // Said in the ops channel and the audit trail.
  EXPECT_TRUE(slack().wait_for(
      [](const emulators::SlackEmulator& s) {
        for (const auto& message : s.messages(kOpsChannel)) {
          const std::string text = message.value("text", "");
          if (text.find("Standing access found and removed") != std::string::npos &&
              text.find("eve@example.com") != std::string::npos)
            return true;
        }
        return false;
      },
      10s));
  // (The event is written just after the statement went: wait for it, then count.)
  const auto removed = [&] {
    int n = 0;
    const auto events = world().store().audit_events({}).value();
    for (const auto& e : events)
      n += e.action == "stray_revoked" && e.detail.find("eve@example.com") != std::string::npos;
    return n;
  };
  EXPECT_TRUE(World::poll([&] { return removed() > 0; }, 10s));
  EXPECT_EQ(removed(), 1);
}

}  // namespace
}  // namespace jit::testing
