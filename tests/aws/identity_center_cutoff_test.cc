// IdentityCenterProvider's session cut-off and scheduled revoke against scripted fakes of sso-admin
// and EventBridge Scheduler (every request checked against the official models): the
// read-modify-write with prune, clamp and the size check, provisioning and its polling, the
// re-read belt, the per-permission-set lock across instances, the session duration cache, and
// the schedule's request, idempotency and cancellation.
#include "aws/identity_center.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "aws/cutoff_policy.h"
#include "fakes/manual_clock.h"
#include "fakes/memory_locks.h"
#include "scripted_api.h"
#include "support/aws_model_check.h"

namespace jit::aws {
namespace {
namespace identity_center_cutoff_test {  // its own names: the unity build compiles it beside other files

using namespace std::chrono_literals;
using json = nlohmann::json;
using testing::ScriptedApi;
using namespace testing::ids;

constexpr char kRole[] = "arn:aws:iam::111122223333:role/jit-access-scheduler";
constexpr char kAdmin[] =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"AdminS3","Effect":"Allow","Action":"s3:*","Resource":"*"}]})";

json provisioning(std::string_view state, std::string reason = "") {
  json s = {{"Status", state}, {"RequestId", kRequestId}, {"AccountId", kAccount}, {"PermissionSetArn", kPermissionSet}};
  if (!reason.empty()) s["FailureReason"] = reason;
  return {{"PermissionSetProvisioningStatus", s}};
}
json described(std::string duration) {
  return {{"PermissionSet", {{"Name", "Admin"}, {"PermissionSetArn", kPermissionSet}, {"SessionDuration", duration}}}};
}
json inline_policy(const std::string& text) { return {{"InlinePolicy", text}}; }
AwsError aws_error(int status, std::string code, std::string message = "") {
  return AwsError{status, std::move(code), std::move(message), json::object(), false};
}

class CutoffTest : public ::testing::Test {
 protected:
  IdentityCenterProvider& provider(Locks* locks = nullptr, IdentityCenterOptions options = {.poll_jitter = 0}) {
    IdentityCenterConfig config{kInstance, kStore, options};
    config.schedule.role_arn = kRole;
    config.locks = locks;
    config.lock_owner = "instance-a";
    provider_ = std::make_unique<IdentityCenterProvider>(config, sso_, identitystore_, clock_, &scheduler_);
    return *provider_;
  }
  SessionCutoff cutoff(std::string grant, TimePoint cut_at) const {
    return {std::move(grant), {kUser, kAccount, kPermissionSet}, cut_at, cut_at + 120s};
  }
  // The document the provider should write: `base` with `cutoffs` merged in.
  static std::string merged(std::string_view base, const std::vector<SessionCutoff>& cutoffs) {
    auto p = cutoff::parse_policy(base);
    for (const auto& c : cutoffs) cutoff::merge(*p, cutoff::statement_of(c));
    return cutoff::render(*p);
  }
  std::vector<std::string> operations() const {
    std::vector<std::string> out;
    for (const auto& [op, input] : sso_.calls()) out.push_back(op);
    return out;
  }
  void TearDown() override {
    EXPECT_EQ(sso_.left(), 0u) << "sso-admin script not used up";
    EXPECT_EQ(scheduler_.left(), 0u) << "scheduler script not used up";
  }

  ScriptedApi sso_{"sso-admin/2020-07-20"};
  ScriptedApi identitystore_{"identitystore/2020-06-15"};
  ScriptedApi scheduler_{"scheduler/2021-06-30"};
  ManualClock clock_{*parse_time("2026-12-03T15:00:00Z")};
  std::unique_ptr<IdentityCenterProvider> provider_;
};

TEST_F(CutoffTest, ArmPrunesMergesWritesProvisionsAndChecks) {
  const TimePoint now = clock_.now();
  const auto old = cutoff("rold", now - 2h);  // sessions_before now-1h58m + PT1H: pruned
  const auto armed = cutoff("rab3k7mnp", now + 1h);
  const std::string before = merged(kAdmin, {old});
  const std::string after = merged(kAdmin, {armed});
  sso_.then("DescribePermissionSet", described("PT1H"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(before));
  sso_.then("PutInlinePolicyToPermissionSet", json::object());
  sso_.then("ProvisionPermissionSet", provisioning("IN_PROGRESS"));
  sso_.then("DescribePermissionSetProvisioningStatus", provisioning("IN_PROGRESS"));
  sso_.then("DescribePermissionSetProvisioningStatus", provisioning("SUCCEEDED"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(after));

  auto r = provider().arm_cutoff(armed);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->statements, 1);
  EXPECT_EQ(r->pruned, 1);
  EXPECT_EQ(r->size, cutoff::policy_size(after));
  EXPECT_EQ(r->size_limit, 10'240);
  EXPECT_EQ(r->provisioning, 1500ms) << "polls at 100 ms and 1400 ms on the manual clock";
  const auto calls = sso_.calls();
  EXPECT_EQ(calls[2].second["InlinePolicy"], after) << "the admin's statement kept, the stale one pruned";
  EXPECT_EQ(calls[3].second, (json{{"InstanceArn", kInstance}, {"PermissionSetArn", kPermissionSet},
                                   {"TargetType", "AWS_ACCOUNT"}, {"TargetId", kAccount}}));
  EXPECT_EQ(calls[4].second, (json{{"InstanceArn", kInstance}, {"ProvisionPermissionSetRequestId", kRequestId}}));
}

TEST_F(CutoffTest, AnUnchangedPolicyIsProvisionedButNotWritten) {
  const auto armed = cutoff("rab3k7mnp", clock_.now() + 1h);
  const std::string doc = merged("", {armed});
  sso_.then("DescribePermissionSet", described("PT1H"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(doc));
  sso_.then("ProvisionPermissionSet", provisioning("SUCCEEDED"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(doc));
  auto r = provider().arm_cutoff(armed);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->provisioning, 0ms);
}

TEST_F(CutoffTest, ArmingClampsThePreviousGrantOfTheSameUserAndAccount) {
  const TimePoint now = clock_.now();
  const auto previous = cutoff("rprev", now - 30s);  // cutting since 30 s, sessions before now+90s
  const auto armed = cutoff("rnext", now + 1h);
  auto clamped = previous;
  clamped.sessions_before = now;
  const std::string expected = merged("", {clamped, armed});
  sso_.then("DescribePermissionSet", described("PT1H"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(merged("", {previous})));
  sso_.then("PutInlinePolicyToPermissionSet", json::object());
  sso_.then("ProvisionPermissionSet", provisioning("SUCCEEDED"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(expected));
  auto r = provider().arm_cutoff(armed);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(sso_.calls()[2].second["InlinePolicy"], expected);
  EXPECT_EQ(r->statements, 2);
}

TEST_F(CutoffTest, AFullPolicyIsDeniedNamingItsLiveCutoffs) {
  const TimePoint now = clock_.now();
  std::vector<SessionCutoff> live;
  for (int i = 0; i < 31; ++i) live.push_back(cutoff(fmt::format("r{:08d}", i), now + Seconds(60 * i)));
  sso_.then("DescribePermissionSet", described("PT1H"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(merged("", live)));
  auto r = provider().arm_cutoff(cutoff("rab3k7mnp", now + 1h));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_NE(r.error().message.find(kPermissionSet), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("has 31 live session cut-offs"), std::string::npos) << r.error().message;
  // The earliest: sessions before now+2m, PT1H, pruned one second after.
  EXPECT_NE(r.error().message.find("next frees at " + format_time(now + 2min + 1h + 1s)), std::string::npos)
      << r.error().message;
}

TEST_F(CutoffTest, AnUnreadablePolicyIsInvalidAndNeverRewritten) {
  sso_.then("DescribePermissionSet", described("PT1H"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy("{not json"));
  auto r = provider().arm_cutoff(cutoff("rab3k7mnp", clock_.now() + 1h));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_EQ(operations(), (std::vector<std::string>{"DescribePermissionSet", "GetInlinePolicyForPermissionSet"}));
}

TEST_F(CutoffTest, AStatementMissingAfterProvisioningIsWrittenAgain) {
  const auto armed = cutoff("rab3k7mnp", clock_.now() + 1h);
  const std::string ours = merged(kAdmin, {armed});
  sso_.then("DescribePermissionSet", described("PT1H"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(kAdmin));
  sso_.then("PutInlinePolicyToPermissionSet", json::object());
  sso_.then("ProvisionPermissionSet", provisioning("SUCCEEDED"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(kAdmin));  // another writer put its own
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(kAdmin));
  sso_.then("PutInlinePolicyToPermissionSet", json::object());
  sso_.then("ProvisionPermissionSet", provisioning("SUCCEEDED"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(ours));
  auto r = provider().arm_cutoff(armed);
  ASSERT_TRUE(r) << r.error().message;
}

TEST_F(CutoffTest, AStatementThatKeepsVanishingIsUnavailableAfterThreeRounds) {
  sso_.then("DescribePermissionSet", described("PT1H"));
  for (int round = 0; round < 3; ++round) {
    sso_.then("GetInlinePolicyForPermissionSet", inline_policy(kAdmin));
    sso_.then("PutInlinePolicyToPermissionSet", json::object());
    sso_.then("ProvisionPermissionSet", provisioning("SUCCEEDED"));
    sso_.then("GetInlinePolicyForPermissionSet", inline_policy(kAdmin));
  }
  auto r = provider().arm_cutoff(cutoff("rab3k7mnp", clock_.now() + 1h));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
}

TEST_F(CutoffTest, ProvisioningConflictIsRetriedAndFailureIsInvalid) {
  const auto armed = cutoff("rab3k7mnp", clock_.now() + 1h);
  sso_.then("DescribePermissionSet", described("PT1H"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(""));
  sso_.then("PutInlinePolicyToPermissionSet", json::object());
  sso_.then_error("ProvisionPermissionSet", aws_error(400, "ConflictException", "An operation is in progress"));
  sso_.then("ProvisionPermissionSet", provisioning("IN_PROGRESS"));
  sso_.then("DescribePermissionSetProvisioningStatus",
            provisioning("FAILED", "The inline policy exceeds the maximum size"));
  auto r = provider().arm_cutoff(armed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_NE(r.error().message.find("maximum size"), std::string::npos) << r.error().message;
  EXPECT_EQ(clock_.sleeps(), (std::vector<std::chrono::milliseconds>{100ms, 100ms}));
}

TEST_F(CutoffTest, TheSessionDurationIsCachedAndUnknownMeansTwelveHours) {
  const TimePoint now = clock_.now();
  // PT12H assumed: a statement 2 hours stale is kept.
  const auto stale = cutoff("rold", now - 2h);
  const auto armed = cutoff("rab3k7mnp", now + 1h);
  const std::string both = merged("", {stale, armed});
  sso_.then_error("DescribePermissionSet", aws_error(400, "ResourceNotFoundException"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(merged("", {stale})));
  sso_.then("PutInlinePolicyToPermissionSet", json::object());
  sso_.then("ProvisionPermissionSet", provisioning("SUCCEEDED"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(both));
  auto& p = provider();
  auto r = p.arm_cutoff(armed);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->pruned, 0);
  // Known now: PT1H, cached; the second arming asks once, the third not at all.
  sso_.then("DescribePermissionSet", described("PT1H"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(both));
  sso_.then("PutInlinePolicyToPermissionSet", json::object());
  sso_.then("ProvisionPermissionSet", provisioning("SUCCEEDED"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(merged("", {armed})));
  auto second = p.arm_cutoff(armed);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->pruned, 1);
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(merged("", {armed})));
  sso_.then("ProvisionPermissionSet", provisioning("SUCCEEDED"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(merged("", {armed})));
  ASSERT_TRUE(p.arm_cutoff(armed));
}

TEST_F(CutoffTest, PruneWritesOnlyWhenSomethingWentAndDeletesAnEmptyPolicy) {
  const TimePoint now = clock_.now();
  const auto stale = cutoff("rold", now - 3h);
  sso_.then("DescribePermissionSet", described("PT1H"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(merged(kAdmin, {stale})));
  sso_.then("PutInlinePolicyToPermissionSet", json::object());
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(kAdmin));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(merged("", {stale})));
  sso_.then("DeleteInlinePolicyFromPermissionSet", json::object());
  auto& p = provider();
  auto pruned = p.prune_cutoffs(kPermissionSet);
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(*pruned, 1);
  EXPECT_EQ(sso_.calls()[2].second["InlinePolicy"], kAdmin);
  EXPECT_EQ(p.prune_cutoffs(kPermissionSet), 0);
  EXPECT_EQ(p.prune_cutoffs(kPermissionSet), 1);
}

TEST_F(CutoffTest, ArmingWaitsForAnotherInstancesLockAndLetsItsOwnGo) {
  MemoryLocks locks(clock_);
  const std::string name = std::string("cutoff:") + kPermissionSet;
  ASSERT_TRUE(*locks.try_lock(name, "instance-b", clock_.now() + 3s));
  const auto armed = cutoff("rab3k7mnp", clock_.now() + 1h);
  sso_.then("DescribePermissionSet", described("PT1H"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(""));
  sso_.then("PutInlinePolicyToPermissionSet", json::object());
  sso_.then("ProvisionPermissionSet", provisioning("SUCCEEDED"));
  sso_.then("GetInlinePolicyForPermissionSet", inline_policy(merged("", {armed})));
  const TimePoint start = clock_.now();
  auto r = provider(&locks).arm_cutoff(armed);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(clock_.now(), start + 3s) << "it waited for the other instance's lock to lapse";
  EXPECT_GT(locks.attempts(), 2);
  EXPECT_EQ(locks.holder(name), "") << "let go after arming";
}

TEST_F(CutoffTest, ALockHeldPastTheDeadlineIsUnavailableBeforeAnyCall) {
  MemoryLocks locks(clock_);
  const std::string name = std::string("cutoff:") + kPermissionSet;
  ASSERT_TRUE(*locks.try_lock(name, "instance-b", clock_.now() + 1h));
  auto r = provider(&locks, {.poll_jitter = 0, .operation_deadline = 10s}).arm_cutoff(cutoff("rab3k7mnp", clock_.now()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_TRUE(sso_.calls().empty());
  EXPECT_EQ(locks.holder(name), "instance-b");
}

TEST_F(CutoffTest, TheLockIsTakenForTheDeadlineAndAMargin) {
  // A free lock, taken on the first try until now + 120 s + 30 s, and let go after a failure.
  MemoryLocks locks(clock_);
  const std::string name = std::string("cutoff:") + kPermissionSet;
  sso_.then_error("DescribePermissionSet", aws_error(500, "InternalServerException"));
  sso_.then_error("GetInlinePolicyForPermissionSet", aws_error(403, "AccessDeniedException"));
  const TimePoint now = clock_.now();
  auto r = provider(&locks).arm_cutoff(cutoff("rab3k7mnp", now));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_EQ(locks.last_until(), now + 150s) << "120 s operation deadline + 30 s margin";
  EXPECT_EQ(locks.until(name), TimePoint{}) << "released on failure too";
  EXPECT_EQ(locks.attempts(), 1);
}

// --- scheduled revoke ---

TEST_F(CutoffTest, ScheduleRevokeSendsTheAgreedRequest) {
  scheduler_.then("CreateSchedule", {{"ScheduleArn", "arn:aws:scheduler:us-east-1:111122223333:schedule/jit-access/jit-rab3k7mnp"}});
  const Assignment a{kUser, kAccount, kPermissionSet};
  ASSERT_TRUE(provider().schedule_revoke("rab3k7mnp", a, *parse_time("2026-12-03T15:16:29Z")));
  const json sent = scheduler_.calls()[0].second;
  EXPECT_EQ(sent["Name"], "jit-rab3k7mnp");
  EXPECT_EQ(sent["GroupName"], "jit-access");
  EXPECT_EQ(sent["ClientToken"], "rab3k7mnp");
  EXPECT_EQ(sent["ScheduleExpression"], "at(2026-12-03T15:16:29)");
  EXPECT_EQ(sent["ScheduleExpressionTimezone"], "UTC");
  EXPECT_EQ(sent["FlexibleTimeWindow"], (json{{"Mode", "OFF"}}));
  EXPECT_EQ(sent["ActionAfterCompletion"], "DELETE");
  EXPECT_EQ(sent["Target"]["Arn"], "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment");
  EXPECT_EQ(sent["Target"]["RoleArn"], kRole);
  EXPECT_EQ(sent["Target"]["RetryPolicy"], (json{{"MaximumEventAgeInSeconds", 3600}, {"MaximumRetryAttempts", 185}}));
  const json input = json::parse(sent["Target"]["Input"].get<std::string>());
  auto sso_model = testing::load_aws_model("sso-admin/2020-07-20");
  ASSERT_TRUE(sso_model);
  EXPECT_EQ(testing::check_request(*sso_model, "DeleteAccountAssignment", input), std::vector<std::string>{})
      << "the target's Input is a valid DeleteAccountAssignment request";
  EXPECT_EQ(input, (json{{"InstanceArn", kInstance}, {"TargetId", kAccount}, {"TargetType", "AWS_ACCOUNT"},
                         {"PermissionSetArn", kPermissionSet}, {"PrincipalType", "USER"}, {"PrincipalId", kUser}}));
}

TEST_F(CutoffTest, AConflictIsSuccessOnlyForTheSameSchedule) {
  const Assignment a{kUser, kAccount, kPermissionSet};
  const TimePoint at = *parse_time("2026-12-03T15:16:29Z");
  auto& p = provider();
  json same = p.schedule_request("rab3k7mnp", a, at);
  same["Arn"] = "arn:aws:scheduler:us-east-1:111122223333:schedule/jit-access/jit-rab3k7mnp";
  same.erase("ClientToken");
  scheduler_.then_error("CreateSchedule", aws_error(409, "ConflictException", "Schedule jit-rab3k7mnp already exists."));
  scheduler_.then("GetSchedule", same);
  EXPECT_TRUE(p.schedule_revoke("rab3k7mnp", a, at));
  EXPECT_EQ(scheduler_.calls()[1].second, (json{{"Name", "jit-rab3k7mnp"}, {"GroupName", "jit-access"}}));

  json other = same;
  other["ScheduleExpression"] = "at(2026-12-03T16:16:29)";
  scheduler_.then_error("CreateSchedule", aws_error(409, "ConflictException"));
  scheduler_.then("GetSchedule", other);
  auto r = p.schedule_revoke("rab3k7mnp", a, at);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);

  scheduler_.then_error("CreateSchedule", aws_error(429, "ThrottlingException"));
  EXPECT_EQ(p.schedule_revoke("rab3k7mnp", a, at).error().code, Errc::unavailable);
}

TEST_F(CutoffTest, CancelTreatsAMissingScheduleAsDone) {
  auto& p = provider();
  scheduler_.then("DeleteSchedule", json::object());
  scheduler_.then_error("DeleteSchedule", aws_error(404, "ResourceNotFoundException"));
  scheduler_.then_error("DeleteSchedule", aws_error(403, "AccessDeniedException"));
  EXPECT_TRUE(p.cancel_scheduled_revoke("rab3k7mnp"));
  EXPECT_TRUE(p.cancel_scheduled_revoke("rab3k7mnp"));
  EXPECT_EQ(p.cancel_scheduled_revoke("rab3k7mnp").error().code, Errc::denied);
  EXPECT_EQ(scheduler_.calls()[0].second, (json{{"Name", "jit-rab3k7mnp"}, {"GroupName", "jit-access"}}));
}

TEST_F(CutoffTest, WithoutASchedulerOrRoleNothingIsScheduled) {
  IdentityCenterConfig config{kInstance, kStore, {}};
  IdentityCenterProvider bare(config, sso_, identitystore_, clock_);
  const Assignment a{kUser, kAccount, kPermissionSet};
  EXPECT_EQ(bare.schedule_revoke("r1", a, clock_.now()).error().code, Errc::invalid);
  EXPECT_TRUE(bare.cancel_scheduled_revoke("r1"));
  IdentityCenterProvider roleless(config, sso_, identitystore_, clock_, &scheduler_);
  EXPECT_EQ(roleless.schedule_revoke("r1", a, clock_.now()).error().code, Errc::invalid);
  EXPECT_TRUE(scheduler_.calls().empty());
}

}  // namespace identity_center_cutoff_test
}  // namespace
}  // namespace jit::aws
