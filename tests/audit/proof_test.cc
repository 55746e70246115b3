#include "audit/proof.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/chain.h"
#include "audit/facts.h"

namespace jit::audit {
namespace {

using ::testing::HasSubstr;

const TimePoint kT = TimePoint{Seconds{1800000000}};
const std::string kPs = "arn:aws:sso:::permissionSet/ins-1/ps-admin";

Policy policy(int approvals_required = 1) {
  Policy p;
  AccountPolicy prod{.name = "prod", .id = "111111111111", .owner_channel = "C1", .approvers = {"UA", "UB"}};
  prod.roles.push_back({.name = "admin", .permission_set_arn = kPs, .max_duration = Seconds{7200},
                        .approvals_required = approvals_required, .requesters = {"*"}});
  p.accounts.push_back(prod);
  return p;
}

// A request's genuine history, sealed as the store seals it, and its row at each step.
class ProofTest : public ::testing::Test {
 protected:
  ProofTest() {
    row = {.id = "r1", .version = 1, .requester = "UDEV", .account = "prod", .account_id = "111111111111",
           .role = "admin", .permission_set_arn = kPs, .duration = Seconds{3600}, .reason = "INC-1",
           .ticket = "T-1", .created_at = kT, .updated_at = kT, .state = State::pending,
           .requester_email = "dev@example.com", .principal = "p-dev"};
    add("submit", "UDEV", "", "pending", facts::of_submit(row));
  }

  void add(const std::string& action, const std::string& actor, const std::string& from, const std::string& to,
           std::string facts, TimePoint at = kT) {
    AuditEvent e{.at = at, .actor = actor, .action = action, .request_id = "r1", .from_state = from,
                 .to_state = to, .facts = std::move(facts)};
    seal(e, head, Keyring::unkeyed());
    head = {e.seq, e.hash};
    events.push_back(e);
  }

  void approve(const std::string& approver, int count, int needed, bool last,
               const std::optional<StepUpProof>& step_up = std::nullopt) {
    row.decisions.push_back({approver, true, "", kT + Seconds{60}});
    add(last ? "approve" : "approve_partial", approver, "pending", last ? "approved" : "pending",
        facts::of_decision(row.decisions.back(), count, needed, step_up), kT + Seconds{60});
    if (last) row.state = State::approved;
  }

  void grant() {
    row.state = State::granting;
    row.expires_at = kT + Seconds{120} + row.duration;
    add("begin_grant", "system:engine", "approved", "granting", facts::of_begin_grant(row), kT + Seconds{120});
    row.state = State::active;
    row.granted_at = kT + Seconds{121};
    add("grant_succeeded", "system:engine", "granting", "active", facts::of_grant_succeeded(row), kT + Seconds{121});
  }

  std::vector<std::string> problems(const Policy* p) {
    std::vector<std::string> out;
    for (const auto& m : examine_request(row, events, Keyring::unkeyed(), p).mismatches) out.push_back(m.describe());
    return out;
  }
  std::string refusal(const Policy& p = policy()) {
    auto proven = prove_request(row, events, Keyring::unkeyed(), p);
    EXPECT_FALSE(proven) << "the chain explained a row it should not";
    return proven ? "" : proven.error().message;
  }

  AccessRequest row;
  std::vector<AuditEvent> events;
  AuditHead head{0, kGenesisHash};
};

// Issue 17: an on-call auto-approval stands while the role names the schedule its event names, and
// only for the requester's own e-mail; never as a plain auto-approval, never as a person's.
TEST_F(ProofTest, AnOnCallApprovalIsProvenOnlyForThatScheduleAndTheRequestersEmail) {
  const auto on_call = [&](const std::string& email) {
    row.decisions.push_back({kAutoApprover, true, "", kT + Seconds{60}});
    add("approve", kAutoApprover, "pending", "approved",
        facts::of_decision(row.decisions.back(), 0, 0, std::nullopt, OnCallProof{"PSCHED1", "PDEV001", email}),
        kT + Seconds{60});
    row.state = State::approved;
  };
  const auto with_schedule = [](const std::string& schedule) {
    Policy p = policy(1);
    p.accounts[0].roles[0].on_call_schedule = schedule;
    return p;
  };
  on_call("Dev@Example.com");
  grant();
  auto proven = prove_request(row, events, Keyring::unkeyed(), with_schedule("PSCHED1"));
  ASSERT_TRUE(proven) << proven.error().message;
  EXPECT_EQ(proven->on_call_schedule, "PSCHED1");
  EXPECT_EQ(proven->approvers, std::vector<std::string>{kAutoApprover});
  EXPECT_THAT(refusal(with_schedule("PSCHED2")), HasSubstr("auto-approved as on call on PagerDuty schedule PSCHED1, "
                                                           "but policy no longer names that schedule for role admin"));
  EXPECT_THAT(refusal(policy(1)), HasSubstr("no longer names that schedule"));
  Policy automatic = policy(0);
  automatic.accounts[0].roles[0].auto_approve = true;
  EXPECT_THAT(refusal(automatic), HasSubstr("no longer names that schedule"));
}

TEST_F(ProofTest, AnOnCallApprovalOfAnotherEmailIsNotTheRequesters) {
  row.decisions.push_back({kAutoApprover, true, "", kT + Seconds{60}});
  add("approve", kAutoApprover, "pending", "approved",
      facts::of_decision(row.decisions.back(), 0, 0, std::nullopt, OnCallProof{"PSCHED1", "PEVE001", "eve@example.com"}),
      kT + Seconds{60});
  row.state = State::approved;
  Policy p = policy(1);
  p.accounts[0].roles[0].on_call_schedule = "PSCHED1";
  const auto exam = examine_request(row, events, Keyring::unkeyed(), &p);
  ASSERT_FALSE(exam.mismatches.empty());
  EXPECT_EQ(exam.mismatches[0].describe(),
            "approvals: the row says dev@example.com, the chain an on-call approval of eve@example.com on schedule "
            "PSCHED1 (event 2)");
  EXPECT_FALSE(exam.mismatches[0].policy);  // the chain itself does not explain the row
}

TEST_F(ProofTest, AGenuineApprovedRequestIsProven) {
  approve("UA", 1, 1, true);
  const Policy p = policy();
  auto proven = prove_request(row, events, Keyring::unkeyed(), p);
  ASSERT_TRUE(proven) << proven.error().message;
  EXPECT_EQ(proven->requester, "UDEV");
  EXPECT_EQ(proven->approvers, std::vector<std::string>{"UA"});
  EXPECT_FALSE(proven->has_grant);
}

// Issue 17: an auto-approval stands in for people only while the role auto-approves, and never
// counts as a person's approval.
TEST_F(ProofTest, AnAutoApprovalIsProvenOnlyWhilePolicyAutoApprovesTheRole) {
  approve(kAutoApprover, 0, 0, true);
  grant();
  Policy automatic = policy(0);
  automatic.accounts[0].roles[0].auto_approve = true;
  auto proven = prove_request(row, events, Keyring::unkeyed(), automatic);
  ASSERT_TRUE(proven) << proven.error().message;
  EXPECT_EQ(proven->approvers, std::vector<std::string>{kAutoApprover});
  // The role now needs a person (policy changed, or the row was pointed at another role).
  EXPECT_THAT(refusal(policy(1)), HasSubstr("auto-approved, but policy no longer auto-approves role admin"));
  // Not auto-approved, yet 0 approvals required: still not a machine's call.
  EXPECT_THAT(refusal(policy(0)), HasSubstr("no longer auto-approves"));
}

TEST_F(ProofTest, AGenuineActiveGrantProvesItsExpiry) {
  approve("UA", 1, 1, true);
  grant();
  const Policy p = policy();
  auto proven = prove_request(row, events, Keyring::unkeyed(), p);
  ASSERT_TRUE(proven) << proven.error().message;
  EXPECT_TRUE(proven->has_grant);
  EXPECT_EQ(proven->expires_at, kT + Seconds{120 + 3600});
}

TEST_F(ProofTest, EveryEditedFieldOfTheRowIsNamedWithBothValues) {
  approve("UA", 1, 1, true);
  const AccessRequest genuine = row;
  struct Edit {
    const char* field;
    std::function<void(AccessRequest&)> apply;
    const char* row_value;
  };
  const std::vector<Edit> edits = {
      {"requester", [](AccessRequest& r) { r.requester = "UEVE"; }, "UEVE"},
      {"account", [](AccessRequest& r) { r.account = "staging"; }, "staging"},
      {"account_id", [](AccessRequest& r) { r.account_id = "999999999999"; }, "999999999999"},
      {"role", [](AccessRequest& r) { r.role = "root"; }, "root"},
      {"permission_set_arn", [](AccessRequest& r) { r.permission_set_arn = "arn:ps-other"; }, "arn:ps-other"},
      {"duration_s", [](AccessRequest& r) { r.duration = Seconds{999999}; }, "999999"},
      {"reason", [](AccessRequest& r) { r.reason = "other"; }, "other"},
      {"ticket", [](AccessRequest& r) { r.ticket = "T-2"; }, "T-2"},
      {"requester_email", [](AccessRequest& r) { r.requester_email = "eve@example.com"; }, "eve@example.com"},
      {"principal", [](AccessRequest& r) { r.principal = "p-eve"; }, "p-eve"},
      {"created_at", [](AccessRequest& r) { r.created_at = kT + Seconds{3600}; }, "2027-01-15T09:00:00Z"},
  };
  for (const auto& edit : edits) {
    SCOPED_TRACE(edit.field);
    row = genuine;
    edit.apply(row);
    const auto exam = examine_request(row, events, Keyring::unkeyed(), nullptr);
    ASSERT_FALSE(exam.mismatches.empty());
    const auto it = std::find_if(exam.mismatches.begin(), exam.mismatches.end(),
                                 [&](const Mismatch& m) { return m.field == edit.field; });
    ASSERT_NE(it, exam.mismatches.end());
    EXPECT_EQ(it->row, edit.row_value);
    EXPECT_FALSE(it->chain.empty());
    EXPECT_FALSE(it->policy);
  }
}

TEST_F(ProofTest, ARowWithNoHistoryIsRefused) {
  events.clear();
  row.state = State::approved;
  row.decisions.push_back({"UA", true, "", kT});
  const std::string why = refusal();
  EXPECT_THAT(why, HasSubstr("submit: no submit event"));
  EXPECT_THAT(why, HasSubstr("approvals: the row says UA, the chain (none)"));
  EXPECT_THAT(why, HasSubstr("approve: the row says approved, the chain no approve event"));
}

TEST_F(ProofTest, ADuplicateSubmitIsRefused) {
  add("submit", "UDEV", "", "pending", facts::of_submit(row));
  approve("UA", 1, 1, true);
  EXPECT_THAT(refusal(), HasSubstr("submit: 2 submit events"));
}

TEST_F(ProofTest, TooFewApprovalsForPolicyNowIsAPolicyMismatch) {
  approve("UA", 1, 1, true);
  const Policy two = policy(2);
  const auto exam = examine_request(row, events, Keyring::unkeyed(), &two);
  ASSERT_EQ(exam.mismatches.size(), 1u);
  EXPECT_EQ(exam.mismatches[0].field, "approvals");
  EXPECT_TRUE(exam.mismatches[0].policy);
  EXPECT_THAT(refusal(two), HasSubstr("1 approval event(s), policy needs 2"));
}

TEST_F(ProofTest, ApprovalsOnTheRowWithoutEventsAreRefused) {
  approve("UA", 1, 2, false);
  // The row claims a second approval that no event records, and its state says approved.
  row.decisions.push_back({"UB", true, "", kT});
  row.state = State::approved;
  const std::string why = refusal(policy(2));
  EXPECT_THAT(why, HasSubstr("approvals: the row says UA,UB, the chain UA"));
  EXPECT_THAT(why, HasSubstr("no approve event"));
}

TEST_F(ProofTest, ASelfApprovalEventDoesNotCount) {
  row.decisions.push_back({"UDEV", true, "", kT});
  add("approve", "UDEV", "pending", "approved", facts::of_decision(row.decisions.back(), 1, 1));
  row.state = State::approved;
  EXPECT_THAT(refusal(), HasSubstr("UDEV approved their own request"));
}

TEST_F(ProofTest, TheSameApproverTwiceCountsOnce) {
  approve("UA", 1, 2, false);
  approve("UA", 2, 2, true);
  EXPECT_THAT(refusal(policy(2)), HasSubstr("UA approved twice"));
}

TEST_F(ProofTest, AnAccountOrRoleRemovedFromPolicyIsAPolicyMismatch) {
  approve("UA", 1, 1, true);
  Policy gone = policy();
  gone.accounts[0].name = "renamed";
  EXPECT_THAT(refusal(gone), HasSubstr("account: the row says prod, the chain no longer in policy"));
  Policy no_role = policy();
  no_role.accounts[0].roles[0].name = "other";
  EXPECT_THAT(refusal(no_role), HasSubstr("role: the row says admin"));
  Policy moved = policy();
  moved.accounts[0].id = "222222222222";
  EXPECT_THAT(refusal(moved), HasSubstr("policy says 222222222222"));
}

TEST_F(ProofTest, ADeniedOrCancelledRequestCannotBeApprovedOnTheRow) {
  const AccessRequest fresh = row;
  const auto fresh_events = events;
  for (const char* end : {"deny", "cancel"}) {
    SCOPED_TRACE(end);
    row = fresh;
    events = fresh_events;
    head = {events[0].seq, events[0].hash};
    add(end, "UA", "pending", end == std::string("deny") ? "denied" : "cancelled", facts::of_end(row));
    approve("UA", 1, 1, true);
    EXPECT_THAT(refusal(), HasSubstr(std::string("state: the row says approved, the chain ended by ") + end));
  }
}

TEST_F(ProofTest, AnEditedEventIsNotTrusted) {
  approve("UA", 1, 1, true);
  events[1].actor = "UB";  // the approval re-attributed without resealing
  EXPECT_THAT(refusal(), HasSubstr("event 2: audit event 2 was modified"));
}

TEST_F(ProofTest, AnotherRequestsEventsDoNotCount) {
  approve("UA", 1, 1, true);
  row.id = "r2";
  EXPECT_THAT(refusal(), HasSubstr("belongs to request r1"));
}

TEST_F(ProofTest, AGrantingRowNeedsItsBeginGrantEvent) {
  approve("UA", 1, 1, true);
  row.state = State::granting;
  row.expires_at = kT + Seconds{3600};
  EXPECT_THAT(refusal(), HasSubstr("begin_grant: the row says granting, the chain no begin_grant event"));
}

TEST_F(ProofTest, AnApprovedRowWhoseGrantAlreadyBeganIsRefused) {
  approve("UA", 1, 1, true);
  grant();
  row.state = State::approved;  // rolled back to be granted again
  EXPECT_THAT(refusal(), HasSubstr("the request went to granting at event 3"));
}

TEST_F(ProofTest, AnActiveRowWithNoGrantEventsIsNamed) {
  approve("UA", 1, 1, true);
  row.state = State::active;
  row.expires_at = kT + Seconds{3600};
  const auto exam = examine_request(row, events, Keyring::unkeyed(), nullptr);
  EXPECT_FALSE(exam.proof.has_grant);
  const auto all = problems(nullptr);
  EXPECT_THAT(all, ::testing::Contains(HasSubstr("no begin_grant event")));
  EXPECT_THAT(all, ::testing::Contains(HasSubstr("no grant_succeeded event")));
}

TEST_F(ProofTest, AnEditedExpiryIsNamedAndTheChainsIsProven) {
  approve("UA", 1, 1, true);
  grant();
  const TimePoint genuine = *row.expires_at;
  row.expires_at = genuine + std::chrono::days{365};
  const auto exam = examine_request(row, events, Keyring::unkeyed(), nullptr);
  EXPECT_EQ(exam.proof.expires_at, genuine);
  ASSERT_EQ(exam.mismatches.size(), 1u);
  EXPECT_EQ(exam.mismatches[0].field, "expires_at");
  EXPECT_EQ(exam.mismatches[0].row, format_time(genuine + std::chrono::days{365}));
  EXPECT_EQ(exam.mismatches[0].chain, format_time(genuine));
}

TEST_F(ProofTest, AGrantEventWithAnExpiryPastItsDurationIsNamed) {
  approve("UA", 1, 1, true);
  row.state = State::granting;
  row.expires_at = kT + Seconds{120} + std::chrono::days{365};
  add("begin_grant", "system:engine", "approved", "granting", facts::of_begin_grant(row), kT + Seconds{120});
  EXPECT_THAT(refusal(), HasSubstr("later than its time plus the 3600 s asked for"));
}

// Issue 15: under a policy whose role has step_up, an approval counts only with its proof in the
// event; the chain still explains the row (a policy question, as for too few approvals).
TEST_F(ProofTest, ApprovalsWithoutAStepUpDoNotCountForAStepUpRole) {
  approve("UA", 1, 2, false, StepUpProof{.credential_id = "cred-A", .assertion_sha256 = "ab12"});
  approve("UB", 2, 2, true);
  Policy stepped = policy(2);
  stepped.accounts[0].roles[0].step_up = true;
  const auto exam = examine_request(row, events, Keyring::unkeyed(), &stepped);
  EXPECT_EQ(exam.proof.stepped_up, std::vector<std::string>{"UA"});
  ASSERT_EQ(exam.mismatches.size(), 1u);
  EXPECT_EQ(exam.mismatches[0].field, "approvals");
  EXPECT_TRUE(exam.mismatches[0].policy);
  EXPECT_EQ(step_up_shortfall(exam.proof, stepped.accounts[0].roles[0]),
            "role admin needs each approval made with a security key (step_up), but only 1 of the 2 approvals "
            "needed were (the others were recorded without one: step-up was turned on after the click, or the store "
            "was written to directly)");
  EXPECT_THAT(refusal(stepped), HasSubstr("only 1 of the 2 approvals needed were"));
  // Without step_up in policy, the same chain proves the row.
  const Policy plain = policy(2);
  EXPECT_TRUE(prove_request(row, events, Keyring::unkeyed(), plain));
  EXPECT_EQ(step_up_shortfall(exam.proof, plain.accounts[0].roles[0]), "");
}

TEST_F(ProofTest, ApprovalsAllWithAStepUpProveAStepUpRole) {
  approve("UA", 1, 1, true, StepUpProof{.credential_id = "cred-A", .assertion_sha256 = "ab12"});
  Policy stepped = policy(1);
  stepped.accounts[0].roles[0].step_up = true;
  EXPECT_TRUE(prove_request(row, events, Keyring::unkeyed(), stepped));
}

// Issue 17: an escalation is proven by its `escalated` event; approvals after it are named (the
// engine counts an escalation approver only among them, and only when the event named them).
TEST_F(ProofTest, AnEscalationIsProvenByItsEventAndOrdersTheApprovals) {
  approve("UA", 1, 2, false);
  row.escalated_at = kT + Seconds{90};
  add("escalated", "system:sweeper", "pending", "pending", facts::of_nudge({"SLEADS", "UBOSS"}, "CESC", kT + Seconds{90}),
      kT + Seconds{90});
  row.decisions.push_back({"UBOSS", true, "", kT + Seconds{100}});
  add("approve", "UBOSS", "pending", "approved", facts::of_decision(row.decisions.back(), 2, 2), kT + Seconds{100});
  row.state = State::approved;
  auto proven = prove_request(row, events, Keyring::unkeyed(), policy(2));
  ASSERT_TRUE(proven) << proven.error().message;
  EXPECT_EQ(proven->escalated_to, (std::vector<std::string>{"SLEADS", "UBOSS"}));
  EXPECT_EQ(proven->approved_after_escalation, (std::vector<std::string>{"UBOSS"}));
}

TEST_F(ProofTest, AnEscalationOnTheRowAloneIsRefused) {
  row.escalated_at = kT + Seconds{30};  // edited in the store: no escalated event
  approve("UBOSS", 1, 1, true);
  EXPECT_THAT(refusal(), HasSubstr("escalated_at: the row says"));
  EXPECT_THAT(refusal(), HasSubstr("no escalated event"));
  const auto exam = examine_request(row, events, Keyring::unkeyed(), nullptr);
  EXPECT_TRUE(exam.proof.escalated_to.empty());
  EXPECT_TRUE(exam.proof.approved_after_escalation.empty());
  // And an escalated event the row does not show (or at another second) is named too.
  row.escalated_at.reset();
  add("escalated", "system:sweeper", "pending", "pending", facts::of_nudge({"SLEADS"}, "", kT + Seconds{40}),
      kT + Seconds{40});
  EXPECT_THAT(problems(nullptr), ::testing::Contains(HasSubstr("escalated_at: the row says (not escalated)")));
  row.escalated_at = kT + Seconds{41};
  EXPECT_THAT(problems(nullptr), ::testing::Contains(HasSubstr("escalated_at")));
  row.escalated_at = kT + Seconds{40};
  EXPECT_TRUE(problems(nullptr).empty());
}

}  // namespace
}  // namespace jit::audit
