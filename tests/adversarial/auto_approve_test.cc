// Attacks on auto-approval (issue 17): a request the service approves by itself must never get
// what a person's approval would have refused. A role "viewer" on sandbox is auto-approved for dana
// only, up to 1h, with a ticket. Safe outcome: everything outside those rules is refused at submit
// (by /jit request and by a forged form alike) and nothing is granted; what is auto-approved is
// posted, marked, and audited; a reload that ends auto-approval is obeyed by the next request.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include "adversarial/adversary.h"
#include "core/load_errors.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using test::replaced;

const std::string kViewer = fmt::format(R"toml(
  [[accounts.roles]]
  name = "viewer"
  permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000004"
  max_duration = "1h"
  requesters = ["{}"]
  ticket_required = true
  ticket_pattern = "^OPS-[0-9]+$"
  approvals_required = 0
  auto_approve = true
)toml",
                                        kDana);

class AutoApproveAttack : public AdversarialTest {
 protected:
  void SetUp() override { ASSERT_TRUE(own_world({.policy_tail = kViewer})); }
};

TEST_F(AutoApproveAttack, NothingAPersonWouldRefuseIsAutoApproved) {
  // Someone the role does not name, by command and by a forged form.
  EXPECT_THAT(command(kEve, "request sandbox viewer 30m look --ticket OPS-1"), HasSubstr("may not request"));
  const std::string form = open_request_form(kEve);
  ASSERT_FALSE(form.empty());
  const auto forged = submit_form(kEve, form, form_values("sandbox", "viewer", "30m", "look", "OPS-1"));
  EXPECT_THAT(forged.dump(), HasSubstr("may not request"));
  // dana past the role's limits: too long, no ticket, a ticket of the wrong form.
  EXPECT_THAT(command(kDana, "request sandbox viewer 2h look --ticket OPS-1"), HasSubstr("longer than the maximum"));
  EXPECT_THAT(command(kDana, "request sandbox viewer 30m look"), HasSubstr("ticket"));
  EXPECT_THAT(command(kDana, "request sandbox viewer 30m look --ticket JIRA-1"), HasSubstr("does not match"));
  // dana made a guest in Slack: refused, as an approval would refuse her.
  ASSERT_TRUE(slack().update_user(kDana, {{"is_restricted", true}}));
  EXPECT_THAT(command(kDana, "request sandbox viewer 30m look --ticket OPS-1"), HasSubstr("guest"));
  EXPECT_TRUE(world().store().list_requests({}).value().empty());
  EXPECT_EQ(grants_made(), 0);

  // Within the rules: approved by the service, posted and marked in sandbox's channel, granted once.
  ASSERT_TRUE(slack().update_user(kDana, {{"is_restricted", false}}));
  const auto reply = command(kDana, "request sandbox viewer 30m look --ticket OPS-7");
  const std::string id = demo::request_id_in(reply).value_or("");
  ASSERT_FALSE(id.empty()) << reply;
  ASSERT_TRUE(world().wait_state(id, State::active)) << world().log(0);
  EXPECT_FALSE(world().wait_dm(kDana, "waiting for approval", std::chrono::milliseconds(0)));
  EXPECT_EQ(grants_made(), 1);
  EXPECT_EQ(audit_count(id, "approve"), 1);
  EXPECT_EQ(stored(id).decisions.at(0).approver, kAutoApprover);
  const std::string ts = message_ts(id, demo::kSandbox);
  ASSERT_TRUE(slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        return s.messages(demo::kSandbox).dump().find("auto-approval (the role's policy)") != std::string::npos;
      },
      std::chrono::seconds(5)));
  // A forged Approve on it, and dana approving her own: refused, still one grant and one approval.
  const Mark m = mark(kAlice);
  forged_click(kAlice, id, slack::kApproveAction, id, demo::kSandbox);
  EXPECT_TRUE(reply_after(m, "already"));
  EXPECT_EQ(grants_made(), 1);
  EXPECT_EQ(audit_count(id, "approve"), 1);
}

TEST_F(AutoApproveAttack, AReloadThatEndsAutoApprovalIsObeyedByTheNextRequest) {
  ASSERT_TRUE(world().rewrite_policy(
      replaced(world().policy_text(), "approvals_required = 0\n  auto_approve = true\n", "approvals_required = 1\n")))
      << world().log(0);
  const std::string id = submit(kDana, "sandbox viewer 30m look --ticket OPS-8");
  EXPECT_EQ(stored(id).state, State::pending);  // submit answered: no machine approval came
  EXPECT_EQ(audit_count(id, "approve"), 0);
  EXPECT_EQ(grants_made(), 0);
  ASSERT_TRUE(click(kAlice, id, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(world().wait_state(id, State::active)) << world().log(0);
  EXPECT_EQ(stored(id).decisions.at(0).approver, kAlice);
}

}  // namespace
}  // namespace jit::testing
