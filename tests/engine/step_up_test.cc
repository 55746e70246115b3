// Issue 15: approvals of a role with step_up, policy as it is at the click, and at grant time the
// chain's proof that each counted approval was made with a security key.
#include "audit/facts.h"
#include "engine_fixture.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;

class StepUpTest : public EngineTest {
 protected:
  // Sets step_up on role `name` of prod, as a reload would.
  void set_step_up(const std::string& name, bool on) {
    auto next = std::make_shared<Config>(*engine_config);
    for (auto& r : next->policy.accounts[0].roles)
      if (r.name == name) r.step_up = on;
    engine_config = next;
    engine->set_config(next);
  }

  static StepUpProof proof(const std::string& who) {
    return {.credential_id = "cred-of-" + who, .assertion_sha256 = "a55e" + who, .challenge_id = "tok-" + who};
  }

  std::vector<AuditEvent> events_of(const std::string& id) {
    std::vector<AuditEvent> out;
    const auto all = store.audit_events({}).value();
    for (const auto& e : all)
      if (e.request_id == id) out.push_back(e);
    return out;
  }

  std::shared_ptr<Config> engine_config = config;
};

TEST_F(StepUpTest, ApprovingAStepUpRoleWithoutAProofIsDeniedAndWritesNothing) {
  set_step_up("glass", true);
  const AccessRequest r = submit("glass");
  const auto before = store.audit_events({}).value().size();
  auto approved = engine->approve(r.id, "U0ALICE");
  ASSERT_FALSE(approved);
  EXPECT_EQ(approved.error().code, Errc::denied);
  EXPECT_THAT(approved.error().message, HasSubstr("needs a security-key step-up"));
  EXPECT_EQ(store.audit_events({}).value().size(), before);
  EXPECT_TRUE(read(r.id).decisions.empty());
  EXPECT_EQ(read(r.id).state, State::pending);
  auto needs = engine->needs_step_up(r.id);
  ASSERT_TRUE(needs);
  EXPECT_TRUE(*needs);
}

TEST_F(StepUpTest, ApprovalsWithProofsCarryTheirCredentialAndAssertionAndGrant) {
  set_step_up("glass", true);
  const AccessRequest r = submit("glass");
  ASSERT_TRUE(engine->approve(r.id, "U0ALICE", proof("alice")));
  auto granted = engine->approve(r.id, "U0BOB", proof("bob"));
  ASSERT_TRUE(granted) << granted.error().message;
  EXPECT_EQ(granted->state, State::active);
  int approvals = 0;
  for (const auto& e : events_of(r.id)) {
    if (e.action != "approve" && e.action != "approve_partial") continue;
    ++approvals;
    const std::string who = e.actor == "U0ALICE" ? "alice" : "bob";
    auto f = audit::facts::read(e);
    ASSERT_TRUE(f) << f.error().message << ": " << e.facts;
    EXPECT_EQ(audit::facts::text(*f, "step_up_credential"), "cred-of-" + who);
    EXPECT_EQ(audit::facts::text(*f, "step_up_assertion"), "a55e" + who);
  }
  EXPECT_EQ(approvals, 2);
  expect_audit_ok();
}

// An approval recorded without step-up (here: step-up was turned on after the click) does not
// count at grant time: the row waits in approved (AWS down), then the grant is refused.
TEST_F(StepUpTest, AGrantIsRefusedWhenAnApprovalEventLacksTheStepUp) {
  const AccessRequest r = submit("admin");
  provider.fail_next(MemoryAccessProvider::Op::resolve, 1, Error::Unavailable("AWS is down"));
  auto approved = engine->approve(r.id, "U0ALICE");
  ASSERT_TRUE(approved) << approved.error().message;
  ASSERT_EQ(approved->state, State::approved);
  set_step_up("admin", true);
  engine->sweep();
  const AccessRequest after = read(r.id);
  EXPECT_EQ(after.state, State::failed);
  EXPECT_THAT(after.end_reason, HasSubstr("refused, nothing granted: role admin needs each approval made with a "
                                          "security key (step_up), but only 0 of the 1 approvals needed were"));
  EXPECT_EQ(provider.created(), 0);
  EXPECT_TRUE(provider.assignments().empty());
  expect_audit_ok();
}

// The same row, approved with a proof, is granted once AWS is back.
TEST_F(StepUpTest, AnApprovalWithItsStepUpInTheTrailIsGrantedLater) {
  set_step_up("admin", true);
  const AccessRequest r = submit("admin");
  provider.fail_next(MemoryAccessProvider::Op::resolve, 1, Error::Unavailable("AWS is down"));
  ASSERT_TRUE(engine->approve(r.id, "U0ALICE", proof("alice")));
  ASSERT_EQ(read(r.id).state, State::approved);
  engine->sweep();
  EXPECT_EQ(read(r.id).state, State::active);
}

// Policy as it is at the click: step-up turned off lets a request submitted under it be approved
// with the button alone.
TEST_F(StepUpTest, APolicyThatTurnsStepUpOffLetsAPendingRequestBeApprovedWithoutIt) {
  set_step_up("admin", true);
  const AccessRequest r = submit("admin");
  EXPECT_FALSE(engine->approve(r.id, "U0ALICE"));
  set_step_up("admin", false);
  auto needs = engine->needs_step_up(r.id);
  ASSERT_TRUE(needs);
  EXPECT_FALSE(*needs);
  auto approved = engine->approve(r.id, "U0ALICE");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::active);
  expect_audit_ok();
}

}  // namespace
}  // namespace jit::testing
