// The emulator's permission-set operations answer the same requests with the same shapes as
// moto_server's (moto 5.2), where moto has the operation: Put/Get/DeleteInlinePolicy,
// DescribePermissionSet, ProvisionPermissionSet. Known differences, asserted so they stay known:
// moto's permission-set ARNs are "<instance ARN>/ps-..." (not the model's "permissionSet/..."), its
// provisioning is SUCCEEDED at once with AccountId = moto's own account, and it has no
// DescribePermissionSetProvisioningStatus.
#include <gtest/gtest.h>

#include "aws/json_client.h"
#include "emulators/aws/aws_emulator.h"
#include "json_shape.h"
#include "net/https_client.h"
#include "ports/clock.h"
#include "support/moto_suite.h"

namespace jit::emulators {
namespace {
namespace aws_emulator_moto_test {  // its own names: the unity build compiles it beside other files

using json = nlohmann::json;

constexpr char kAccount[] = "123456789012";
const std::string kPolicy =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"JitCutoffr1","Effect":"Deny","Action":"*","Resource":"*",)"
    R"("Condition":{"DateGreaterThan":{"aws:CurrentTime":"2026-12-03T15:16:29Z"}}}]})";

std::set<std::string> shape(const json& j) { return json_shape(j); }

class EmulatorMatchesMoto : public jit::testing::MotoSuite {
 protected:
  void SetUp() override {
    MotoSuite::SetUp();
    if (HasFatalFailure()) return;
    auto moto_endpoint = net::Endpoint::parse(moto().url());
    ASSERT_TRUE(moto_endpoint) << moto_endpoint.error().message;
    moto_ = client(*moto_endpoint);
    auto instances = moto_->call("ListInstances", json::object());
    ASSERT_TRUE(instances) << instances.error().message;
    instance_ = (*instances)["Instances"][0]["InstanceArn"];
    auto created = moto_->call("CreatePermissionSet", {{"InstanceArn", instance_}, {"Name", "JitAdmin"}, {"SessionDuration", "PT2H"}});
    ASSERT_TRUE(created) << created.error().message;
    moto_set_ = (*created)["PermissionSet"]["PermissionSetArn"];

    // The emulator serves moto's instance, with a permission set of the same name and duration.
    emulator_set_ = "arn:aws:sso:::permissionSet/" + instance_.substr(instance_.find('/') + 1) + "/ps-0123456789abcdef";
    AwsEmulatorOptions options;
    options.instance_arn = instance_;
    options.provision_delay = std::chrono::milliseconds(0);
    options.permission_sets = {{emulator_set_, "JitAdmin", "PT2H"}};
    auto started = AwsEmulator::start(options);
    ASSERT_TRUE(started) << started.error().message;
    emulator_ = std::move(*started);
    emulator_client_ = client(emulator_->endpoint());
  }

  std::unique_ptr<aws::AwsJsonClient> client(const net::Endpoint& endpoint) {
    auto config = aws::AwsJsonClientConfig::for_service(aws::AwsService::sso_admin, endpoint, "us-east-1");
    config.retry.max_attempts = 1;
    return std::make_unique<aws::AwsJsonClient>(config, credentials_, *http_, clock_);
  }

  // The same request (each side's own permission set) to both; both answers must be successes.
  std::pair<json, json> both(std::string_view operation, json input) {
    input["InstanceArn"] = instance_;
    input["PermissionSetArn"] = moto_set_;
    auto from_moto = moto_->call(operation, input);
    input["PermissionSetArn"] = emulator_set_;
    auto from_emulator = emulator_client_->call(operation, input);
    EXPECT_TRUE(from_moto) << "moto " << operation << ": " << from_moto.error().message;
    EXPECT_TRUE(from_emulator) << "emulator " << operation << ": " << from_emulator.error().message;
    return {from_moto ? *from_moto : json(), from_emulator ? *from_emulator : json()};
  }

  aws::StaticCredentialsProvider credentials_{{kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""}};
  SystemClock clock_;
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client();
  std::unique_ptr<aws::AwsJsonClient> moto_, emulator_client_;
  std::unique_ptr<AwsEmulator> emulator_;
  std::string instance_, moto_set_, emulator_set_;
};

TEST_F(EmulatorMatchesMoto, InlinePolicyPutGetDeleteAnswerAlike) {
  auto [moto_empty, emulator_empty] = both("GetInlinePolicyForPermissionSet", json::object());
  EXPECT_EQ(moto_empty, emulator_empty) << "no inline policy yet";
  EXPECT_EQ(emulator_empty, json({{"InlinePolicy", ""}}));

  auto [moto_put, emulator_put] = both("PutInlinePolicyToPermissionSet", {{"InlinePolicy", kPolicy}});
  EXPECT_EQ(moto_put, emulator_put);
  auto [moto_get, emulator_get] = both("GetInlinePolicyForPermissionSet", json::object());
  EXPECT_EQ(moto_get, emulator_get);
  EXPECT_EQ(emulator_get["InlinePolicy"], kPolicy);

  auto [moto_delete, emulator_delete] = both("DeleteInlinePolicyFromPermissionSet", json::object());
  EXPECT_EQ(moto_delete, emulator_delete);
  auto [moto_after, emulator_after] = both("GetInlinePolicyForPermissionSet", json::object());
  EXPECT_EQ(moto_after, emulator_after);
}

TEST_F(EmulatorMatchesMoto, DescribePermissionSetAnswersAlike) {
  auto [from_moto, from_emulator] = both("DescribePermissionSet", json::object());
  EXPECT_EQ(shape(from_moto), shape(from_emulator)) << "moto " << from_moto.dump() << "\nemulator " << from_emulator.dump();
  for (const char* member : {"Name", "SessionDuration"})
    EXPECT_EQ(from_moto["PermissionSet"][member], from_emulator["PermissionSet"][member]) << member;
  EXPECT_TRUE(from_moto["PermissionSet"]["CreatedDate"].is_number());
  EXPECT_TRUE(from_emulator["PermissionSet"]["CreatedDate"].is_number());
}

TEST_F(EmulatorMatchesMoto, ProvisionPermissionSetAnswersWithTheSameShape) {
  auto [from_moto, from_emulator] =
      both("ProvisionPermissionSet", {{"TargetId", kAccount}, {"TargetType", "AWS_ACCOUNT"}});
  EXPECT_EQ(shape(from_moto), shape(from_emulator)) << "moto " << from_moto.dump() << "\nemulator " << from_emulator.dump();
  const json& moto_status = from_moto["PermissionSetProvisioningStatus"];
  const json& emulator_status = from_emulator["PermissionSetProvisioningStatus"];
  EXPECT_EQ(moto_status["Status"], "SUCCEEDED") << "moto: at once";
  EXPECT_EQ(emulator_status["Status"], "IN_PROGRESS") << "the emulator: until the first Describe (provision_delay 0)";
  EXPECT_EQ(emulator_status["AccountId"], kAccount);
  EXPECT_EQ(moto_status["RequestId"].get<std::string>().size(), emulator_status["RequestId"].get<std::string>().size());

  auto moto_describe = moto_->call("DescribePermissionSetProvisioningStatus",
                                   {{"InstanceArn", instance_}, {"ProvisionPermissionSetRequestId", moto_status["RequestId"]}});
  EXPECT_FALSE(moto_describe) << "moto learnt DescribePermissionSetProvisioningStatus: compare it here too";
}

}  // namespace aws_emulator_moto_test
}  // namespace
}  // namespace jit::emulators
