// `jit doctor`'s checks (app/doctor.h) against scripted fakes of sso-admin, identitystore,
// EventBridge Scheduler and DynamoDB, and an IamRoleProvider over the fake IAM (the IAM-role
// path), every request checked against the official models: each failure mode gives a finding
// that names the operation and the fix, and the all-well case.
#include "app/doctor.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/cutoff_policy.h"
#include "aws/fake_iam.h"
#include "aws/iam_role_provider.h"
#include "aws/scripted_api.h"
#include "fakes/manual_clock.h"
#include "store/dynamodb_api.h"

namespace jit {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing::ScriptedApi;
using namespace testing::ids;
using Level = DoctorFinding::Level;

constexpr char kRole[] = "arn:aws:iam::111122223333:role/jit-access-scheduler";
constexpr char kTable[] = "jit-access";

aws::AwsError aws_error(int status, std::string code, std::string message = "", json body = json::object()) {
  return aws::AwsError{status, std::move(code), std::move(message), std::move(body), false};
}

// DescribeTable's answer for a table `jit store init` made, ACTIVE.
json active_table() {
  json input = dynamodb::create_table_input(kTable, true);
  json table = {{"TableName", kTable},
                {"TableStatus", "ACTIVE"},
                {"KeySchema", input["KeySchema"]},
                {"GlobalSecondaryIndexes", input["GlobalSecondaryIndexes"]}};
  for (auto& index : table["GlobalSecondaryIndexes"]) index["IndexStatus"] = "ACTIVE";
  return {{"Table", table}};
}
json ttl(std::string status, std::string attribute = "ttl") {
  return {{"TimeToLiveDescription", {{"TimeToLiveStatus", status}, {"AttributeName", attribute}}}};
}
json described(std::string duration) {
  return {{"PermissionSet", {{"Name", "Admin"}, {"PermissionSetArn", kPermissionSet}, {"SessionDuration", duration}}}};
}
json inline_policy(const std::string& text) { return {{"InlinePolicy", text}}; }

// An inline policy holding one statement of the admin's, `size` characters as IAM counts them.
std::string admin_policy(int size) {
  const auto with = [](int padding) {
    return fmt::format(R"({{"Version":"2012-10-17","Statement":[{{"Sid":"AdminS3","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}]}})",
                       std::string(static_cast<std::size_t>(padding), 'b'));
  };
  const std::string text = with(size - aws::cutoff::policy_size(with(0)));
  EXPECT_EQ(aws::cutoff::policy_size(text), size);
  return text;
}

class DoctorTest : public ::testing::Test {
 protected:
  DoctorTest() {
    config_.settings.aws.instance_arn = kInstance;
    config_.settings.aws.identity_store_id = kStore;
    config_.settings.aws.scheduler_role_arn = kRole;
    config_.settings.store.url = fmt::format("dynamodb:{}", kTable);
    RolePolicy admin{.name = "admin", .permission_set_arn = kPermissionSet, .max_duration = 1h};
    admin.session_cutoff = true;
    admin.scheduled_revoke = true;
    config_.policy.accounts = {{.name = "prod", .id = kAccount, .owner_channel = "C0PROD", .roles = {admin}}};
  }

  // Only the checks a test is about: no cut-off, no schedule, an SQLite store.
  void identity_center_only() {
    config_.policy.accounts[0].roles[0].session_cutoff = false;
    config_.policy.accounts[0].roles[0].scheduled_revoke = false;
    config_.settings.store.url = "sqlite:jit.db";
  }

  void identity_store_answers() {
    identitystore_.then_error("GetUserId", aws_error(400, "ResourceNotFoundException", "USER not found",
                                                     {{"ResourceType", "USER"}, {"Message", "USER not found"}}));
  }
  void permission_set_is(std::string duration, std::optional<std::string> policy = std::string()) {
    sso_.then("DescribePermissionSet", described(std::move(duration)));
    if (policy) sso_.then("GetInlinePolicyForPermissionSet", inline_policy(*policy));
  }
  void scheduler_works() {
    scheduler_.then("CreateSchedule", {{"ScheduleArn", "arn:aws:scheduler:us-east-1:111122223333:schedule/jit-access/x"}});
    scheduler_.then("DeleteSchedule", json::object());
  }
  void table_is_well() {
    dynamodb_.then("DescribeTable", active_table());
    dynamodb_.then("DescribeTimeToLive", ttl("ENABLED"));
  }

  DoctorReport run() {
    return run_doctor(config_, {.sso_admin = &sso_, .identitystore = &identitystore_, .scheduler = &scheduler_,
                                .dynamodb = &dynamodb_},
                      clock_);
  }

  // The one finding whose check is `check`, or else starts with it.
  static DoctorFinding finding(const DoctorReport& report, const std::string& check) {
    std::vector<DoctorFinding> found;
    for (const auto& f : report.findings)
      if (f.check == check) found.push_back(f);
    if (found.empty())
      for (const auto& f : report.findings)
        if (f.check.starts_with(check)) found.push_back(f);
    EXPECT_EQ(found.size(), 1u) << "findings for " << check << ": " << dump(report);
    return found.empty() ? DoctorFinding{} : found.front();
  }
  static std::string dump(const DoctorReport& report) {
    std::string out;
    for (const auto& f : report.findings)
      out += fmt::format("\n  {} {}: {} / fix: {}", level_name(f.level), f.check, f.detail, f.fix);
    return out;
  }

  // Only the table's checks matter: the identity center answers, nothing else is used.
  void only_the_table() {
    identity_center_only();
    config_.settings.store.url = fmt::format("dynamodb:{}", kTable);
    identity_store_answers();
    permission_set_is("PT1H", std::nullopt);
  }
  // The table's finding when DescribeTimeToLive answers `answer` (the table itself is well).
  DoctorFinding table_finding_with_ttl(json answer) {
    only_the_table();
    dynamodb_.then("DescribeTable", active_table());
    dynamodb_.then("DescribeTimeToLive", std::move(answer));
    return finding(run(), "table jit-access");
  }

  void TearDown() override {
    EXPECT_EQ(sso_.left(), 0u) << "sso-admin script not used up";
    EXPECT_EQ(identitystore_.left(), 0u) << "identitystore script not used up";
    EXPECT_EQ(scheduler_.left(), 0u) << "scheduler script not used up";
    EXPECT_EQ(dynamodb_.left(), 0u) << "dynamodb script not used up";
  }

  Config config_;
  ScriptedApi sso_{"sso-admin/2020-07-20"};
  ScriptedApi identitystore_{"identitystore/2020-06-15"};
  ScriptedApi scheduler_{"scheduler/2021-06-30"};
  ScriptedApi dynamodb_{"dynamodb/2012-08-10"};
  ManualClock clock_{*parse_time("2026-12-03T15:00:00Z")};
};

TEST_F(DoctorTest, AllWellIsHealthyEvenWhenStrict) {
  identity_store_answers();
  permission_set_is("PT1H");
  scheduler_works();
  table_is_well();
  const DoctorReport report = run();
  for (const auto& f : report.findings) EXPECT_EQ(f.level, Level::ok) << dump(report);
  EXPECT_TRUE(report.healthy(/*strict=*/true));
  EXPECT_THAT(finding(report, "identity store").detail, HasSubstr("answers GetUserId"));
  EXPECT_THAT(finding(report, "identity center instance").detail, HasSubstr("answers DescribePermissionSet"));
  EXPECT_THAT(finding(report, "permission set prod/admin cut-off").detail, HasSubstr("30 more cut-off statements fit (39 of 10240 characters used, 0 of ours live, 336 per grant)"));
  EXPECT_THAT(finding(report, "table jit-access").detail, HasSubstr("TTL ENABLED on `ttl`"));
  EXPECT_EQ(report.findings.front().check, "identity store");
  EXPECT_EQ(report.findings[1].check, "identity center instance") << "the instance comes before its permission sets";

  // The probe: disabled, far ahead, named like the task role's jit-* schedules, deleted by name.
  const auto calls = scheduler_.calls();
  ASSERT_EQ(calls.size(), 2u);
  const json& created = calls[0].second;
  EXPECT_THAT(created["Name"].get<std::string>(), StartsWith("jit-doctor-"));
  EXPECT_EQ(created["State"], "DISABLED");
  EXPECT_EQ(created["GroupName"], "jit-access");
  EXPECT_EQ(created["Target"]["RoleArn"], kRole);
  EXPECT_EQ(json::parse(created["Target"]["Input"].get<std::string>())["PermissionSetArn"], kPermissionSet);
  EXPECT_EQ(calls[1].second, (json{{"Name", created["Name"]}, {"GroupName", "jit-access"}}));
}

TEST_F(DoctorTest, TwoRunsProbeWithDifferentNames) {
  identity_center_only();
  config_.policy.accounts[0].roles[0].scheduled_revoke = true;
  for (int i = 0; i < 2; ++i) {
    identity_store_answers();
    permission_set_is("PT1H", std::nullopt);
    scheduler_works();
    EXPECT_TRUE(run().healthy());
  }
  const auto calls = scheduler_.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_NE(calls[0].second["Name"], calls[2].second["Name"]) << "concurrent runs (CI) must not collide";
}

TEST_F(DoctorTest, MissingSettingsFailWithoutCallingAws) {
  identity_center_only();
  config_.settings.aws.identity_store_id.clear();
  const DoctorReport report = run();
  const auto f = finding(report, "identity center");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.fix, HasSubstr("[aws]"));
  EXPECT_FALSE(report.healthy());
}

TEST_F(DoctorTest, AMissingIdentityStoreFails) {
  identity_center_only();
  identitystore_.then_error("GetUserId", aws_error(400, "ResourceNotFoundException", "Identity store d-1 does not exist.",
                                                   {{"ResourceType", "IDENTITY_STORE"}}));
  permission_set_is("PT1H", std::nullopt);
  const DoctorReport report = run();
  const auto f = finding(report, "identity store");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.detail, HasSubstr("identitystore GetUserId failed: ResourceNotFoundException"));
  EXPECT_THAT(f.fix, HasSubstr("identity_store_id"));
}

TEST_F(DoctorTest, AMissingPermissionSetFailsAndSoDoesTheInstanceThatDescribedNone) {
  identity_center_only();
  identity_store_answers();
  sso_.then_error("DescribePermissionSet",
                  aws_error(400, "ResourceNotFoundException", "Could not find PermissionSet with PermissionSetArn"));
  const DoctorReport report = run();
  const auto f = finding(report, "permission set prod/admin");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.detail, HasSubstr("sso-admin DescribePermissionSet failed: ResourceNotFoundException"));
  EXPECT_THAT(f.fix, HasSubstr("create the permission set, or fix permission_set_arn of prod/admin"));
  EXPECT_EQ(finding(report, "identity center instance").level, Level::fail);
  EXPECT_FALSE(report.healthy());
}

TEST_F(DoctorTest, AccessDeniedNamesThePermissionToGrant) {
  identity_center_only();
  identitystore_.then_error("GetUserId", aws_error(400, "AccessDeniedException", "not authorized"));
  sso_.then_error("DescribePermissionSet", aws_error(400, "AccessDeniedException", "User is not authorized"));
  const DoctorReport report = run();
  EXPECT_THAT(finding(report, "identity store").fix, HasSubstr("identitystore:GetUserId"));
  const auto f = finding(report, "permission set prod/admin");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.detail, HasSubstr("DescribePermissionSet failed: AccessDeniedException: User is not authorized"));
  EXPECT_THAT(f.fix, HasSubstr("sso:DescribePermissionSet"));
}

TEST_F(DoctorTest, ErrorsNoCheckExpectsSayWhatTheClientSaw) {
  identity_center_only();
  identitystore_.then_error("GetUserId", aws_error(0, "Transport", "connection refused"));
  sso_.then_error("DescribePermissionSet", aws::AwsError{400, "ThrottlingException", "Rate exceeded", {}, true});
  const DoctorReport report = run();
  EXPECT_THAT(finding(report, "identity store").fix, HasSubstr("could not be reached"));
  EXPECT_THAT(finding(report, "permission set prod/admin").fix, HasSubstr("run again later"));
}

TEST_F(DoctorTest, ALongSessionDurationWarnsAndFailsOnlyWhenStrict) {
  identity_center_only();
  identity_store_answers();
  permission_set_is("PT12H", std::nullopt);
  const DoctorReport report = run();
  const auto f = finding(report, "permission set prod/admin");
  EXPECT_EQ(f.level, Level::warn);
  EXPECT_THAT(f.detail, HasSubstr("PT12H (43200 s)"));
  EXPECT_THAT(f.fix, HasSubstr("PT1H"));
  EXPECT_TRUE(report.healthy());
  EXPECT_FALSE(report.healthy(/*strict=*/true));
}

TEST_F(DoctorTest, AFullInlinePolicyFails) {
  identity_center_only();
  config_.policy.accounts[0].roles[0].session_cutoff = true;
  identity_store_answers();
  permission_set_is("PT1H", admin_policy(aws::cutoff::kSizeLimit - 100));
  const DoctorReport report = run();
  const auto f = finding(report, "permission set prod/admin cut-off");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.detail, HasSubstr("no cut-off statement fits its inline policy (10140 of 10240 characters used"));
  EXPECT_THAT(f.fix, HasSubstr("session_cutoff = false"));
  EXPECT_FALSE(report.healthy());
}

TEST_F(DoctorTest, FewSlotsWarn) {
  identity_center_only();
  config_.policy.accounts[0].roles[0].session_cutoff = true;
  identity_store_answers();
  permission_set_is("PT1H", admin_policy(aws::cutoff::kSizeLimit - 1000));  // 337 characters a statement
  const DoctorReport report = run();
  const auto f = finding(report, "permission set prod/admin cut-off");
  EXPECT_EQ(f.level, Level::warn);
  EXPECT_THAT(f.detail, HasSubstr("only 2 more cut-off statements fit"));
  EXPECT_TRUE(report.healthy());
  EXPECT_FALSE(report.healthy(/*strict=*/true));
}

TEST_F(DoctorTest, StatementsNoSessionNeedsArePrunedBeforeCounting) {
  identity_center_only();
  config_.policy.accounts[0].roles[0].session_cutoff = true;
  identity_store_answers();
  // 30 statements of ours cutting sessions that ended long ago, and one still live.
  auto policy = aws::cutoff::parse_policy("");
  const TimePoint now = clock_.now();
  for (int n = 0; n < 30; ++n)
    aws::cutoff::merge(*policy, aws::cutoff::statement_of(
                                    {fmt::format("r{:08d}", n), {kUser, kAccount, kPermissionSet}, now - 3h, now - 3h}));
  aws::cutoff::merge(*policy, aws::cutoff::statement_of({"rlive0000", {kUser, kAccount, kPermissionSet}, now + 1h, now + 1h}));
  permission_set_is("PT1H", aws::cutoff::render(*policy));
  const auto f = finding(run(), "permission set prod/admin cut-off");
  EXPECT_EQ(f.level, Level::ok);
  EXPECT_THAT(f.detail, HasSubstr("29 more cut-off statements fit (364 of 10240 characters used, 1 of ours live"));
}

// The scheduler's failures, each with its fix; none leaves a probe behind to delete.
struct SchedulerCase {
  const char* name;
  aws::AwsError error;
  const char* fix;
};

class DoctorSchedulerTest : public DoctorTest, public ::testing::WithParamInterface<SchedulerCase> {};

TEST_P(DoctorSchedulerTest, ACreateScheduleFailureNamesTheFix) {
  identity_center_only();
  config_.policy.accounts[0].roles[0].scheduled_revoke = true;
  identity_store_answers();
  permission_set_is("PT1H", std::nullopt);
  scheduler_.then_error("CreateSchedule", GetParam().error);
  const DoctorReport report = run();
  const auto f = finding(report, "scheduler");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.detail, HasSubstr("scheduler CreateSchedule failed: " + GetParam().error.code));
  EXPECT_THAT(f.fix, HasSubstr(GetParam().fix));
  EXPECT_FALSE(report.healthy());
}

INSTANTIATE_TEST_SUITE_P(
    Failures, DoctorSchedulerTest,
    ::testing::Values(
        SchedulerCase{"GroupMissing", aws_error(404, "ResourceNotFoundException", "Schedule group jit-access does not exist."),
                      "create the schedule group jit-access"},
        SchedulerCase{"RoleInvalid",
                      aws_error(400, "ValidationException",
                                "The execution role you provide must allow AWS EventBridge Scheduler to assume the role."),
                      "must exist and trust scheduler.amazonaws.com"},
        SchedulerCase{"AccessDenied", aws_error(403, "AccessDeniedException", "not authorized to perform: iam:PassRole"),
                      "iam:PassRole on arn:aws:iam::111122223333:role/jit-access-scheduler"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(DoctorTest, AProbeThatCannotBeDeletedSaysSo) {
  identity_center_only();
  config_.policy.accounts[0].roles[0].scheduled_revoke = true;
  identity_store_answers();
  permission_set_is("PT1H", std::nullopt);
  scheduler_.then("CreateSchedule", {{"ScheduleArn", "arn:aws:scheduler:us-east-1:111122223333:schedule/jit-access/x"}});
  scheduler_.then_error("DeleteSchedule", aws_error(403, "AccessDeniedException", "no"));
  const auto f = finding(run(), "scheduler");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.detail, HasSubstr("scheduler DeleteSchedule failed"));
  EXPECT_THAT(f.fix, HasSubstr("delete the disabled schedule jit-access/jit-doctor-"));
}

TEST_F(DoctorTest, ASchedulerWithoutAnExecutionRoleFails) {
  identity_center_only();
  config_.policy.accounts[0].roles[0].scheduled_revoke = true;
  config_.settings.aws.scheduler_role_arn.clear();
  identity_store_answers();
  permission_set_is("PT1H", std::nullopt);
  const auto f = finding(run(), "scheduler");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.fix, HasSubstr("scheduler_role_arn"));
}

TEST_F(DoctorTest, WhatTheConfigurationDoesNotUseIsSkipped) {
  identity_center_only();
  identity_store_answers();
  permission_set_is("PT1H", std::nullopt);
  const DoctorReport report = run();
  EXPECT_EQ(finding(report, "scheduler").level, Level::skip);
  EXPECT_EQ(finding(report, "table").level, Level::skip);
  EXPECT_TRUE(report.healthy(/*strict=*/true));
}

TEST_F(DoctorTest, AMissingTableFails) {
  only_the_table();
  dynamodb_.then_error("DescribeTable", aws_error(400, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                                                  "Requested resource not found"));
  const auto f = finding(run(), "table jit-access");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.detail, HasSubstr("dynamodb DescribeTable failed"));
  EXPECT_THAT(f.fix, HasSubstr("jit store init --store dynamodb:jit-access"));
}

TEST_F(DoctorTest, TtlOffFails) {
  const auto f = table_finding_with_ttl({{"TimeToLiveDescription", {{"TimeToLiveStatus", "DISABLED"}}}});
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.detail, HasSubstr("TTL is DISABLED"));
  EXPECT_THAT(f.fix, HasSubstr("jit store init --store dynamodb:jit-access"));
}

TEST_F(DoctorTest, TtlOnAnotherAttributeFails) {
  const auto f = table_finding_with_ttl(ttl("ENABLED", "expires"));
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.detail, HasSubstr("TTL is on for `expires`"));
}

TEST_F(DoctorTest, ATableWithoutTheStoresIndexesFails) {
  only_the_table();
  json table = active_table();
  table["Table"].erase("GlobalSecondaryIndexes");
  dynamodb_.then("DescribeTable", table);
  const auto f = finding(run(), "table jit-access");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.detail, HasSubstr("lacks the global secondary index"));
}


// The IAM-role path (issue 16): an iam-role-only policy, its role inspected through an
// IamRoleProvider over the fake IAM (tests/aws/fake_iam.h).
constexpr char kLegacyAccount[] = "111122223333";
constexpr char kElevatedName[] = "jit-admin";
constexpr char kElevated[] = "arn:aws:iam::111122223333:role/jit-admin";
constexpr char kManagement[] = "arn:aws:iam::111122223333:role/jit-access-management";
constexpr char kExternalId[] = "jit-ext-5ec7e7";
// A workload's statement: not standing human access.
constexpr char kServiceStatement[] =
    R"({"Sid":"Ec2","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"})";
std::string trust_of(const std::string& statements) {
  return fmt::format(R"({{"Version":"2012-10-17","Statement":[{}]}})", statements);
}

class IamRoleDoctorTest : public DoctorTest {
 protected:
  IamRoleDoctorTest() {
    identity_center_only();
    config_.settings.aws = {};
    AccountPolicy legacy{.name = "legacy", .id = kLegacyAccount, .owner_channel = "C0LEGACY"};
    legacy.roles = {{.name = "admin", .permission_set_arn = kElevated, .max_duration = 1h}};
    legacy.provider = AccessPath::iam_role;
    legacy.iam_role = {kManagement, kExternalId, "arn:aws:iam::111122223333:role/okta-engineer"};
    config_.policy.accounts = {legacy};
  }

  DoctorReport run_iam(aws::IamRoleOptions options = {}) {
    aws::IamRoleConfig config;
    config.options = options;
    config.account = [this](const std::string& id) -> std::optional<aws::IamRoleAccount> {
      for (const auto& a : config_.policy.accounts)
        if (a.id == id && a.provider == AccessPath::iam_role)
          return aws::IamRoleAccount{a.id, a.iam_role.management_role_arn, a.iam_role.external_id,
                                     a.iam_role.base_principal_arn};
      return std::nullopt;
    };
    config.iam_for = [this](const aws::IamRoleAccount&) -> Result<std::shared_ptr<aws::AwsQueryApi>> { return iam_; };
    aws::IamRoleProvider provider(std::move(config), clock_);
    return run_doctor(config_,
                      {.sso_admin = &sso_, .identitystore = &identitystore_, .scheduler = &scheduler_,
                       .dynamodb = &dynamodb_, .iam_role = &provider},
                      clock_);
  }

  std::shared_ptr<testing::FakeIam> iam_ = std::make_shared<testing::FakeIam>();
};

TEST_F(IamRoleDoctorTest, AHealthyRoleIsOkAndIdentityCenterIsSkipped) {
  iam_->add_role(kElevatedName, trust_of(kServiceStatement));
  const DoctorReport report = run_iam();
  EXPECT_TRUE(report.healthy(/*strict=*/true)) << dump(report);
  const auto ic = finding(report, "identity center");
  EXPECT_EQ(ic.level, Level::skip);
  EXPECT_THAT(ic.detail, HasSubstr("no account in policy is on Identity Center"));
  const auto management = finding(report, "management role");
  EXPECT_EQ(management.check, fmt::format("management role {}", kManagement));
  EXPECT_EQ(management.level, Level::ok);
  const auto role = finding(report, "role legacy/admin");
  EXPECT_EQ(role.level, Level::ok);
  EXPECT_EQ(role.detail, fmt::format("{} exists; MaxSessionDuration 3600 s", kElevated));
  const auto room = finding(report, "role legacy/admin trust policy");
  EXPECT_EQ(room.level, Level::ok);
  EXPECT_THAT(room.detail, HasSubstr("of 2048 characters ([aws] trust_policy_size_limit), 0 of our grants live"));
  EXPECT_EQ(finding(report, "role legacy/admin standing access").level, Level::ok);
  // The cut-off inline policy does not exist yet: all its room is free.
  const auto cutoff = finding(report, "role legacy/admin cut-off");
  EXPECT_EQ(cutoff.level, Level::ok);
  EXPECT_THAT(cutoff.detail, HasSubstr("more cut-off statements fit (inline policy "));
  EXPECT_THAT(cutoff.detail, HasSubstr("of 10240 characters used, 0 of ours live"));
  // In this order: Identity Center, the management role, then its role's findings.
  ASSERT_GE(report.findings.size(), 3u);
  EXPECT_EQ(report.findings[0].check, "identity center");
  EXPECT_EQ(report.findings[1].check, management.check);
  EXPECT_EQ(report.findings[2].check, "role legacy/admin");
  EXPECT_EQ(iam_->actions(), (std::vector<std::string>{"GetRole", "GetRolePolicy"})) << "doctor only reads";
}

TEST_F(IamRoleDoctorTest, AMissingRoleFailsWithTheFix) {
  const DoctorReport report = run_iam();
  EXPECT_FALSE(report.healthy());
  EXPECT_EQ(finding(report, "management role").level, Level::ok) << "IAM answered NoSuchEntity: the role was assumed";
  const auto role = finding(report, "role legacy/admin");
  EXPECT_EQ(role.level, Level::fail);
  EXPECT_THAT(role.detail, HasSubstr("NoSuchEntity"));
  EXPECT_THAT(role.fix, HasSubstr(fmt::format("create the role {}, or fix role_arn of admin", kElevated)));
}

// IAM refused the management role's GetRole: assumed, but the role is outside what the stack allows.
TEST_F(IamRoleDoctorTest, ARoleOutsideTheManagementRolesPathFails) {
  iam_->add_role(kElevatedName, trust_of(kServiceStatement));
  iam_->fail_next("GetRole", aws::AwsError{403, "AccessDenied", "not authorized to perform: iam:GetRole", nullptr, false});
  const DoctorReport report = run_iam();
  EXPECT_EQ(finding(report, "management role").level, Level::ok);
  const auto f = finding(report, "role legacy/admin");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.detail, HasSubstr("iam GetRole: AccessDenied"));
  EXPECT_THAT(f.fix, HasSubstr("ElevatedRolePath (deploy/iam-role-management.yaml)"));
}

TEST_F(IamRoleDoctorTest, NoRoomInTheTrustPolicyFails) {
  iam_->add_role(kElevatedName, trust_of(kServiceStatement));
  const auto f = finding(run_iam({.trust_policy_size_limit = 300}), "role legacy/admin trust policy");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_THAT(f.detail, HasSubstr("no more grants fit (trust policy 139 of 300 characters"));
  EXPECT_THAT(f.fix, HasSubstr("\"Role trust policy length\""));
  EXPECT_THAT(f.fix, HasSubstr("trust_policy_size_limit"));
}

TEST_F(IamRoleDoctorTest, LittleRoomInTheTrustPolicyWarns) {
  iam_->add_role(kElevatedName, trust_of(kServiceStatement));
  const DoctorReport report = run_iam({.trust_policy_size_limit = 1000});
  const auto f = finding(report, "role legacy/admin trust policy");
  EXPECT_EQ(f.level, Level::warn);
  EXPECT_THAT(f.detail, ::testing::MatchesRegex("only [1-4] more grants fit \\(trust policy 139 of 1000 characters.*"));
  EXPECT_THAT(f.fix, HasSubstr("Service Quotas"));
  EXPECT_TRUE(report.healthy());
  EXPECT_FALSE(report.healthy(/*strict=*/true));
}

TEST_F(IamRoleDoctorTest, AStandingAssumeStatementWarnsNamingIt) {
  iam_->add_role(kElevatedName,
                 trust_of(R"({"Sid":"CiDeploy","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ci"},"Action":"sts:AssumeRole"},)" +
                          std::string(kServiceStatement)));
  const auto f = finding(run_iam(), "role legacy/admin standing access");
  EXPECT_EQ(f.level, Level::warn);
  EXPECT_THAT(f.detail, HasSubstr("without a time condition, outside JIT: CiDeploy"));
  EXPECT_THAT(f.fix, HasSubstr("accept and document"));
}

TEST_F(IamRoleDoctorTest, AHandEditedGrantStatementWarns) {
  iam_->add_role(kElevatedName,
                 trust_of(R"({"Sid":"JitGrantrhand1","Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"})"));
  const auto f = finding(run_iam(), "role legacy/admin hand-edited");
  EXPECT_EQ(f.level, Level::warn);
  EXPECT_THAT(f.detail, HasSubstr("JitGrantrhand1"));
}

TEST_F(IamRoleDoctorTest, ALongMaxSessionDurationWarns) {
  iam_->add_role(kElevatedName, trust_of(kServiceStatement), 43200);
  const DoctorReport report = run_iam();
  const auto f = finding(report, "role legacy/admin");
  EXPECT_EQ(f.level, Level::warn);
  EXPECT_THAT(f.detail, HasSubstr("its MaxSessionDuration is 43200 s (12 h)"));
  EXPECT_THAT(f.fix, HasSubstr("MaxSessionDuration to 3600"));
  EXPECT_TRUE(report.healthy());
}

// IamClients reports a failed AssumeRole as an AwsError "Credentials" naming the management role;
// here STS's answer even quotes the external id, which the finding must not.
TEST_F(IamRoleDoctorTest, AManagementRoleThatCannotBeAssumedFailsWithoutShowingTheExternalId) {
  iam_->add_role(kElevatedName, trust_of(kServiceStatement));
  config_.policy.accounts[0].roles.push_back({.name = "read-only", .permission_set_arn = kElevated, .max_duration = 1h});
  config_.policy.accounts[0].roles.push_back(
      {.name = "ops", .permission_set_arn = "arn:aws:iam::111122223333:role/jit-ops", .max_duration = 1h});
  iam_->fail_next("GetRole", aws::AwsError{0, "Credentials",
                                           fmt::format("STS AssumeRole of {}: AccessDenied: not authorized to perform "
                                                       "sts:AssumeRole with external id {}",
                                                       kManagement, kExternalId),
                                           nullptr, false});
  const DoctorReport report = run_iam();
  EXPECT_FALSE(report.healthy());
  const auto f = finding(report, "management role");
  EXPECT_EQ(f.level, Level::fail);
  EXPECT_EQ(f.detail, "STS AssumeRole failed: AccessDenied: not authorized to perform sts:AssumeRole with external "
                     "id <redacted>");
  EXPECT_THAT(f.fix, HasSubstr("deploy/iam-role-management.yaml"));
  EXPECT_THAT(f.fix, HasSubstr("external_id"));
  EXPECT_THAT(f.fix, HasSubstr("sts:AssumeRole"));
  EXPECT_THAT(f.fix, HasSubstr("deploy/iam-task-policy.json"));
  for (const auto& each : report.findings) {
    EXPECT_THAT(each.detail + each.fix, Not(HasSubstr(kExternalId))) << each.check;
    EXPECT_NE(each.check, "role legacy/read-only") << "the same role ARN is checked once";
  }
  EXPECT_EQ(finding(report, "role legacy/admin").level, Level::skip);
  EXPECT_EQ(finding(report, "role legacy/ops").level, Level::skip) << "not asked again";
  EXPECT_EQ(iam_->count("GetRole"), 1);
}

// A deployment on both paths: the Identity Center checks stay, and ask only about permission sets.
TEST_F(IamRoleDoctorTest, BothPathsKeepTheIdentityCenterChecks) {
  config_.settings.aws.instance_arn = kInstance;
  config_.settings.aws.identity_store_id = kStore;
  config_.policy.accounts.insert(config_.policy.accounts.begin(),
                                 {.name = "prod", .id = kAccount, .owner_channel = "C0PROD",
                                  .roles = {{.name = "admin", .permission_set_arn = kPermissionSet, .max_duration = 1h}}});
  identity_store_answers();
  permission_set_is("PT1H", std::nullopt);
  iam_->add_role(kElevatedName, trust_of(kServiceStatement));
  const DoctorReport report = run_iam();
  EXPECT_TRUE(report.healthy(/*strict=*/true)) << dump(report);
  EXPECT_EQ(finding(report, "identity store").level, Level::ok);
  EXPECT_EQ(finding(report, "permission set prod/admin").level, Level::ok);
  EXPECT_EQ(finding(report, "role legacy/admin").level, Level::ok);
  EXPECT_EQ(sso_.calls().size(), 1u) << "the IAM role is no permission set";
}

}  // namespace
}  // namespace jit
