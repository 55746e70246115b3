// `jit doctor` as an operator runs it: the real binary against the AWS emulator (in process:
// sso-admin, identitystore, Scheduler, IAM and STS) and moto_server (the DynamoDB table), by exit
// code and by what it prints.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cmd/run_jit.h"
#include "demo/world.h"
#include "emulators/aws/aws_emulator.h"
#include "support/moto_suite.h"

namespace jit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::Outcome;
using testing::run;

constexpr char kInstance[] = "arn:aws:sso:::instance/ssoins-1111111111111111";
constexpr char kAdminSet[] = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000001";
constexpr char kReadOnlySet[] = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000002";
constexpr char kTable[] = "jit-doctor";

// An inline policy of the admin's, about `size` characters as IAM counts them.
std::string admin_policy(std::size_t size) {
  return fmt::format(
      R"({{"Version":"2012-10-17","Statement":[{{"Sid":"AdminS3","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}]}})",
      std::string(size - 120, 'b'));
}

class DoctorCliTest : public testing::MotoSuite {
 protected:
  void SetUp() override {
    MotoSuite::SetUp();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           fmt::format("jit-doctor-{}-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // The admin role is high tier: session_cutoff and scheduled_revoke are on by default.
    config_ = (dir_ / "jit.toml").string();
    std::ofstream(config_) << fmt::format(R"(
[store]
url = "dynamodb:{table}"
[aws]
region = "us-east-1"
instance_arn = "{instance}"
identity_store_id = "d-1111111111"
scheduler_role_arn = "arn:aws:iam::123456789012:role/jit-scheduler"
[[accounts]]
name = "prod"
id = "123456789012"
owner_channel = "C0PROD"
approvers = ["U0ALICE"]
  [[accounts.roles]]
  name = "admin"
  permission_set_arn = "{admin}"
  max_duration = "2h"
  tier = "high"
  requesters = ["*"]
  [[accounts.roles]]
  name = "read-only"
  permission_set_arn = "{read_only}"
  max_duration = "8h"
  requesters = ["*"]
)",
                                          fmt::arg("table", kTable), fmt::arg("instance", kInstance),
                                          fmt::arg("admin", kAdminSet), fmt::arg("read_only", kReadOnlySet));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Starts the emulator with the product's schedule group (unless `with_group` is false) and the
  // admin permission set as given.
  void start_aws(emulators::EmulatedPermissionSet admin_set, bool with_group = true) {
    emulators::AwsEmulatorOptions options;
    options.instance_arn = kInstance;
    options.identity_store_id = "d-1111111111";
    options.account_id = "123456789012";
    options.permission_sets = {std::move(admin_set)};
    if (with_group) options.schedule_groups = {"jit-access"};
    auto started = emulators::AwsEmulator::start(options);
    ASSERT_TRUE(started) << started.error().message;
    aws_ = std::move(*started);
  }

  // The environment of every `jit` run: the emulator's services, moto's DynamoDB, its keys; the
  // region only when `region`.
  std::string env(bool region = true) const {
    return fmt::format(
        "-u AWS_ENDPOINT_URL -u AWS_PROFILE -u AWS_SESSION_TOKEN -u JIT_STORE -u AWS_REGION -u AWS_DEFAULT_REGION "
        "{region} AWS_ENDPOINT_URL_SSO_ADMIN={aws} AWS_ENDPOINT_URL_IDENTITYSTORE={aws} AWS_ENDPOINT_URL_SCHEDULER={aws} "
        "AWS_ENDPOINT_URL_IAM={aws} AWS_ENDPOINT_URL_STS={aws} "
        "AWS_ENDPOINT_URL_DYNAMODB={moto} AWS_ACCESS_KEY_ID={key} AWS_SECRET_ACCESS_KEY={secret} "
        "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true",
        fmt::arg("region", region ? "AWS_REGION=us-east-1" : ""),
        fmt::arg("aws", aws_->url()), fmt::arg("moto", moto().url()), fmt::arg("key", emulators::kEmulatorAccessKeyId),
        fmt::arg("secret", emulators::kEmulatorSecretAccessKey));
  }

  Outcome doctor(const std::string& flags = "") { return run("doctor --config " + config_ + " " + flags, env()); }

  void init_table() {
    Outcome made = run(fmt::format("store init --config {} --store dynamodb:{}", config_, kTable), env());
    ASSERT_EQ(made.code, 0) << made.out;
  }

  std::filesystem::path dir_;
  std::string config_;
  std::unique_ptr<emulators::AwsEmulator> aws_;
};

TEST_F(DoctorCliTest, AllWellExitsZeroAndLeavesNoProbeBehind) {
  start_aws({.arn = kAdminSet, .name = "Admin", .session_duration = "PT1H"});
  init_table();
  const Outcome out = doctor();
  EXPECT_EQ(out.code, 0) << out.out;
  EXPECT_THAT(out.out, HasSubstr("ok      identity store: d-1111111111 answers GetUserId"));
  EXPECT_THAT(out.out, HasSubstr("ok      permission set prod/admin: Admin exists; session duration PT1H"));
  EXPECT_THAT(out.out, HasSubstr("ok      permission set prod/admin cut-off: 30 more cut-off statements fit"));
  EXPECT_THAT(out.out, HasSubstr("ok      scheduler: group jit-access takes schedules run as "
                                 "arn:aws:iam::123456789012:role/jit-scheduler"));
  EXPECT_THAT(out.out, HasSubstr("ok      table jit-doctor: ACTIVE with this store's key and indexes; TTL ENABLED"));
  EXPECT_THAT(out.out, HasSubstr("all is well"));
  EXPECT_THAT(out.out, Not(HasSubstr("FAILED")));

  const auto schedules = aws_->schedules();
  EXPECT_TRUE(schedules["schedules"].empty()) << "the probe must be deleted: " << schedules.dump();
  const auto calls = aws_->calls();
  EXPECT_EQ(calls["operations"]["scheduler:CreateSchedule"]["ok"], 1) << calls.dump();
  EXPECT_EQ(calls["operations"]["scheduler:DeleteSchedule"]["ok"], 1) << calls.dump();
}

TEST_F(DoctorCliTest, AMissingScheduleGroupExitsOneWithTheFix) {
  start_aws({.arn = kAdminSet, .name = "Admin", .session_duration = "PT1H"}, /*with_group=*/false);
  const Outcome out = doctor("--store sqlite:" + (dir_ / "jit.db").string());
  EXPECT_EQ(out.code, 1) << out.out;
  EXPECT_THAT(out.out, HasSubstr("FAILED  scheduler: scheduler CreateSchedule failed: ResourceNotFoundException: "
                                 "Schedule group jit-access does not exist."));
  EXPECT_THAT(out.out, HasSubstr("fix: create the schedule group jit-access"));
  EXPECT_THAT(out.out, HasSubstr("skip    table: the store is sqlite:")) << "--store wins over the policy's";
  EXPECT_THAT(out.out, HasSubstr("something to fix (see FAILED above)"));
}

TEST_F(DoctorCliTest, AMissingTableExitsOne) {
  start_aws({.arn = kAdminSet, .name = "Admin", .session_duration = "PT1H"});
  const Outcome out = doctor();
  EXPECT_EQ(out.code, 1) << out.out;
  EXPECT_THAT(out.out, HasSubstr("FAILED  table jit-doctor: dynamodb DescribeTable failed: ResourceNotFoundException"));
  EXPECT_THAT(out.out, HasSubstr("fix: create it: jit store init --store dynamodb:jit-doctor"));
}

TEST_F(DoctorCliTest, ALongSessionDurationFailsOnlyWhenStrict) {
  start_aws({.arn = kAdminSet, .name = "Admin", .session_duration = "PT12H"});
  init_table();
  const Outcome relaxed = doctor();
  EXPECT_EQ(relaxed.code, 0) << relaxed.out;
  EXPECT_THAT(relaxed.out, HasSubstr("warn    permission set prod/admin: Admin exists; its session duration is PT12H"));
  const Outcome strict = doctor("--strict");
  EXPECT_EQ(strict.code, 1) << strict.out;
  EXPECT_THAT(strict.out, HasSubstr("something to fix (see FAILED and warn above)"));
}

TEST_F(DoctorCliTest, JsonOutputParsesAndNamesAFullInlinePolicy) {
  start_aws({.arn = kAdminSet, .name = "Admin", .session_duration = "PT12H", .inline_policy = admin_policy(10'200)});
  init_table();
  // stdout alone: the document, whatever jit logs on stderr.
  const Outcome out = testing::run_shell(fmt::format("(env -u JIT_AUDIT_KEY -u JIT_CONFIG {} {} doctor --config {} "
                                                     "--output json 2>/dev/null)",
                                                     env(), JIT_BINARY, config_));
  EXPECT_EQ(out.code, 1) << out.out;
  const auto document = nlohmann::json::parse(out.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(document.is_discarded()) << out.out;
  EXPECT_EQ(document["healthy"], false);
  std::map<std::string, nlohmann::json> by_check;
  for (const auto& f : document["findings"]) by_check[f["check"].get<std::string>()] = f;
  EXPECT_EQ(by_check["permission set prod/admin"]["level"], "warn");
  const auto& cutoff = by_check["permission set prod/admin cut-off"];
  EXPECT_EQ(cutoff["level"], "FAILED");
  EXPECT_THAT(cutoff["detail"].get<std::string>(), HasSubstr("no cut-off statement fits its inline policy"));
  EXPECT_THAT(cutoff["fix"].get<std::string>(), HasSubstr("session_cutoff = false"));
  EXPECT_EQ(by_check["permission set prod/read-only"]["level"], "ok") << "the unseeded set: PT1H";
  EXPECT_EQ(by_check["scheduler"]["level"], "ok");
}

TEST_F(DoctorCliTest, HelpSaysWhatItChecksAndTheExitCodes) {
  const Outcome help = run("doctor --help");
  EXPECT_EQ(help.code, 0) << help.out;
  for (const char* part : {"identity store", "session duration", "cut-off", "execution role", "TTL", "management role",
                           "trust policy", "MaxSessionDuration", "--strict",
                           "--output", "--store", "0 all is well", "1 something to fix", "2 usage or configuration"})
    EXPECT_THAT(help.out, HasSubstr(part));
}

TEST_F(DoctorCliTest, AConfigurationErrorExitsTwo) {
  start_aws({.arn = kAdminSet});
  const Outcome out = run("doctor --config " + (dir_ / "missing.toml").string(), env());
  EXPECT_EQ(out.code, 2) << out.out;
  // No region anywhere: the policy's is taken out, and the environment has none.
  std::string text = testing::read_text(config_);
  text.erase(text.find("region = \"us-east-1\"\n"), std::string_view("region = \"us-east-1\"\n").size());
  const std::string regionless = (dir_ / "no-region.toml").string();
  std::ofstream(regionless) << text;
  const Outcome no_region = run("doctor --config " + regionless, env(/*region=*/false));
  EXPECT_EQ(no_region.code, 2) << no_region.out;
  EXPECT_THAT(no_region.out, HasSubstr("region"));
}


// Issue 16: the demo's policy with the legacy account on the IAM-role path, the emulator seeded
// with its roles (demo::legacy_iam_seed): the management role is assumed with the external id.
class DoctorIamRoleCliTest : public DoctorCliTest {
 protected:
  // The demo's policy with `external_id` for legacy; without `identity_center`, legacy alone and
  // no Identity Center settings.
  void start_legacy(const std::string& external_id, bool identity_center = true) {
    emulators::AwsEmulatorOptions options;
    options.instance_arn = demo::kInstanceArn;
    options.identity_store_id = demo::kIdentityStoreId;
    auto started = emulators::AwsEmulator::start(options);
    ASSERT_TRUE(started) << started.error().message;
    aws_ = std::move(*started);
    auto seeded = aws_->seed_iam(nlohmann::json::parse(demo::legacy_iam_seed()));
    ASSERT_TRUE(seeded) << seeded.error().message;
    std::string policy = demo::policy_text(
        {.store_url = "sqlite:" + (dir_ / "jit.db").string(), .identity_center = identity_center, .iam_role = true});
    if (!identity_center) {
      const auto first = policy.find("[[accounts]]");
      const auto legacy = policy.find("[[accounts]]\nname = \"legacy\"");
      ASSERT_NE(legacy, std::string::npos);
      policy.erase(first, legacy - first);
    }
    const std::string line = fmt::format("external_id = \"{}\"", demo::kLegacyExternalId);
    ASSERT_NE(policy.find(line), std::string::npos);
    policy.replace(policy.find(line), line.size(), fmt::format("external_id = \"{}\"", external_id));
    std::ofstream(config_) << policy;
  }
};

TEST_F(DoctorIamRoleCliTest, TheLegacyRoleIsCheckedThroughItsManagementRole) {
  start_legacy(demo::kLegacyExternalId);
  const Outcome out = doctor();
  EXPECT_EQ(out.code, 0) << out.out;
  EXPECT_THAT(out.out, HasSubstr(fmt::format("ok      management role {}: assumed with the account's external id to "
                                             "ask IAM about {}",
                                             demo::kLegacyManagementRole, demo::kLegacyAdminRole)));
  EXPECT_THAT(out.out, HasSubstr(fmt::format("ok      role legacy/admin: {} exists; MaxSessionDuration 3600 s",
                                             demo::kLegacyAdminRole)));
  EXPECT_THAT(out.out, HasSubstr("ok      role legacy/admin trust policy: 5 more grants fit (trust policy "));
  EXPECT_THAT(out.out, ::testing::ContainsRegex("ok      role legacy/admin cut-off: [0-9]+ more cut-off statements fit "
                                                "\\(inline policy [0-9]+ of 10240 characters used, 0 of ours live"));
  // The seed's CI statement lets ci-deployer assume the role at any time: doctor says so.
  EXPECT_THAT(out.out, HasSubstr("warn    role legacy/admin standing access: statements let principals assume it "
                                 "without a time condition, outside JIT: CiDeploy"));
  EXPECT_THAT(out.out, HasSubstr("ok      permission set prod/admin")) << "the Identity Center accounts too";
  EXPECT_THAT(out.out, Not(HasSubstr("FAILED")));
  EXPECT_THAT(out.out, Not(HasSubstr(demo::kLegacyExternalId)));
  EXPECT_EQ(doctor("--strict").code, 1) << "the standing statement is a warning";
}

// A deployment with no Identity Center at all: no instance_arn, and doctor still comes out healthy.
TEST_F(DoctorIamRoleCliTest, AnIamRoleOnlyPolicyNeedsNoIdentityCenter) {
  start_legacy(demo::kLegacyExternalId, /*identity_center=*/false);
  const Outcome out = doctor();
  EXPECT_EQ(out.code, 0) << out.out;
  EXPECT_THAT(out.out, HasSubstr("skip    identity center: no account in policy is on Identity Center"));
  EXPECT_THAT(out.out, HasSubstr("ok      role legacy/admin: "));
  EXPECT_THAT(out.out, Not(HasSubstr("identity store")));
  EXPECT_THAT(out.out, HasSubstr("all is well"));
}

// The role's cut-off inline policy filled by the admin's own statement: no cut-off fits, and each
// grant of the role would fail, so doctor fails naming it and the fix.
TEST_F(DoctorIamRoleCliTest, ACutoffPolicyWithNoRoomFailsWithTheFix) {
  start_legacy(demo::kLegacyExternalId);
  nlohmann::json seed = nlohmann::json::parse(demo::legacy_iam_seed());
  nlohmann::json resources = nlohmann::json::array();
  for (int i = 0; i < 235; ++i) resources.push_back(fmt::format("arn:aws:s3:::bucket-of-the-admin-{:04}/*", i));
  bool found = false;
  for (auto& role : seed["roles"])
    if (role.value("arn", "") == demo::kLegacyAdminRole) {
      found = true;
      role["inline_policies"] = {
          {"jit-access-cutoffs",
           {{"Version", "2012-10-17"},
            {"Statement", {{{"Sid", "AdminDeny"}, {"Effect", "Deny"}, {"Action", "s3:*"}, {"Resource", resources}}}}}}};
    }
  ASSERT_TRUE(found);
  auto seeded = aws_->seed_iam(seed);
  ASSERT_TRUE(seeded) << seeded.error().message;
  const Outcome out = doctor();
  EXPECT_EQ(out.code, 1) << out.out;
  EXPECT_THAT(out.out, HasSubstr("FAILED  role legacy/admin cut-off: no cut-off statement fits (inline policy "));
  EXPECT_THAT(out.out, HasSubstr("fix: remove the admin's statements from that inline policy"));
}

TEST_F(DoctorIamRoleCliTest, AWrongExternalIdFailsWithTheFix) {
  start_legacy("jit-wrong-0000");
  const Outcome out = doctor();
  EXPECT_EQ(out.code, 1) << out.out;
  EXPECT_THAT(out.out, HasSubstr(fmt::format("FAILED  management role {}: STS AssumeRole failed: AccessDenied: User: "
                                             "{} is not authorized to perform: sts:AssumeRole on resource: {}",
                                             demo::kLegacyManagementRole, demo::kServicePrincipal,
                                             demo::kLegacyManagementRole)));
  EXPECT_THAT(out.out, HasSubstr("fix: deploy deploy/iam-role-management.yaml in account 222222222222 (the StackSet) "
                                 "with the ExternalId that account legacy has as external_id in policy"));
  EXPECT_THAT(out.out, HasSubstr("skip    role legacy/admin: not checked: the management role cannot be assumed"));
  EXPECT_THAT(out.out, HasSubstr("something to fix (see FAILED above)"));
  EXPECT_THAT(out.out, Not(HasSubstr("jit-wrong-0000")));
}

}  // namespace
}  // namespace jit
