// IdentityCenterProvider's session cut-off and scheduled revoke against moto_server, through the
// real clients (AwsJsonClient for sso-admin, AwsRestJsonClient for EventBridge Scheduler).
// moto_server must be installed: when it is missing these tests fail, never skip.
//
// What moto does differently from AWS (moto 5.2): ProvisionPermissionSet is SUCCEEDED at once and
// ignores its target; there is no size or syntax check on inline policies; its permission set ARNs
// ("...:instance/ssoins-.../ps-...") do not match AWS's pattern, so the sso-admin calls here are not
// model-checked (identity_center_cutoff_test.cc checks the same requests against the model); the
// Scheduler ignores ClientToken (a repeated create is a ConflictException), never fires, and needs
// the schedule group to exist. Scheduler requests are model-checked.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "aws/cutoff_policy.h"
#include "aws/identity_center.h"
#include "aws/json_client.h"
#include "aws/rest_json_client.h"
#include "fakes/manual_clock.h"
#include "net/https_client.h"
#include "support/aws_model_check.h"
#include "moto_config.h"
#include "support/moto_suite.h"

namespace jit::aws {
namespace {
namespace identity_center_cutoff_moto_test {  // its own names: the unity build compiles it beside other files

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr char kStore[] = "d-1234567890";
constexpr char kAccount[] = "111122223333";
constexpr char kUser[] = "9a67c4d8-1071-70d2-e5c2-4f1a2b3c4d5e";
constexpr char kRole[] = "arn:aws:iam::123456789012:role/jit-access-scheduler";
constexpr char kAdmin[] =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"AdminS3","Effect":"Allow","Action":"s3:*","Resource":"*"}]})";

class CutoffMoto : public testing::MotoSuite {
 protected:
  void SetUp() override {
    MotoSuite::SetUp();
    if (HasFatalFailure()) return;
    sso_ = std::make_unique<AwsJsonClient>(moto_config(moto().url(), AwsService::sso_admin), credentials_, *http_, clock_);
    identitystore_ = std::make_unique<AwsJsonClient>(moto_config(moto().url(), AwsService::identitystore), credentials_,
                                                     *http_, clock_);
    // The provider's three operations, and CreateScheduleGroup for the setup (moto needs the group).
    auto bindings = scheduler_bindings();
    bindings.push_back({"CreateScheduleGroup", "POST", "/schedule-groups/{Name}", {}});
    scheduler_client_ = std::make_unique<AwsRestJsonClient>(moto_config(moto().url(), AwsService::scheduler), bindings,
                                                            credentials_, *http_, clock_);
    auto model = testing::load_aws_model("scheduler/2021-06-30");
    ASSERT_TRUE(model) << model.error().message;
    scheduler_ = std::make_unique<testing::ModelCheckedApi>(*scheduler_client_, std::move(*model), "scheduler");

    auto instances = sso_->call("ListInstances", json::object());
    ASSERT_TRUE(instances) << instances.error().code << ": " << instances.error().message;
    instance_arn_ = (*instances)["Instances"][0]["InstanceArn"];
    auto created = sso_->call("CreatePermissionSet",
                              {{"InstanceArn", instance_arn_}, {"Name", "Admin"}, {"SessionDuration", "PT1H"}});
    ASSERT_TRUE(created) << created.error().code << ": " << created.error().message;
    permission_set_ = (*created)["PermissionSet"]["PermissionSetArn"];
    auto put = sso_->call("PutInlinePolicyToPermissionSet",
                          {{"InstanceArn", instance_arn_}, {"PermissionSetArn", permission_set_}, {"InlinePolicy", kAdmin}});
    ASSERT_TRUE(put) << put.error().code << ": " << put.error().message;
    auto group = scheduler_->call("CreateScheduleGroup", {{"Name", "jit-access"}});
    ASSERT_TRUE(group) << group.error().code << ": " << group.error().message;

    IdentityCenterConfig config{instance_arn_, kStore, {}};
    config.schedule.role_arn = kRole;
    provider_ = std::make_unique<IdentityCenterProvider>(config, *sso_, *identitystore_, clock_, scheduler_.get());
  }

  cutoff::Policy stored_policy() {
    auto r = sso_->call("GetInlinePolicyForPermissionSet",
                        {{"InstanceArn", instance_arn_}, {"PermissionSetArn", permission_set_}});
    EXPECT_TRUE(r) << r.error().code;
    auto p = cutoff::parse_policy(r ? (*r)["InlinePolicy"].get<std::string>() : "");
    EXPECT_TRUE(p) << p.error().message;
    return p ? *p : cutoff::Policy{};
  }
  SessionCutoff cutoff(std::string grant, TimePoint cut_at, std::string user = kUser) const {
    return {std::move(grant), {std::move(user), kAccount, permission_set_}, cut_at, cut_at + 120s};
  }

  StaticCredentialsProvider credentials_{Credentials{"AKIDEXAMPLE", "secret", ""}};
  ManualClock clock_{*parse_time("2026-12-03T15:00:00Z")};
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client();
  std::unique_ptr<AwsJsonClient> sso_, identitystore_;
  std::unique_ptr<AwsRestJsonClient> scheduler_client_;
  std::unique_ptr<AwsJsonApi> scheduler_;
  std::unique_ptr<IdentityCenterProvider> provider_;
  std::string instance_arn_, permission_set_;
};

TEST_F(CutoffMoto, ArmsRearmsAndPrunesBesideTheAdminsStatement) {
  const TimePoint now = clock_.now();
  auto first = provider_->arm_cutoff(cutoff("rfirst", now + 1h));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->statements, 1);
  auto second = provider_->arm_cutoff(cutoff("rsecond", now + 2h, "8b67c4d8-1071-70d2-e5c2-4f1a2b3c4d5e"));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->statements, 2);
  auto again = provider_->arm_cutoff(cutoff("rfirst", now + 1h));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->statements, 2) << "arming the same grant again rewrites its statement";

  auto policy = stored_policy();
  ASSERT_EQ(policy.document["Statement"].size(), 3u);
  EXPECT_EQ(policy.document["Statement"][0]["Sid"], "AdminS3");
  const auto ours = cutoff::cutoffs_in(policy);
  ASSERT_EQ(ours.size(), 2u);
  EXPECT_EQ(ours[0].sid, "JitCutoffrfirst");
  EXPECT_EQ(ours[0].cut_at, now + 1h);
  EXPECT_EQ(ours[1].sid, "JitCutoffrsecond");

  // rfirst's sessions are all gone 1 h (PT1H) after its sessions_before; rsecond's are not.
  clock_.advance(2h + 2min + 1s);
  auto pruned = provider_->prune_cutoffs(permission_set_);
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(*pruned, 1);
  const auto left = cutoff::cutoffs_in(stored_policy());
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].sid, "JitCutoffrsecond");
  EXPECT_EQ(stored_policy().document["Statement"][0]["Sid"], "AdminS3");
}

// Counts the calls of one operation on their way to `api`.
class CountingApi final : public AwsJsonApi {
 public:
  CountingApi(AwsJsonApi& api, std::string operation) : api_(api), operation_(std::move(operation)) {}
  std::expected<json, AwsError> call(std::string_view operation, const json& input) override {
    if (operation == operation_) ++count;
    return api_.call(operation, input);
  }
  std::atomic<int> count{0};

 private:
  AwsJsonApi& api_;
  std::string operation_;
};

// Eight grants armed at once on one permission set: the per-permission-set lock serialises the
// read-modify-writes, so none is lost and none needs the re-read belt (one Put each).
TEST_F(CutoffMoto, ConcurrentArmingLosesNoStatement) {
  CountingApi puts(*sso_, "PutInlinePolicyToPermissionSet");
  IdentityCenterConfig config{instance_arn_, kStore, {}};
  IdentityCenterProvider provider(config, puts, *identitystore_, clock_);
  const TimePoint now = clock_.now();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      if (!provider.arm_cutoff(cutoff(fmt::format("rgrant{}", i), now + 1h))) ++failures;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(puts.count, 8);
  EXPECT_EQ(cutoff::cutoffs_in(stored_policy()).size(), 8u);
}

TEST_F(CutoffMoto, SchedulesAndCancelsARevoke) {
  const Assignment a{kUser, kAccount, permission_set_};
  const TimePoint at = clock_.now() + 1h;
  ASSERT_TRUE(provider_->schedule_revoke("rab3k7mnp", a, at));
  auto stored = scheduler_->call("GetSchedule", {{"Name", "jit-rab3k7mnp"}, {"GroupName", "jit-access"}});
  ASSERT_TRUE(stored) << stored.error().code << ": " << stored.error().message;
  EXPECT_EQ((*stored)["ScheduleExpression"], "at(2026-12-03T16:00:00)");
  EXPECT_EQ((*stored)["Target"]["Arn"], "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment");
  EXPECT_EQ((*stored)["Target"]["RoleArn"], kRole);
  EXPECT_EQ(json::parse((*stored)["Target"]["Input"].get<std::string>())["PrincipalId"], kUser);

  auto retried = provider_->schedule_revoke("rab3k7mnp", a, at);
  EXPECT_TRUE(retried) << "moto's Conflict on the same schedule counts as done: " << retried.error().message;
  auto moved = provider_->schedule_revoke("rab3k7mnp", a, at + 1h);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, Errc::invalid);

  ASSERT_TRUE(provider_->cancel_scheduled_revoke("rab3k7mnp"));
  auto gone = scheduler_->call("GetSchedule", {{"Name", "jit-rab3k7mnp"}, {"GroupName", "jit-access"}});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, "ResourceNotFoundException");
  EXPECT_EQ(gone.error().http_status, 404);
  EXPECT_TRUE(provider_->cancel_scheduled_revoke("rab3k7mnp")) << "a schedule already gone is done";
}

}  // namespace identity_center_cutoff_moto_test
}  // namespace
}  // namespace jit::aws
