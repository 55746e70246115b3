// What the people running JIT Access (or its surroundings) get wrong (issue 12): access held
// outside JIT Access before the grant, an approver user group disabled in Slack, and a lease too
// short for one AWS call. See README.md.
#include <gmock/gmock.h>

#include <fmt/format.h>

#include <fstream>
#include <iterator>

#include "adversarial/adversary.h"
#include "app/aws_services.h"
#include "platform/child_process.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

class Operations : public AdversarialTest {
 protected:
  // Ops-channel messages containing `text`.
  int ops_alerts(const std::string& text) {
    int n = 0;
    for (const auto& m : slack().messages(kOpsChannel)) n += m.value("text", "").find(text) != std::string::npos;
    return n;
  }
};

// An administrator gave the requester the role directly in Identity Center before the approval.
// JIT Access must not take that standing access over (and revoke it at expiry): the grant fails
// "already holds", the ops channel hears of it, and the assignment is still there afterwards.
TEST_F(Operations, AssignmentHeldOutsideJitAccessIsNotTakenOver) {
  const std::string requester = fresh_person(), approver = fresh_person();
  const std::string id = submit(requester, "prod admin 1h standing already");
  ASSERT_FALSE(id.empty());
  const AccessRequest r = stored(id);
  ASSERT_FALSE(r.principal.empty());
  SystemClock clock;
  auto aws = AwsServices::create({.region = demo::kAwsRegion}, clock);  // the World's environment: the emulator
  ASSERT_TRUE(aws) << aws.error().message;
  auto created = (*aws)->sso_admin().call("CreateAccountAssignment", {{"InstanceArn", demo::kInstanceArn},
                                                                      {"TargetId", r.account_id},
                                                                      {"TargetType", "AWS_ACCOUNT"},
                                                                      {"PermissionSetArn", r.permission_set_arn},
                                                                      {"PrincipalType", "USER"},
                                                                      {"PrincipalId", r.principal}});
  ASSERT_TRUE(created) << created.error().message;
  auto held = [&] {  // provisioned (not in progress) for the requester
    return world().aws().assignments()["assignments"].dump().find(r.principal) != std::string::npos;
  };
  ASSERT_TRUE(World::poll(held, std::chrono::seconds(10))) << world().aws().assignments().dump();
  const json deletes_before = world().aws().calls()["operations"].value("sso-admin:DeleteAccountAssignment", json::object());

  ASSERT_TRUE(click(approver, id, slack::kApproveAction));
  ASSERT_TRUE(world().wait_state(id, State::failed)) << world().log(0);
  EXPECT_THAT(stored(id).end_reason, HasSubstr("already holds role admin on account prod outside JIT Access"));
  EXPECT_EQ(audit_count(id, "begin_grant"), 0);
  EXPECT_TRUE(held()) << "the standing assignment was taken away";
  EXPECT_EQ(world().aws().calls()["operations"].value("sso-admin:DeleteAccountAssignment", json::object()), deletes_before);
  EXPECT_TRUE(slack().wait_for([&](const auto&) { return ops_alerts("Standing access found") > 0; },
                               std::chrono::seconds(10)));
}

// S0LEADS (an approver group of prod) is disabled in Slack: alice's approval still works, bob's
// (an approver only through the group) is refused, and the ops channel hears about the group.
TEST_F(Operations, DisabledApproverGroupDoesNotBlockOtherApprovals) {
  ASSERT_TRUE(own_world({}));
  ASSERT_TRUE(slack().set_usergroup_enabled(demo::kLeads, false));
  const std::string id = submit(kDana, "prod admin 1h group off");
  ASSERT_FALSE(id.empty());
  const Mark before_bob = mark(kBob);
  ASSERT_TRUE(click(kBob, id, slack::kApproveAction));
  EXPECT_TRUE(reply_after(before_bob, "not an approver")) << "bob approves only through the disabled group";
  EXPECT_EQ(stored(id).state, State::pending);
  ASSERT_TRUE(click(kAlice, id, slack::kApproveAction));
  ASSERT_TRUE(world().wait_state(id, State::active)) << world().log(0);
  EXPECT_EQ(world().assignment_count(), 1u);
  ASSERT_TRUE(slack().wait_for([&](const auto&) { return ops_alerts(demo::kLeads) > 0; }, std::chrono::seconds(10)));
  EXPECT_THAT(slack().messages(kOpsChannel).dump(), HasSubstr("no longer knows"));
}

// A second `jit serve` on the same store with --lease 2s while [aws].call_timeout is 2s: another
// instance could take over a grant still running. It refuses to start, exit 2, naming the lease.
TEST_F(Operations, LeaseShorterThanTheCallTimeoutRefusesToStart) {
  const int connected = slack().connections_opened();
  const std::string log = world().policy_path() + ".short-lease.log";
  ChildOptions options{.env = demo::serve_environment(slack().api_url(), world().aws().url()), .output_file = log};
  auto process = ChildProcess::spawn({JIT_BINARY, "serve", "--config", world().policy_path(), "--store",
                                      world().store_url(), "--instance-id", "i-short", "--lease", "2s",
                                      "--ops-address", "127.0.0.1:0"},
                                     options);
  ASSERT_TRUE(process) << process.error().message;
  const auto status = (*process)->wait_exit(std::chrono::seconds(20));
  ASSERT_TRUE(status) << "still running with a 2s lease";
  std::ifstream in(log);
  const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(ChildProcess::exit_code(*status), 2) << out;
  EXPECT_THAT(out, HasSubstr("--lease 2s is too short"));
  EXPECT_THAT(out, HasSubstr("use --lease 3s or more"));
  EXPECT_EQ(slack().connections_opened(), connected) << "it connected to Slack before refusing";
}

}  // namespace
}  // namespace jit::testing
