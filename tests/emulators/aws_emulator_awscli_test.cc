// Fidelity with a real client: Debian's awscli v2 (/usr/bin/aws, never an `aws` earlier on PATH,
// which may be pyenv's v1) against the jit-aws-emulator process. awscli's signatures must verify
// with our SigV4, a wrong secret must be refused, and the JSON it prints must be what AWS's would
// be. The test fails (never skips) when /usr/bin/aws is missing: scripts/setup installs it.
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "aws_emulator_ids.h"
#include "support/awscli_run.h"
#include "emulators/aws/aws_emulator.h"
#include "platform/child_process.h"
#include "support/free_port.h"

namespace jit::emulators {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr char kKeyId[] = "AKIDAWSCLITEST000001";
constexpr char kSecret[] = "awscli/test/secret+key0000000000000000000";
using namespace test_ids;

using awscli::CliRun;
using awscli::kAwsCli;
const auto& read_file = awscli::read_text;

class AwsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kAwsCli)) << kAwsCli << " is missing: install Debian's awscli v2 (scripts/setup, apt-get install awscli)";
    dir_ = fs::temp_directory_path() / fmt::format("jit-awscli-{}-{}", ::getpid(), ::testing::UnitTest::GetInstance()->random_seed());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "empty-config").close();

    port_ = jit::testing::free_port();
    std::vector<std::string> argv = {JIT_AWS_EMULATOR_BIN, "--port", std::to_string(port_), "--delay-ms", "0",
                                     "--provision-delay-ms", "0", "--permission-set", std::string(kPermissionSet) + ",PT4H",
                                     "--access-key-id", kKeyId, "--secret-access-key", kSecret,
                                     "--user", fmt::format("dana:dana@example.com:{}", kDanaId),
                                     "--schedule-group", "jit-access"};
    ChildOptions options;
    options.output_file = (dir_ / "emulator.log").string();
    auto process = ChildProcess::spawn(std::move(argv), std::move(options));
    ASSERT_TRUE(process) << process.error().message;
    emulator_ = std::move(*process);
    ASSERT_TRUE(emulator_->wait_for_http(port_)) << read_file(dir_ / "emulator.log");
    url_ = fmt::format("http://127.0.0.1:{}", port_);
  }
  void TearDown() override {
    if (emulator_) emulator_->stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Runs /usr/bin/aws with a clean AWS environment: only the given keys, empty config files.
  CliRun aws(std::vector<std::string> args, std::string secret = kSecret, std::vector<std::string> extra_env = {}) {
    return awscli::run_awscli(args, url_, dir_, {kKeyId, secret}, extra_env);
  }

  fs::path dir_;
  std::uint16_t port_ = 0;
  std::string url_;
  std::unique_ptr<ChildProcess> emulator_;
};

TEST_F(AwsCliTest, PrintsItsUrlAndServesAwsCliThroughTheAssignmentLifecycle) {
  // The port answers as soon as it listens; the URL line follows right after: wait for it.
  std::string printed;
  for (int i = 0; i < 500 && printed.find('\n') == std::string::npos; ++i) {
    printed = read_file(dir_ / "emulator.log");
    if (printed.find('\n') == std::string::npos) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(printed, url_ + "\n");

  auto user = aws({"identitystore", "get-user-id", "--identity-store-id", "d-1111111111", "--alternate-identifier",
                   R"({"UniqueAttribute":{"AttributePath":"emails.value","AttributeValue":"dana@example.com"}})"});
  ASSERT_EQ(user.exit_code, 0) << user.err;
  EXPECT_EQ(user.output(), json({{"UserId", kDanaId}, {"IdentityStoreId", "d-1111111111"}}));

  const std::vector<std::string> target = {"--instance-arn", kInstance, "--target-id", "123456789012", "--target-type",
                                           "AWS_ACCOUNT", "--permission-set-arn", kPermissionSet, "--principal-type",
                                           "USER", "--principal-id", kDanaId};
  auto create_args = target;
  create_args.insert(create_args.begin(), {"sso-admin", "create-account-assignment"});
  auto created = aws(create_args);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const json creation = created.output()["AccountAssignmentCreationStatus"];
  EXPECT_EQ(creation["Status"], "IN_PROGRESS");
  EXPECT_EQ(creation["PrincipalId"], kDanaId);
  const std::string request_id = creation["RequestId"];

  auto described = aws({"sso-admin", "describe-account-assignment-creation-status", "--instance-arn", kInstance,
                        "--account-assignment-creation-request-id", request_id});
  ASSERT_EQ(described.exit_code, 0) << described.err;
  EXPECT_EQ(described.output()["AccountAssignmentCreationStatus"]["Status"], "SUCCEEDED");
  EXPECT_EQ(described.output()["AccountAssignmentCreationStatus"]["RequestId"], request_id);

  const std::vector<std::string> list = {"sso-admin", "list-account-assignments", "--instance-arn", kInstance,
                                         "--account-id", "123456789012", "--permission-set-arn", kPermissionSet};
  auto listed = aws(list);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.output(), json({{"AccountAssignments",
                                    {{{"AccountId", "123456789012"}, {"PermissionSetArn", kPermissionSet},
                                      {"PrincipalType", "USER"}, {"PrincipalId", kDanaId}}}}}));

  auto delete_args = target;
  delete_args.insert(delete_args.begin(), {"sso-admin", "delete-account-assignment"});
  auto deleted = aws(delete_args);
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(deleted.output()["AccountAssignmentDeletionStatus"]["Status"], "IN_PROGRESS");
  auto deletion = aws({"sso-admin", "describe-account-assignment-deletion-status", "--instance-arn", kInstance,
                       "--account-assignment-deletion-request-id",
                       deleted.output()["AccountAssignmentDeletionStatus"]["RequestId"].get<std::string>()});
  ASSERT_EQ(deletion.exit_code, 0) << deletion.err;
  EXPECT_EQ(deletion.output()["AccountAssignmentDeletionStatus"]["Status"], "SUCCEEDED");
  listed = aws(list);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.output(), json({{"AccountAssignments", json::array()}}));
}

TEST_F(AwsCliTest, WrongSecretKeyGetsTheSignatureError) {
  auto refused = aws({"sso-admin", "list-instances"}, "not-the-secret-key");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("InvalidSignatureException"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("The request signature we calculated does not match"), std::string::npos) << refused.err;

  auto accepted = aws({"sso-admin", "list-instances"});
  ASSERT_EQ(accepted.exit_code, 0) << accepted.err;
  EXPECT_EQ(accepted.output()["Instances"][0]["InstanceArn"], kInstance);
}

TEST_F(AwsCliTest, StsWebIdentityCredentialsSignLaterCalls) {
  auto assumed = aws({"sts", "assume-role-with-web-identity", "--role-arn", "arn:aws:iam::123456789012:role/JitAccess",
                      "--role-session-name", "jit-awscli", "--web-identity-token", "header.payload.signature"});
  ASSERT_EQ(assumed.exit_code, 0) << assumed.err;
  const json credentials = assumed.output()["Credentials"];
  ASSERT_TRUE(credentials.contains("SessionToken")) << assumed.out;
  EXPECT_EQ(assumed.output()["AssumedRoleUser"]["Arn"], "arn:aws:sts::123456789012:assumed-role/JitAccess/jit-awscli");

  // awscli signs with the session credentials (X-Amz-Security-Token included).
  auto with_session = aws({"identitystore", "list-users", "--identity-store-id", "d-1111111111"},
                          credentials["SecretAccessKey"],
                          {"AWS_ACCESS_KEY_ID=" + credentials["AccessKeyId"].get<std::string>(),
                           "AWS_SESSION_TOKEN=" + credentials["SessionToken"].get<std::string>()});
  ASSERT_EQ(with_session.exit_code, 0) << with_session.err;
  EXPECT_EQ(with_session.output()["Users"][0]["UserName"], "dana");
}

// EventBridge Scheduler (rest-json). awscli 2.9.19's model predates ActionAfterCompletion, so
// these schedules keep the default NONE.
TEST_F(AwsCliTest, SchedulerCreateGetListDeleteWithAwsCli) {
  const std::string target = json({{"Arn", "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment"},
                                   {"RoleArn", "arn:aws:iam::123456789012:role/jit-scheduler"},
                                   {"Input", "{}"}}).dump();
  const std::vector<std::string> create = {"scheduler", "create-schedule", "--name", "jit-rab3k7mnp", "--group-name",
                                           "jit-access", "--schedule-expression", "at(2099-01-01T00:00:00)",
                                           "--schedule-expression-timezone", "UTC", "--flexible-time-window",
                                           R"({"Mode":"OFF"})", "--target", target};
  auto with_token = create;
  with_token.insert(with_token.end(), {"--client-token", "rab3k7mnp"});
  const std::string arn = "arn:aws:scheduler:us-east-1:123456789012:schedule/jit-access/jit-rab3k7mnp";
  auto created = aws(with_token);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.output(), json({{"ScheduleArn", arn}}));
  auto repeated = aws(with_token);  // same ClientToken, same request: same answer
  ASSERT_EQ(repeated.exit_code, 0) << repeated.err;
  EXPECT_EQ(repeated.output(), json({{"ScheduleArn", arn}}));
  auto conflict = aws(create);  // awscli makes up another ClientToken
  EXPECT_NE(conflict.exit_code, 0);
  EXPECT_NE(conflict.err.find("ConflictException"), std::string::npos) << conflict.err;
  EXPECT_NE(conflict.err.find("Schedule jit-rab3k7mnp already exists."), std::string::npos) << conflict.err;

  auto got = aws({"scheduler", "get-schedule", "--name", "jit-rab3k7mnp", "--group-name", "jit-access"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const json schedule = got.output();
  EXPECT_EQ(schedule["Arn"], arn);
  EXPECT_EQ(schedule["ScheduleExpression"], "at(2099-01-01T00:00:00)");
  EXPECT_EQ(schedule["State"], "ENABLED");
  EXPECT_EQ(schedule["Target"]["RetryPolicy"], json({{"MaximumEventAgeInSeconds", 86400}, {"MaximumRetryAttempts", 185}}));
  EXPECT_TRUE(schedule["CreationDate"].is_string()) << schedule;  // awscli prints the epoch seconds as ISO 8601

  auto listed = aws({"scheduler", "list-schedules", "--group-name", "jit-access"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  ASSERT_EQ(listed.output()["Schedules"].size(), 1u) << listed.out;
  EXPECT_EQ(listed.output()["Schedules"][0]["Name"], "jit-rab3k7mnp");

  auto wrong_name = aws({"scheduler", "get-schedule", "--name", "bad name"});
  EXPECT_NE(wrong_name.err.find("ValidationException"), std::string::npos) << wrong_name.err;

  auto deleted = aws({"scheduler", "delete-schedule", "--name", "jit-rab3k7mnp", "--group-name", "jit-access"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  auto gone = aws({"scheduler", "get-schedule", "--name", "jit-rab3k7mnp", "--group-name", "jit-access"});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_NE(gone.err.find("ResourceNotFoundException"), std::string::npos) << gone.err;
  auto no_group = aws({"scheduler", "list-schedules", "--group-name", "nope"});
  EXPECT_NE(no_group.err.find("Schedule group nope does not exist."), std::string::npos) << no_group.err;
}

// A schedule whose at() has passed fires on the process's own clock and deletes the assignment.
TEST_F(AwsCliTest, SchedulerFiresAPastSchedulesDeleteAccountAssignment) {
  const std::vector<std::string> assignment = {"--instance-arn", kInstance, "--target-id", "123456789012", "--target-type",
                                               "AWS_ACCOUNT", "--permission-set-arn", kPermissionSet, "--principal-type",
                                               "USER", "--principal-id", kDanaId};
  auto create_args = assignment;
  create_args.insert(create_args.begin(), {"sso-admin", "create-account-assignment"});
  ASSERT_EQ(aws(create_args).exit_code, 0);
  const std::vector<std::string> list = {"sso-admin", "list-account-assignments", "--instance-arn", kInstance,
                                         "--account-id", "123456789012", "--permission-set-arn", kPermissionSet};
  ASSERT_EQ(aws(list).output()["AccountAssignments"].size(), 1u);

  const json input = {{"InstanceArn", kInstance}, {"TargetId", "123456789012"}, {"TargetType", "AWS_ACCOUNT"},
                      {"PermissionSetArn", kPermissionSet}, {"PrincipalType", "USER"}, {"PrincipalId", kDanaId}};
  const std::string target = json({{"Arn", "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment"},
                                   {"RoleArn", "arn:aws:iam::123456789012:role/jit-scheduler"},
                                   {"Input", input.dump()}}).dump();
  auto created = aws({"scheduler", "create-schedule", "--name", "jit-past", "--group-name", "jit-access",
                      "--schedule-expression", "at(2020-01-01T00:00:00)", "--flexible-time-window", R"({"Mode":"OFF"})",
                      "--target", target});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  // The firing thread looks every 50 ms; each awscli run takes far longer.
  size_t remaining = 1;
  for (int i = 0; i < 20 && remaining > 0; ++i) remaining = aws(list).output()["AccountAssignments"].size();
  EXPECT_EQ(remaining, 0u);
}

TEST_F(AwsCliTest, InlinePolicyProvisioningAndPermissionSetThroughAwsCli) {
  const std::string document =
      R"({"Version":"2012-10-17","Statement":[{"Sid":"JitCutoffr1","Effect":"Deny","Action":"*","Resource":"*",)"
      R"("Condition":{"StringEquals":{"identitystore:UserId":"u","aws:PrincipalAccount":"123456789012"}}}]})";
  const std::vector<std::string> set = {"--instance-arn", kInstance, "--permission-set-arn", kPermissionSet};
  auto with = [&](std::vector<std::string> head, std::vector<std::string> tail = {}) {
    head.insert(head.end(), set.begin(), set.end());
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  };
  auto put = aws(with({"sso-admin", "put-inline-policy-to-permission-set"}, {"--inline-policy", document}));
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto got = aws(with({"sso-admin", "get-inline-policy-for-permission-set"}));
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.output(), json({{"InlinePolicy", document}}));

  auto provisioned = aws(with({"sso-admin", "provision-permission-set"},
                              {"--target-type", "AWS_ACCOUNT", "--target-id", "123456789012"}));
  ASSERT_EQ(provisioned.exit_code, 0) << provisioned.err;
  const json status = provisioned.output()["PermissionSetProvisioningStatus"];
  EXPECT_EQ(status["Status"], "IN_PROGRESS");
  EXPECT_EQ(status["AccountId"], "123456789012");
  EXPECT_EQ(status["PermissionSetArn"], kPermissionSet);
  EXPECT_TRUE(status["CreatedDate"].is_string()) << "awscli prints timestamps as text: " << provisioned.out;
  auto described = aws({"sso-admin", "describe-permission-set-provisioning-status", "--instance-arn", kInstance,
                        "--provision-permission-set-request-id", status["RequestId"].get<std::string>()});
  ASSERT_EQ(described.exit_code, 0) << described.err;
  EXPECT_EQ(described.output()["PermissionSetProvisioningStatus"]["Status"], "SUCCEEDED");

  auto bad_target = aws(with({"sso-admin", "provision-permission-set"}, {"--target-type", "AWS_ACCOUNT", "--target-id", "12345678901x"}));
  EXPECT_NE(bad_target.exit_code, 0);
  EXPECT_NE(bad_target.err.find("ValidationException"), std::string::npos) << bad_target.err;

  auto permission_set = aws(with({"sso-admin", "describe-permission-set"}));
  ASSERT_EQ(permission_set.exit_code, 0) << permission_set.err;
  EXPECT_EQ(permission_set.output()["PermissionSet"]["SessionDuration"], "PT4H");
  EXPECT_EQ(permission_set.output()["PermissionSet"]["PermissionSetArn"], kPermissionSet);
}

TEST_F(AwsCliTest, StopsCleanlyOnSigterm) {
  const int status = emulator_->stop();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace jit::emulators
