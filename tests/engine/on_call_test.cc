// On-call auto-approval (issue 17): the requester on call on the role's PagerDuty schedule is
// approved by the service; anyone else, and any request PagerDuty does not answer for, waits for
// people; never a grant a person's approval would have refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/facts.h"
#include "audit/proof.h"
#include "engine_fixture.h"
#include "fakes/fake_on_call.h"

namespace jit::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kOnCallPs = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-oncall";
constexpr char kSchedule[] = "PSCHED1";

// prod's "fix" role: high tier, approved when the requester is on call on `schedule`, else by one
// of prod's approvers; for U0DEV and the S0DEVS group, up to 4h.
std::shared_ptr<Config> on_call_config(const std::string& schedule = kSchedule) {
  auto c = test_config();
  RolePolicy fix{.name = "fix", .permission_set_arn = kOnCallPs, .max_duration = std::chrono::hours{4},
                 .tier = Tier::high, .approvals_required = 1, .requesters = {"U0DEV", "S0DEVS"},
                 .on_call_schedule = schedule};
  c->policy.accounts[0].roles.push_back(fix);
  return c;
}

class OnCallTest : public EngineTest {
 protected:
  OnCallTest() {
    config = on_call_config();
    engine = make_on_call_engine();
  }
  std::unique_ptr<Engine> make_on_call_engine(OnCall* port = nullptr, const std::string& instance = "i-1") {
    EngineOptions o;
    o.instance_id = instance;
    o.lease = Seconds{60};
    o.on_call = port ? port : &on_call;
    return std::make_unique<Engine>(config, store, provider, chat, directory, clock, o);
  }
  Result<AccessRequest> ask(const std::string& requester = "U0DEV", const std::string& duration = "1h") {
    return engine->submit({requester, "prod", "fix", duration, "INC-7: the queue is stuck", ""});
  }
  std::string owner_channel_text() {
    std::string out;
    for (const auto& line : chat.transcript())
      if (line.channel == "C0PROD") out += line.text + "\n";
    return out;
  }
  std::vector<AuditEvent> events_of(const std::string& id, const std::string& action) {
    std::vector<AuditEvent> out;
    const auto events = store.audit_events({.request_id = id}).value();
    for (const auto& e : events)
      if (e.action == action) out.push_back(e);
    return out;
  }
  // The request waits for people, nothing granted, and an on_call_checked event says `answer`.
  void expect_waits_for_people(const AccessRequest& r, const std::string& answer) {
    EXPECT_EQ(r.state, State::pending);
    EXPECT_TRUE(r.decisions.empty());
    EXPECT_TRUE(provider.assignments().empty());
    const auto checked = events_of(r.id, "on_call_checked");
    ASSERT_EQ(checked.size(), 1u);
    const auto facts = audit::facts::read(checked[0]).value();
    EXPECT_EQ(facts.value("schedule", ""), kSchedule);
    EXPECT_EQ(facts.value("answer", ""), answer);
    EXPECT_TRUE(events_of(r.id, "approve").empty());
  }

  FakeOnCall on_call;
};

TEST_F(OnCallTest, TheRequesterOnCallIsApprovedAndGrantedWithTheScheduleInTheTrail) {
  on_call.set_on_call(kSchedule, {{"PBOB001", "bob@example.com"}, {"PDEV001", "U0Dev@Example.com"}});
  auto r = ask();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->state, State::active);
  EXPECT_EQ(provider.assignments().size(), 1u);
  ASSERT_EQ(r->decisions.size(), 1u);
  EXPECT_EQ(r->decisions[0].approver, kAutoApprover);
  EXPECT_EQ(r->decisions[0].reason, "on call on PagerDuty schedule PSCHED1");  // Slack: "auto-approval (...)"
  // PagerDuty was asked once, about this schedule, this e-mail, at this moment.
  const auto asked = on_call.questions();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].schedule, kSchedule);
  EXPECT_EQ(asked[0].email, "u0dev@example.com");
  EXPECT_EQ(asked[0].at, kStart);
  // Posted first, approved by the machine with PagerDuty's answer in the facts.
  const auto actions = actions_of(r->id);
  ASSERT_GE(actions.size(), 4u);
  EXPECT_THAT(std::vector<std::string>(actions.begin(), actions.begin() + 4),
              ElementsAre("submit", "posted", "approve", "begin_grant"));
  const auto approve = events_of(r->id, "approve");
  ASSERT_EQ(approve.size(), 1u);
  EXPECT_EQ(approve[0].actor, kAutoApprover);
  EXPECT_THAT(approve[0].detail, HasSubstr("is on call on PagerDuty schedule PSCHED1 (PagerDuty user PDEV001)"));
  const auto facts = audit::facts::read(approve[0]).value();
  const auto proof = audit::facts::on_call_of(facts);
  ASSERT_TRUE(proof);
  EXPECT_EQ(proof->schedule, kSchedule);
  EXPECT_EQ(proof->pagerduty_user, "PDEV001");
  EXPECT_EQ(proof->email, "U0Dev@Example.com");
  EXPECT_THAT(owner_channel_text(), HasSubstr(r->id + " is now approved (auto-approved: U0Dev@Example.com is on call"));
  EXPECT_THAT(chat.notices_for("U0DEV"), ElementsAre(Notice::approved, Notice::active));
  EXPECT_TRUE(events_of(r->id, "on_call_checked").empty());
  expect_audit_ok();
  auto proven = audit::prove_request(read(r->id), store.audit_events({}).value(), audit::Keyring::unkeyed(),
                                     config->policy);
  ASSERT_TRUE(proven) << proven.error().message;
  EXPECT_EQ(proven->on_call_schedule, kSchedule);
}

TEST_F(OnCallTest, SomeoneNotOnCallWaitsForPeopleAndIsToldWhy) {
  on_call.set_on_call(kSchedule, {{"PBOB001", "bob@example.com"}});
  on_call.set_on_call("POTHER1", {{"PDEV001", "u0dev@example.com"}});  // on call elsewhere: no matter
  auto r = ask();
  ASSERT_TRUE(r) << r.error().message;
  expect_waits_for_people(*r, "not_on_call");
  EXPECT_THAT(chat.notices_for("U0DEV"), ElementsAre(Notice::submitted));
  EXPECT_THAT(owner_channel_text(),
              HasSubstr("u0dev@example.com is not on call on PagerDuty schedule PSCHED1: an approver decides"));
  // A person approves as for any role.
  auto approved = engine->approve(r->id, "U0ALICE");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::active);
  expect_audit_ok();
}

// Every way PagerDuty can fail to answer leaves the request to people, never approves it, says so
// in the owner channel; the sweeper does not ask again behind their backs, and a person's approval
// grants it.
TEST_F(OnCallTest, NoAnswerFromPagerDutyMeansHumanApprovalNeverApproval) {
  on_call.set_on_call(kSchedule, {{"PDEV001", "u0dev@example.com"}});  // would be on call
  for (const auto& [error, answer] : std::vector<std::pair<Error, std::string>>{
           {Error::Unavailable("PagerDuty GET /oncalls: timed out after 5s"), "unavailable"},
           {Error::Denied("PagerDuty refused the token (HTTP 401)"), "denied"},
           {Error::NotFound("PagerDuty has no schedule PSCHED1"), "not_found"},
           {Error::Unavailable("PagerDuty answered a body that is not JSON"), "unavailable"}}) {
    SCOPED_TRACE(error.message);
    on_call.fail_with(error);
    chat.take_new();
    auto r = ask();
    ASSERT_TRUE(r) << r.error().message;
    expect_waits_for_people(*r, answer);
    std::string said;
    for (const auto& line : chat.take_new()) said += line.text + "\n";
    EXPECT_THAT(said, HasSubstr("PagerDuty did not answer whether u0dev@example.com is on call on schedule PSCHED1 (" +
                                error.message + "): human approval needed"));
    on_call.fail_with(std::nullopt);
    const auto asked = on_call.questions().size();
    clock.advance(std::chrono::seconds(30));
    EXPECT_EQ(engine->sweep().auto_approved, 0);
    EXPECT_EQ(read(r->id).state, State::pending);
    EXPECT_EQ(on_call.questions().size(), asked);
    auto approved = engine->approve(r->id, "U0BOB");
    ASSERT_TRUE(approved) << approved.error().message;
    EXPECT_EQ(approved->state, State::active);
    EXPECT_EQ(provider.assignments().size(), 1u);
    ASSERT_TRUE(engine->release(r->id, "U0DEV"));
    engine->sweep();
    ASSERT_TRUE(provider.assignments().empty());
  }
  expect_audit_ok();
}

TEST_F(OnCallTest, WithoutPagerDutySetUpTheRequestWaitsForPeople) {
  EngineOptions o;
  o.instance_id = "i-1";
  o.lease = Seconds{60};
  engine = std::make_unique<Engine>(config, store, provider, chat, directory, clock, o);  // no on_call
  auto r = ask();
  ASSERT_TRUE(r) << r.error().message;
  expect_waits_for_people(*r, "unavailable");
  EXPECT_THAT(owner_channel_text(), HasSubstr("PagerDuty is not set up in this service"));
}

// PagerDuty answering "on call" for someone else's e-mail approves nothing.
TEST_F(OnCallTest, AnAnswerNamingSomeoneElseApprovesNothing) {
  on_call.answer_with(OnCallAnswer{true, "PEVE001", "eve@example.com"});
  auto r = ask();
  ASSERT_TRUE(r) << r.error().message;
  expect_waits_for_people(*r, "not_on_call");
}

// Who may ask, the duration and the requester's standing are checked before PagerDuty is asked.
TEST_F(OnCallTest, TheRequestRulesComeFirst) {
  on_call.set_on_call(kSchedule, {{"PEVE001", "u0eve@example.com"}, {"PDEV001", "u0dev@example.com"}});
  auto eve = ask("U0EVE");
  ASSERT_FALSE(eve);
  EXPECT_THAT(eve.error().message, HasSubstr("may not request"));
  auto long_one = ask("U0DEV", "5h");
  ASSERT_FALSE(long_one);
  EXPECT_THAT(long_one.error().message, HasSubstr("longer than the maximum 4h"));
  directory.set_profile("U0DEV", {.user_id = "U0DEV", .email = "u0dev@example.com", .email_confirmed = true,
                                  .multi_channel_guest = true, .team_id = MemoryDirectory::kTeam});
  auto guest = ask();
  ASSERT_FALSE(guest);
  EXPECT_THAT(guest.error().message, HasSubstr("guest"));
  EXPECT_TRUE(on_call.questions().empty());
  EXPECT_TRUE(store.list_requests({}).value().empty());
  EXPECT_TRUE(provider.assignments().empty());
}

// On call, but the requester's Slack account became a guest between the post and PagerDuty's
// answer: the approval's own checks refuse it, and it waits for people.
TEST_F(OnCallTest, TheApprovalsOwnChecksStillRun) {
  on_call.set_on_call(kSchedule, {{"PDEV001", "u0dev@example.com"}});
  chat.after_next_post([&] {
    directory.set_profile("U0DEV", {.user_id = "U0DEV", .email = "u0dev@example.com", .email_confirmed = true,
                                    .multi_channel_guest = true, .team_id = MemoryDirectory::kTeam});
  });
  auto r = ask();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->state, State::pending);
  EXPECT_TRUE(provider.assignments().empty());
  EXPECT_EQ(on_call.questions().size(), 1u);
}

// The machine's approval stands only while policy names the schedule PagerDuty was asked about: a
// reload that changes it before the grant fails the grant, and the proof of a granted one says so.
TEST_F(OnCallTest, TheApprovalStandsOnlyWhilePolicyNamesThatSchedule) {
  on_call.set_on_call(kSchedule, {{"PDEV001", "u0dev@example.com"}});
  // The grant cannot start at once (AWS not answering who the requester is), so the request
  // stays approved; meanwhile a reload moves the role to another schedule.
  chat.after_next_post([&] {
    provider.fail_next(MemoryAccessProvider::Op::resolve, 1, Error::Unavailable("Identity Store down"));
  });
  auto r = ask();
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(read(r->id).state, State::approved);
  engine->set_config(on_call_config("PSCHED2"));
  clock.advance(std::chrono::seconds(11));
  engine->sweep();  // resumes the approved request
  const auto retried = read(r->id);
  EXPECT_EQ(retried.state, State::failed);
  EXPECT_THAT(retried.end_reason, HasSubstr("auto-approved as on call on PagerDuty schedule PSCHED1, but policy no "
                                             "longer names that schedule for role fix"));
  EXPECT_TRUE(provider.assignments().empty());

  // A granted one: its proof holds under the same schedule only.
  config = on_call_config();
  engine = make_on_call_engine();
  auto granted = engine->submit({"U0DEV", "prod", "fix", "1h", "INC-8", ""});
  ASSERT_TRUE(granted) << granted.error().message;
  ASSERT_EQ(granted->state, State::active);
  const auto events = store.audit_events({.request_id = granted->id}).value();
  const auto row = read(granted->id);
  EXPECT_TRUE(audit::prove_request(row, events, audit::Keyring::unkeyed(), on_call_config()->policy));
  for (const auto& other : {std::string("PSCHED2"), std::string()}) {
    auto proven = audit::prove_request(row, events, audit::Keyring::unkeyed(), on_call_config(other)->policy);
    ASSERT_FALSE(proven) << other;
    EXPECT_THAT(proven.error().message, HasSubstr("no longer names that schedule"));
  }
}

// Two instances handling the same request: PagerDuty may be asked twice, the approval and the grant
// happen once.
TEST_F(OnCallTest, TwoInstancesApproveOnce) {
  on_call.set_on_call(kSchedule, {{"PDEV001", "u0dev@example.com"}});
  chat.fail_next(1);  // unposted: on-call is asked only once it is posted
  auto r = ask();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->state, State::pending);
  EXPECT_TRUE(on_call.questions().empty());
  auto other = make_on_call_engine(nullptr, "i-2");
  ASSERT_TRUE(engine->auto_approve(r->id));
  ASSERT_TRUE(other->auto_approve(r->id));
  EXPECT_EQ(read(r->id).state, State::active);
  EXPECT_EQ(read(r->id).decisions.size(), 1u);
  EXPECT_EQ(provider.assignments().size(), 1u);
  EXPECT_EQ(events_of(r->id, "approve").size(), 1u);
}

}  // namespace
}  // namespace jit::testing
