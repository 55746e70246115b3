// Every decision and every grant is checked against policy as it is now (issue 12): the approval
// window at the click, accounts and roles that left policy, requesters and approvers who lost
// their standing, and stored ids that disagree with policy.
#include "engine_fixture.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;

class PolicyAtClickTest : public EngineTest {
 protected:
  // Applies `change` to a copy of the test policy and reloads it, as SIGHUP would.
  void reload(const std::function<void(Policy&)>& change) {
    auto next = test_config();
    change(next->policy);
    engine->set_config(next);
  }

  RolePolicy& role(Policy& p, const std::string& name) {
    for (auto& r : p.accounts[0].roles)
      if (r.name == name) return r;
    throw std::logic_error("no role " + name);
  }

  void remove_role(const std::string& name) {
    reload([&](Policy& p) { std::erase_if(p.accounts[0].roles, [&](auto& r) { return r.name == name; }); });
  }

  // Approves `id` by `approver` while AWS cannot resolve principals (the row waits in `approved`)
  // or, with Op::grant, cannot grant (it waits in `granting`).
  void approve_while_aws_down(const std::string& id, const std::string& approver,
                              MemoryAccessProvider::Op op = MemoryAccessProvider::Op::resolve) {
    provider.fail_next(op, 1, Error::Unavailable("AWS is down"));
    auto approved = engine->approve(id, approver);
    ASSERT_TRUE(approved) << approved.error().message;
    ASSERT_EQ(approved->state, op == MemoryAccessProvider::Op::grant ? State::granting : State::approved);
  }

  // The sweeper resumes the waiting row, which fails for `why` without any grant.
  void expect_failed_at_grant(const std::string& id, const std::string& why) {
    engine->sweep();
    const AccessRequest r = read(id);
    EXPECT_EQ(r.state, State::failed);
    EXPECT_THAT(r.end_reason, HasSubstr(why));
    EXPECT_EQ(provider.created(), 0);
    EXPECT_TRUE(provider.assignments().empty());
    EXPECT_EQ(chat.notices_for(r.requester).back(), Notice::failed);
    expect_audit_ok();
  }

  void expect_refused(const Result<AccessRequest>& r, Errc code, const std::string& why) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code);
    EXPECT_THAT(r.error().message, HasSubstr(why));
    EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 0);
  }
};

TEST_F(PolicyAtClickTest, ApproveAfterTheWindowIsRefusedWithoutWaitingForTheSweeper) {
  AccessRequest r = submit();
  clock.advance(std::chrono::minutes{59});
  EXPECT_TRUE(engine->check_can_decide(r.id, "U0ALICE"));
  clock.advance(std::chrono::minutes{1});
  auto can = engine->check_can_decide(r.id, "U0ALICE");
  ASSERT_FALSE(can);
  EXPECT_THAT(can.error().message, HasSubstr("waited longer than the approval window (1h)"));
  expect_refused(engine->approve(r.id, "U0ALICE"), Errc::conflict,
                 "request " + r.id + " waited longer than the approval window (1h); ask again");
  EXPECT_EQ(read(r.id).state, State::expired);  // lapsed at the click
  EXPECT_EQ(chat.notices_for("U0DEV").back(), Notice::expired);
  expect_refused(engine->deny(r.id, "U0BOB", "late"), Errc::conflict, "expired");
  expect_audit_ok();
}

TEST_F(PolicyAtClickTest, RoleRemovedFromPolicyCannotBeApproved) {
  AccessRequest r = submit();
  remove_role("admin");
  expect_refused(engine->approve(r.id, "U0ALICE"), Errc::denied,
                 "role admin is no longer on account prod (policy changed");
  EXPECT_EQ(read(r.id).state, State::pending);
}

TEST_F(PolicyAtClickTest, ApprovedRowWhoseRoleLeftPolicyFailsAtGrant) {
  AccessRequest r = submit();
  approve_while_aws_down(r.id, "U0ALICE");
  remove_role("admin");
  expect_failed_at_grant(r.id, "role admin is no longer on account prod");
}

TEST_F(PolicyAtClickTest, RenamedTwoApproverRoleCannotBeApprovedByOne) {
  AccessRequest r = submit("glass", "30m");
  ASSERT_TRUE(engine->approve(r.id, "U0ALICE"));
  reload([&](Policy& p) { role(p, "glass").name = "break-glass"; });
  expect_refused(engine->approve(r.id, "U0BOB"), Errc::denied, "role glass is no longer on account prod");
  EXPECT_EQ(read(r.id).state, State::pending);
}

TEST_F(PolicyAtClickTest, RequesterRemovedAfterSubmitIsRefusedAtTheClick) {
  AccessRequest r = submit();
  reload([&](Policy& p) { role(p, "admin").requesters = {"U0ALICE"}; });
  expect_refused(engine->approve(r.id, "U0BOB"), Errc::denied, "U0DEV may no longer request role admin");
  EXPECT_EQ(read(r.id).state, State::pending);
}

TEST_F(PolicyAtClickTest, RequesterWhoLeftTheirGroupIsRefusedAtGrant) {
  directory.set_groups("U0ERIN", {"S0DEVS"});
  AccessRequest r = submit("admin", "1h", "U0ERIN");
  approve_while_aws_down(r.id, "U0ALICE");
  directory.set_groups("U0ERIN", {});
  expect_failed_at_grant(r.id, "U0ERIN may no longer request role admin");
}

TEST_F(PolicyAtClickTest, ApproverRemovedAfterApprovingNoLongerCounts) {
  AccessRequest r = submit("glass", "30m");
  ASSERT_TRUE(engine->approve(r.id, "U0ALICE"));
  reload([&](Policy& p) { p.accounts[0].approvers = {"U0BOB", "U0CAROL"}; });
  auto second = engine->approve(r.id, "U0BOB");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->state, State::pending);  // 1 of 2 still standing
  ASSERT_TRUE(engine->approve(r.id, "U0CAROL"));
  EXPECT_EQ(read(r.id).state, State::active);
}

TEST_F(PolicyAtClickTest, ApproverRemovedWhileTheGrantWaitsNoLongerCountsAtGrant) {
  AccessRequest r = submit("glass", "30m");
  ASSERT_TRUE(engine->approve(r.id, "U0ALICE"));
  approve_while_aws_down(r.id, "U0BOB");
  reload([&](Policy& p) { p.accounts[0].approvers = {"U0BOB", "U0CAROL"}; });
  expect_failed_at_grant(r.id, "only 1 of the 2 approvals needed");
}

TEST_F(PolicyAtClickTest, StoredIdsThatDisagreeWithPolicyAreRefusedAtGrant) {
  for (const bool account : {true, false}) {
    SCOPED_TRACE(account ? "account id" : "permission set");
    AccessRequest r = submit(account ? "admin" : "read");
    approve_while_aws_down(r.id, "U0ALICE");
    AccessRequest edited = read(r.id);
    (account ? edited.account_id : edited.permission_set_arn) = account ? "999999999999" : kAdminPs;
    ASSERT_TRUE(store.update_request(edited, {.at = clock.now(), .actor = "test", .action = "edit",
                                              .request_id = r.id, .from_state = "approved",
                                              .to_state = "approved", .detail = "tampered"}));
    // The row no longer agrees with its submit event: the chain refuses it before policy is asked.
    expect_failed_at_grant(r.id, account ? "account_id: the row says 999999999999, the chain 123456789012"
                                         : "permission_set_arn: the row says " + kAdminPs + ", the chain " + kReadPs);
  }
}

TEST_F(PolicyAtClickTest, ApprovalOlderThanTheWindowIsNotGranted) {
  AccessRequest r = submit();
  approve_while_aws_down(r.id, "U0ALICE");
  clock.advance(std::chrono::minutes{59});
  provider.fail_next(MemoryAccessProvider::Op::resolve, 1, Error::Unavailable("AWS is still down"));
  engine->sweep();
  EXPECT_EQ(read(r.id).state, State::approved);
  clock.advance(std::chrono::minutes{1});
  expect_failed_at_grant(r.id, "not granted within the approval window (1h)");
}

TEST_F(PolicyAtClickTest, DirectoryOutageAtGrantIsRetriedNeverGranted) {
  AccessRequest r = submit();
  approve_while_aws_down(r.id, "U0ALICE");
  directory.fail_next(1000);
  EXPECT_EQ(engine->sweep().errors, 1);
  EXPECT_EQ(read(r.id).state, State::approved);
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 0);
  directory.fail_next(0);
  EXPECT_EQ(engine->sweep().resumed, 1);
  EXPECT_EQ(read(r.id).state, State::active);
}

TEST_F(PolicyAtClickTest, GrantingRowWhoseRoleLeftPolicyIsRolledBackNotGranted) {
  AccessRequest r = submit();
  approve_while_aws_down(r.id, "U0ALICE", MemoryAccessProvider::Op::grant);
  remove_role("admin");
  expect_failed_at_grant(r.id, "role admin is no longer on account prod");
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::revoke), 1);  // the rollback, as a precaution
}

}  // namespace
}  // namespace jit::testing
