// Attacks on escalation (issue 17): a request nobody answers may be decided by its escalation
// approvers, but only once the service escalated it (an `escalated` event in the audit chain). The
// sandbox role "oncall" escalates to S0LEADS (bob) after 30m, far beyond the test. Safe outcome:
// bob's click before the escalation is refused and records nothing; a row edited in the database
// to say "escalated" (someone holding the file, without the audit key) lets his click be recorded
// but never granted: the chain does not explain the row, the request fails with nothing granted,
// and the ops channel is told.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include "adversarial/adversary.h"
#include "support/shell.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;

const std::string kOnCall = fmt::format(R"toml(
  [[accounts.roles]]
  name = "oncall"
  permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000004"
  max_duration = "1h"
  requesters = ["*"]
  escalate_after = "30m"
  escalation_approvers = ["{}"]
)toml",
                                        demo::kLeads);

class EscalationAttack : public AdversarialTest {
 protected:
  void SetUp() override { ASSERT_TRUE(own_world({.policy_tail = kOnCall})); }
};

TEST_F(EscalationAttack, AnEscalationWrittenIntoTheStoreGrantsNothing) {
  const std::string id = submit(kDana, "sandbox oncall 30m the pager fired");
  ASSERT_FALSE(message_ts(id, demo::kSandbox).empty());

  // Before any escalation, bob (S0LEADS, no sandbox approver) is refused and nothing is recorded.
  Mark m = mark(kBob);
  ASSERT_TRUE(click(kBob, id, slack::kApproveAction, demo::kSandbox));
  EXPECT_TRUE(reply_after(m, "escalation approver of role oncall"));
  EXPECT_TRUE(stored(id).decisions.empty());

  // Someone with the database file marks the row escalated; no escalated event can be written
  // without the audit key.
  const std::string url = world().store_url();
  ASSERT_TRUE(url.starts_with("sqlite:")) << url;
  const auto edited = run_sqlite(url.substr(7), fmt::format("UPDATE requests SET escalated_at = {} WHERE id = '{}';",
                                                            epoch_seconds(stored(id).created_at), id));
  ASSERT_EQ(edited.code, 0) << edited.out;
  ASSERT_TRUE(stored(id).escalated_at);

  // The row now lets bob's click through; the grant path reads the chain and refuses.
  ASSERT_TRUE(click(kBob, id, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(world().wait_state(id, State::failed)) << world().log(0);
  const AccessRequest r = stored(id);
  EXPECT_THAT(r.end_reason, HasSubstr("escalated_at"));
  EXPECT_THAT(r.end_reason, HasSubstr("no escalated event"));
  EXPECT_EQ(grants_made(), 0);
  EXPECT_EQ(audit_count(id, "escalated"), 0);
  EXPECT_EQ(audit_count(id, "begin_grant"), 0);
  EXPECT_TRUE(slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        return s.messages(demo::kOps).dump().find("Refused to grant " + id) != std::string::npos;
      },
      std::chrono::seconds(10)))
      << slack().messages(demo::kOps).dump(1);
  EXPECT_THAT(world().log(0), HasSubstr("grant_refused_unproven"));
}

}  // namespace
}  // namespace jit::testing
