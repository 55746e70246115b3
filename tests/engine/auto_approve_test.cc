// Auto-approval (issue 17): never silent, and never a grant a person's approval would have refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/proof.h"
#include "engine_fixture.h"
#include "support/log_capture.h"

namespace jit::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kBrowsePs = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-browse";

// prod's "browse" role: standard, auto-approved, for U0DEV and the S0DEVS group, up to 4h, with a
// ticket pattern when one is given.
std::shared_ptr<Config> auto_config(bool auto_approve = true) {
  auto c = test_config();
  RolePolicy browse{.name = "browse", .permission_set_arn = kBrowsePs, .max_duration = std::chrono::hours{4},
                    .approvals_required = auto_approve ? 0 : 1, .requesters = {"U0DEV", "S0DEVS"},
                    .ticket_required = true, .auto_approve = auto_approve};
  c->policy.accounts[0].roles.push_back(browse);
  return c;
}

class AutoApproveTest : public EngineTest {
 protected:
  AutoApproveTest() {
    config = auto_config();
    engine = make_engine();
  }
  Result<AccessRequest> ask(const std::string& requester = "U0DEV", const std::string& duration = "1h",
                            const std::string& ticket = "OPS-1") {
    return engine->submit({requester, "prod", "browse", duration, "read the dashboards", ticket});
  }
  // The text of everything posted or updated in the owner channel.
  std::string owner_channel_text() {
    std::string out;
    for (const auto& line : chat.transcript())
      if (line.channel == "C0PROD") out += line.text + "\n";
    return out;
  }
};

TEST_F(AutoApproveTest, ARequestIsPostedApprovedByTheServiceAndGrantedAtOnce) {
  auto r = ask();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->state, State::active);
  EXPECT_EQ(provider.assignments().size(), 1u);
  ASSERT_EQ(r->decisions.size(), 1u);
  EXPECT_EQ(r->decisions[0].approver, kAutoApprover);
  // Posted first, then approved as the machine, in the trail like any approval.
  const auto actions = actions_of(r->id);
  ASSERT_GE(actions.size(), 4u);
  EXPECT_THAT(std::vector<std::string>(actions.begin(), actions.begin() + 4),
              ElementsAre("submit", "posted", "approve", "begin_grant"));
  const auto events = store.audit_events({}).value();
  const auto approve = std::find_if(events.begin(), events.end(), [](const AuditEvent& e) { return e.action == "approve"; });
  ASSERT_NE(approve, events.end());
  EXPECT_EQ(approve->actor, kAutoApprover);
  EXPECT_THAT(approve->detail, HasSubstr("auto-approved: role browse on prod has auto_approve"));
  // The owner channel sees it, as the policy's doing (Slack's wording: e2e.asks); the requester is
  // told approved, active.
  EXPECT_THAT(owner_channel_text(), HasSubstr("system:auto-approve: " + r->id + " is now approved (auto-approved"));
  EXPECT_THAT(chat.notices_for("U0DEV"), ElementsAre(Notice::approved, Notice::active));
  expect_audit_ok();
  EXPECT_TRUE(audit::prove_request(read(r->id), events, audit::Keyring::unkeyed(), config->policy));
}

// Every rule of a request still applies: who may ask, the duration, the ticket, the requester's
// standing. Refused at submit, nothing stored, nothing granted.
TEST_F(AutoApproveTest, TheRequestRulesStillApply) {
  for (const auto& [requester, duration, ticket, why] :
       std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
           {"U0EVE", "1h", "OPS-1", "may not request"},
           {"U0DEV", "5h", "OPS-1", "longer than the maximum 4h"},
           {"U0DEV", "1h", "", "ticket"}}) {
    auto r = ask(requester, duration, ticket);
    ASSERT_FALSE(r) << requester << " " << duration << " " << ticket;
    EXPECT_THAT(r.error().message, HasSubstr(why));
  }
  directory.set_profile("U0DEV", {.user_id = "U0DEV", .email = "u0dev@example.com", .email_confirmed = true,
                                  .multi_channel_guest = true, .team_id = MemoryDirectory::kTeam});
  auto guest = ask();
  ASSERT_FALSE(guest);
  EXPECT_THAT(guest.error().message, HasSubstr("guest"));
  EXPECT_TRUE(store.list_requests({}).value().empty());
  EXPECT_TRUE(provider.assignments().empty());
}

// Slack down at submit: nothing is approved unseen. The request waits, unposted; once Slack is back
// the sweeper posts it, then approves it, then it is granted.
TEST_F(AutoApproveTest, NothingIsApprovedBeforeItIsPosted) {
  chat.fail_next(1);
  auto r = ask();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->state, State::pending);
  EXPECT_TRUE(read(r->id).chat_ts.empty());
  EXPECT_TRUE(provider.assignments().empty());
  clock.advance(std::chrono::seconds(11));  // past the post grace
  const SweepReport report = engine->sweep();
  EXPECT_EQ(report.posted, 1);
  EXPECT_EQ(report.auto_approved, 1);
  EXPECT_EQ(read(r->id).state, State::active);
  const auto actions = actions_of(r->id);
  EXPECT_THAT(std::vector<std::string>(actions.begin(), actions.begin() + 4),
              ElementsAre("submit", "post_retry", "posted", "approve"));
  expect_audit_ok();
}

// Policy as it is at the moment: a reload that ends auto-approval before the sweeper gets to a
// waiting request leaves it to approvers, who now must approve it.
TEST_F(AutoApproveTest, AReloadThatEndsAutoApprovalLeavesTheRequestToApprovers) {
  chat.fail_next(1);
  auto r = ask();
  ASSERT_TRUE(r);
  engine->set_config(auto_config(false));
  clock.advance(std::chrono::seconds(11));
  const SweepReport report = engine->sweep();
  EXPECT_EQ(report.auto_approved, 0);
  EXPECT_EQ(read(r->id).state, State::pending);
  auto refused = engine->auto_approve(r->id);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::denied);
  EXPECT_THAT(refused.error().message, HasSubstr("no longer auto-approved"));
  auto approved = engine->approve(r->id, "U0ALICE");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::active);
}

// A waiting request the sweeper may no longer approve (its requester left the role's requesters)
// stays for people, is no error, and is warned about once, not at every sweep until it lapses.
TEST_F(AutoApproveTest, ARequestTheSweeperMayNoLongerApproveIsWarnedAboutOnce) {
  chat.fail_next(1);
  auto r = ask();
  ASSERT_TRUE(r);
  auto narrowed = auto_config();
  narrowed->policy.accounts[0].roles.back().requesters = {"U0SOMEONE"};
  engine->set_config(narrowed);
  LogCapture log;
  int errors = 0;
  for (int sweep = 0; sweep < 4; ++sweep) {
    clock.advance(std::chrono::seconds(11));
    errors += engine->sweep().errors;
  }
  EXPECT_EQ(read(r->id).state, State::pending);
  EXPECT_FALSE(read(r->id).chat_ts.empty()) << "posted by the sweeper";
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(log.count("warning", "event=auto_approve_refused request=" + r->id), 1) << log.text();
  EXPECT_GE(log.count("debug", "event=auto_approve_refused request=" + r->id), 2) << log.text();
}

// Two instances (or a replayed sweep) auto-approve a request once, and grant it once.
TEST_F(AutoApproveTest, TwoInstancesApproveAndGrantOnce) {
  chat.fail_next(1);
  auto r = ask();
  ASSERT_TRUE(r);
  auto other = make_engine("i-2");
  clock.advance(std::chrono::seconds(11));
  engine->sweep();
  other->sweep();
  EXPECT_TRUE(engine->auto_approve(r->id));  // nothing to do: already approved
  EXPECT_EQ(read(r->id).state, State::active);
  EXPECT_EQ(read(r->id).decisions.size(), 1u);
  EXPECT_EQ(provider.assignments().size(), 1u);
  int approvals = 0;
  for (const auto& a : actions_of(r->id)) approvals += a == "approve";
  EXPECT_EQ(approvals, 1);
}

// The machine's approval is not a person's: once policy wants a person for the role, the proof of
// an auto-approved grant says the auto-approval no longer stands.
TEST_F(AutoApproveTest, TheMachinesApprovalIsNoPersons) {
  auto granted = ask();
  ASSERT_TRUE(granted);
  ASSERT_EQ(granted->state, State::active);
  const auto events = store.audit_events({}).value();
  auto proven = audit::prove_request(read(granted->id), events, audit::Keyring::unkeyed(), auto_config(false)->policy);
  ASSERT_FALSE(proven);
  EXPECT_THAT(proven.error().message, HasSubstr("no longer auto-approves role browse"));
}

}  // namespace
}  // namespace jit::testing
