// Attacks on on-call auto-approval (issue 17): the service approves a request by itself only when
// PagerDuty, asked about the role's schedule at that moment, names the requester's own e-mail. A
// role "ops" on sandbox names schedule PSANDBOX1, for dana and eve. Safe outcome: PagerDuty naming
// someone else, a lookalike address, an answer too large or not PagerDuty's, an answer that never
// comes, and a schedule id built to smuggle parameters into the query all leave the request to
// people (or are refused by the loader); nothing is granted without a person's approval.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include "adversarial/adversary.h"
#include "core/load_errors.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using test::replaced;

constexpr char kSchedule[] = "PSANDBOX1";

const std::string kOps = fmt::format(R"toml(
  [[accounts.roles]]
  name = "ops"
  permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000004"
  max_duration = "1h"
  requesters = ["{}", "{}"]
  approvals_required = 1
  auto_approve_if_on_call = "{}"
)toml",
                                     kDana, kEve, kSchedule);

class OnCallAttack : public AdversarialTest {
 protected:
  void SetUp() override { ASSERT_TRUE(own_world({.policy_tail = kOps, .pagerduty = true, .pagerduty_timeout = "1s"})); }
  // dana asks; the request's id once PagerDuty's answer (or its absence) is recorded.
  std::string ask_and_wait_for_the_answer(const std::string& user = kDana) {
    const std::string id = submit(user, "sandbox ops 30m INC-9 look at the queue");
    EXPECT_TRUE(World::poll([&] { return audit_count(id, "on_call_checked") + audit_count(id, "approve") > 0; },
                            std::chrono::seconds(15)))
        << world().log(0);
    return id;
  }
  // The request waits for people: pending, no approval, no grant.
  void expect_waits(const std::string& id) {
    EXPECT_EQ(stored(id).state, State::pending);
    EXPECT_EQ(audit_count(id, "approve"), 0);
    EXPECT_EQ(grants_made(), 0);
  }
  void cancel(const std::string& user, const std::string& id) { command(user, "cancel " + id); }
};

TEST_F(OnCallAttack, PagerDutyNamingSomeoneElseApprovesNothing) {
  auto& pd = world().pagerduty();
  // eve on call, dana asks.
  pd.set_on_call(kSchedule, {{pagerduty_user_id(kEve)}});
  std::string id = ask_and_wait_for_the_answer();
  expect_waits(id);
  EXPECT_EQ(audit_count(id, "on_call_checked"), 1);
  cancel(kDana, id);
  // A PagerDuty user with dana's name and a lookalike address, on call.
  pd.add_user({"PEVIL01", "dana", "dana@example.com.evil.test"});
  pd.add_user({"PEVIL02", "dana", "dana+oncall@example.com"});
  pd.set_on_call(kSchedule, {{"PEVIL01"}, {"PEVIL02"}});
  id = ask_and_wait_for_the_answer();
  expect_waits(id);
  cancel(kDana, id);
  // dana on call, but on another schedule.
  pd.set_on_call(kSchedule, {});
  pd.set_on_call("POTHER1", {{pagerduty_user_id(kDana)}});
  id = ask_and_wait_for_the_answer();
  expect_waits(id);
  // A person still decides: alice's approval grants it.
  ASSERT_TRUE(click(kAlice, id, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(world().wait_state(id, State::active)) << world().log(0);
  EXPECT_EQ(stored(id).decisions.at(0).approver, kAlice);
}

TEST_F(OnCallAttack, AnswersTooLargeNotPagerDutysOrNeverComingApproveNothing) {
  world().pagerduty().set_on_call(kSchedule, {{pagerduty_user_id(kDana)}});
  for (const auto& fault : {emulators::PagerDutyFault{.kind = emulators::PagerDutyFault::Kind::oversized},
                            emulators::PagerDutyFault{.kind = emulators::PagerDutyFault::Kind::garbage},
                            emulators::PagerDutyFault{.kind = emulators::PagerDutyFault::Kind::hang,
                                                      .hang = std::chrono::milliseconds(2500)},
                            emulators::PagerDutyFault{.kind = emulators::PagerDutyFault::Kind::status, .status = 401}}) {
    SCOPED_TRACE(static_cast<int>(fault.kind));
    world().pagerduty().set_fault(fault);
    const std::string id = ask_and_wait_for_the_answer();
    expect_waits(id);
    EXPECT_TRUE(slack().wait_for(
        [&](const emulators::SlackEmulator& s) {
          return s.messages(demo::kSandbox).dump().find("human approval needed") != std::string::npos;
        },
        std::chrono::seconds(5)));
    cancel(kDana, id);
  }
  // Answering again: dana on call is approved by the service.
  world().pagerduty().set_fault({});
  const std::string id = ask_and_wait_for_the_answer();
  ASSERT_TRUE(world().wait_state(id, State::active)) << world().log(0);
  EXPECT_EQ(stored(id).decisions.at(0).approver, kAutoApprover);
  EXPECT_EQ(grants_made(), 1);
}

TEST_F(OnCallAttack, AScheduleIdThatSmugglesParametersIsRefusedByTheLoader) {
  // A reload whose schedule id would add a schedule (or an offset) to the query is rejected, and
  // the running policy stays.
  const std::string running = world().policy_text();
  for (const char* smuggled : {"PSANDBOX1&schedule_ids[]=POTHER1", "PSANDBOX1%26schedule_ids%5B%5D%3DPOTHER1",
                               "PSANDBOX1\\nX-Evil: 1", "../users/PDU0DANA"}) {
    EXPECT_FALSE(world().rewrite_policy(
        replaced(running, fmt::format("\"{}\"", kSchedule), fmt::format("\"{}\"", smuggled))))
        << smuggled;
  }
  EXPECT_THAT(world().log(0), HasSubstr("expected a PagerDuty schedule id"));
  ASSERT_TRUE(world().rewrite_policy(running)) << world().log(0);
  // dana on call on the other schedule only: nothing; and the running schedule is what is asked.
  world().pagerduty().set_on_call("POTHER1", {{pagerduty_user_id(kDana)}});
  const std::string id = ask_and_wait_for_the_answer();
  expect_waits(id);
  for (const auto& r : world().pagerduty().requests())
    EXPECT_THAT(r["target"].get<std::string>(), Not(HasSubstr("POTHER1")));
}

TEST_F(OnCallAttack, OnCallIsNoPassForSomeoneTheRoleDoesNotName) {
  // alice on call, but the role is for dana and eve only: refused at submit, PagerDuty never asked.
  world().pagerduty().set_on_call(kSchedule, {{pagerduty_user_id(kAlice)}});
  EXPECT_THAT(command(kAlice, "request sandbox ops 30m INC-9 look"), HasSubstr("may not request"));
  EXPECT_TRUE(world().pagerduty().requests().empty());
  // dana on call, past the role's limit: refused the same.
  world().pagerduty().set_on_call(kSchedule, {{pagerduty_user_id(kDana)}});
  EXPECT_THAT(command(kDana, "request sandbox ops 2h INC-9 look"), HasSubstr("longer than the maximum"));
  EXPECT_TRUE(world().pagerduty().requests().empty());
  EXPECT_EQ(grants_made(), 0);
}

}  // namespace
}  // namespace jit::testing
