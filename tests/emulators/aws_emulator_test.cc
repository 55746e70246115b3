// The AWS emulator in process, driven by our own client pieces (net::make_http_client +
// aws::AwsJsonClient, aws::assume_role_with_web_identity): the asynchronous assignment
// lifecycle, pagination, validation, signature checks, fault injection and the control API.
// Time is a manual clock shared by the emulator and the signer: nothing sleeps.
#include "fakes/manual_clock.h"
#include "emulators/aws/aws_emulator.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <thread>

#include "aws/identity_center.h"
#include "aws/json_client.h"
#include "aws/sts_web_identity.h"
#include "net/https_client.h"
#include "aws_emulator_ids.h"
#include "ports/clock.h"

namespace jit::emulators {
namespace {

using namespace std::chrono_literals;
using namespace test_ids;
using json = nlohmann::json;
using std::chrono::system_clock;

// One time source for both sides, in milliseconds; the signer's view is whole seconds.
class TestTime final : public ManualClock {
 public:
  TestTime() : ManualClock(TimePoint(std::chrono::seconds(1'795'000'000))) {}  // 2026-11-18
  system_clock::time_point now_ms() const { return precise_now(); }
};

// A clock that runs behind the emulator's by a fixed amount (a client with a skewed clock).
class SkewedClock final : public ClockWrapper {
 public:
  SkewedClock(const Clock& base, Seconds skew) : ClockWrapper(base), skew_(skew) {}
  TimePoint now() const override { return ClockWrapper::now() + skew_; }

 private:
  Seconds skew_;
};

class AwsEmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(std::function<void(AwsEmulatorOptions&)> customize) {
    emulator_.reset();
    AwsEmulatorOptions options;
    options.users = {{"dana", "dana@example.com", kDanaId}, {"eli", "eli@example.com"}};
    options.assignment_delay = 1000ms;
    options.clock = [this] { return time_.now_ms(); };
    options.seed = 42;
    if (customize) customize(options);
    auto started = AwsEmulator::start(options);
    ASSERT_TRUE(started) << started.error().message;
    emulator_ = std::move(*started);
  }

  std::expected<json, aws::AwsError> call(aws::AwsService service, std::string_view operation, const json& input,
                                          aws::Credentials credentials = {kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""},
                                          const Clock* clock = nullptr) {
    auto config = aws::AwsJsonClientConfig::for_service(service, emulator_->endpoint(), "us-east-1");
    config.retry.max_attempts = 1;
    aws::StaticCredentialsProvider provider(std::move(credentials));
    aws::AwsJsonClient client(config, provider, *http_, clock ? *clock : time_);
    return client.call(operation, input);
  }
  std::expected<json, aws::AwsError> sso(std::string_view operation, const json& input) {
    return call(aws::AwsService::sso_admin, operation, input);
  }

  net::HttpResponse raw(std::string method, std::string target, std::string body = "", net::Headers headers = {}) {
    auto response = http_->send(emulator_->endpoint(), {std::move(method), std::move(target), std::move(headers), std::move(body)});
    EXPECT_TRUE(response) << response.error().message;
    return response ? *response : net::HttpResponse{};
  }
  json control(std::string method, std::string path, std::string body = "") {
    auto response = raw(std::move(method), "/_emulator/" + std::move(path), std::move(body));
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body, nullptr, false);
  }

  static json assignment(std::string principal = kDanaId) {
    return {{"InstanceArn", kInstance},      {"TargetId", kAccount},    {"TargetType", "AWS_ACCOUNT"},
            {"PermissionSetArn", kPermissionSet}, {"PrincipalType", "USER"}, {"PrincipalId", principal}};
  }
  static json list_input() { return {{"InstanceArn", kInstance}, {"AccountId", kAccount}, {"PermissionSetArn", kPermissionSet}}; }

  std::string status_of(const char* describe, const char* id_member, const char* result_member, const std::string& id) {
    auto r = sso(describe, {{"InstanceArn", kInstance}, {id_member, id}});
    EXPECT_TRUE(r) << r.error().code << ": " << r.error().message;
    return r ? (*r)[result_member].value("Status", "") : "";
  }
  std::string creation_status(const std::string& id) {
    return status_of("DescribeAccountAssignmentCreationStatus", "AccountAssignmentCreationRequestId",
                     "AccountAssignmentCreationStatus", id);
  }
  std::string deletion_status(const std::string& id) {
    return status_of("DescribeAccountAssignmentDeletionStatus", "AccountAssignmentDeletionRequestId",
                     "AccountAssignmentDeletionStatus", id);
  }
  size_t listed() {
    auto r = sso("ListAccountAssignments", list_input());
    EXPECT_TRUE(r) << r.error().message;
    return r ? (*r)["AccountAssignments"].size() : 0;
  }

  TestTime time_;
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client();
  std::unique_ptr<AwsEmulator> emulator_;
};

TEST_F(AwsEmulatorTest, CreationIsInProgressUntilTheDelayPassesThenListed) {
  auto created = sso("CreateAccountAssignment", assignment());
  ASSERT_TRUE(created) << created.error().message;
  const json& status = (*created)["AccountAssignmentCreationStatus"];
  EXPECT_EQ(status["Status"], "IN_PROGRESS");
  EXPECT_EQ(status["PrincipalId"], kDanaId);
  EXPECT_EQ(status["TargetId"], kAccount);
  const std::string id = status["RequestId"];
  EXPECT_EQ(id.size(), 36u);

  EXPECT_EQ(creation_status(id), "IN_PROGRESS");
  EXPECT_EQ(listed(), 0u);
  EXPECT_EQ(control("GET", "assignments")["in_progress"].size(), 1u);

  time_.advance(999ms);
  EXPECT_EQ(creation_status(id), "IN_PROGRESS");
  time_.advance(1ms);
  EXPECT_EQ(creation_status(id), "SUCCEEDED");
  auto list = sso("ListAccountAssignments", list_input());
  ASSERT_TRUE(list);
  ASSERT_EQ((*list)["AccountAssignments"].size(), 1u);
  EXPECT_EQ((*list)["AccountAssignments"][0],
            json({{"AccountId", kAccount}, {"PermissionSetArn", kPermissionSet}, {"PrincipalType", "USER"}, {"PrincipalId", kDanaId}}));
  const json state = control("GET", "assignments");
  ASSERT_EQ(state["assignments"].size(), 1u);
  EXPECT_EQ(state["assignments"][0]["PrincipalId"], kDanaId);
  EXPECT_TRUE(state["in_progress"].empty());
}

TEST_F(AwsEmulatorTest, DeletionIsInProgressUntilTheDelayPassesThenGone) {
  ASSERT_TRUE(sso("CreateAccountAssignment", assignment()));
  time_.advance(1s);
  ASSERT_EQ(listed(), 1u);

  auto deleted = sso("DeleteAccountAssignment", assignment());
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ((*deleted)["AccountAssignmentDeletionStatus"]["Status"], "IN_PROGRESS");
  const std::string id = (*deleted)["AccountAssignmentDeletionStatus"]["RequestId"];
  EXPECT_EQ(deletion_status(id), "IN_PROGRESS");
  EXPECT_EQ(listed(), 1u);
  time_.advance(1s);
  EXPECT_EQ(deletion_status(id), "SUCCEEDED");
  EXPECT_EQ(listed(), 0u);

  // A deletion id is not a creation id.
  auto wrong_kind = sso("DescribeAccountAssignmentCreationStatus",
                        {{"InstanceArn", kInstance}, {"AccountAssignmentCreationRequestId", id}});
  ASSERT_FALSE(wrong_kind);
  EXPECT_EQ(wrong_kind.error().code, "ResourceNotFoundException");
}

TEST_F(AwsEmulatorTest, DuplicateCreateAndMissingDeleteSucceedWithoutChangingAnything) {
  ASSERT_TRUE(sso("CreateAccountAssignment", assignment()));
  auto again = sso("CreateAccountAssignment", assignment());
  ASSERT_TRUE(again);
  time_.advance(1s);
  EXPECT_EQ(creation_status((*again)["AccountAssignmentCreationStatus"]["RequestId"]), "SUCCEEDED");
  EXPECT_EQ(listed(), 1u);

  auto missing = sso("DeleteAccountAssignment", assignment("1111111111-00000000-0000-4000-8000-000000000000"));
  ASSERT_TRUE(missing);
  time_.advance(1s);
  EXPECT_EQ(deletion_status((*missing)["AccountAssignmentDeletionStatus"]["RequestId"]), "SUCCEEDED");
  EXPECT_EQ(listed(), 1u);
}

TEST_F(AwsEmulatorTest, ZeroDelaySucceedsAtTheFirstDescribe) {
  start([](AwsEmulatorOptions& o) { o.assignment_delay = 0ms; });
  auto created = sso("CreateAccountAssignment", assignment());
  ASSERT_TRUE(created);
  EXPECT_EQ((*created)["AccountAssignmentCreationStatus"]["Status"], "IN_PROGRESS");
  EXPECT_EQ(creation_status((*created)["AccountAssignmentCreationStatus"]["RequestId"]), "SUCCEEDED");
}

TEST_F(AwsEmulatorTest, ListAccountAssignmentsPaginatesWithMaxResultsAndNextToken) {
  std::vector<std::string> principals;
  for (int i = 0; i < 5; ++i) {
    principals.push_back(fmt::format("1111111111-0000000{}-0000-4000-8000-000000000000", i));
    ASSERT_TRUE(sso("CreateAccountAssignment", assignment(principals.back())));
  }
  time_.advance(1s);
  std::vector<std::string> seen;
  json input = list_input();
  input["MaxResults"] = 2;
  int pages = 0;
  for (;;) {
    auto page = sso("ListAccountAssignments", input);
    ASSERT_TRUE(page) << page.error().message;
    ++pages;
    EXPECT_LE((*page)["AccountAssignments"].size(), 2u);
    for (const auto& a : (*page)["AccountAssignments"]) seen.push_back(a["PrincipalId"]);
    if (!page->contains("NextToken")) break;
    input["NextToken"] = (*page)["NextToken"];
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, principals);

  input["NextToken"] = "not-a-token";
  auto bad = sso("ListAccountAssignments", input);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "ValidationException");
  input.erase("NextToken");
  input["MaxResults"] = 0;
  bad = sso("ListAccountAssignments", input);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(contains(bad.error().message, "Member must have value greater than or equal to 1")) << bad.error().message;
}

TEST_F(AwsEmulatorTest, MissingOrMalformedMembersAreValidationExceptionsLikeAws) {
  json input = assignment();
  input.erase("InstanceArn");
  input["TargetId"] = "12345";
  auto r = sso("CreateAccountAssignment", input);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().http_status, 400);
  EXPECT_EQ(r.error().code, "ValidationException");
  EXPECT_TRUE(contains(r.error().message, "validation errors detected")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "Value null at 'instanceArn' failed to satisfy constraint: Member must not be null"))
      << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "Value '12345' at 'targetId'")) << r.error().message;

  input = assignment();
  input["PrincipalType"] = "ROBOT";
  r = sso("CreateAccountAssignment", input);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "enum value set: [USER, GROUP]")) << r.error().message;

  input = assignment();
  input["InstanceArn"] = "arn:aws:sso:::instance/ssoins-9999999999999999";
  r = sso("CreateAccountAssignment", input);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ResourceNotFoundException");

  auto unknown = sso("CreatePermissionSet", json::object());
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "UnknownOperationException");
}

TEST_F(AwsEmulatorTest, ListInstancesNamesTheInstanceAndItsIdentityStore) {
  auto r = sso("ListInstances", json::object());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)["Instances"], json::array({{{"InstanceArn", kInstance}, {"IdentityStoreId", kStore}}}));
}

TEST_F(AwsEmulatorTest, WrongSecretIsRefusedWithInvalidSignatureException) {
  auto r = call(aws::AwsService::sso_admin, "ListInstances", json::object(), {kEmulatorAccessKeyId, "not-the-secret", ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().http_status, 403);
  EXPECT_EQ(r.error().code, "InvalidSignatureException");
  EXPECT_TRUE(contains(r.error().message, "The request signature we calculated does not match the signature you provided"));
  EXPECT_EQ(r.error().body["__type"], "InvalidSignatureException");
  EXPECT_EQ(emulator_->calls()["operations"]["sso-admin:ListInstances"]["InvalidSignatureException"], 1);
}

TEST_F(AwsEmulatorTest, UnknownAccessKeyIsUnrecognizedClient) {
  auto r = call(aws::AwsService::identitystore, "ListUsers", {{"IdentityStoreId", kStore}}, {"AKIDNOTKNOWN00000000", "x", ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().http_status, 403);
  EXPECT_EQ(r.error().code, "UnrecognizedClientException");
}

TEST_F(AwsEmulatorTest, SignatureOlderThanFifteenMinutesIsExpired) {
  SkewedClock late(time_, -Seconds(16 * 60));
  auto r = call(aws::AwsService::sso_admin, "ListInstances", json::object(),
                {kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""}, &late);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().http_status, 403);
  EXPECT_EQ(r.error().code, "InvalidSignatureException");
  EXPECT_TRUE(contains(r.error().message, "Signature expired")) << r.error().message;

  SkewedClock slightly_late(time_, -Seconds(14 * 60));
  EXPECT_TRUE(call(aws::AwsService::sso_admin, "ListInstances", json::object(),
                   {kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""}, &slightly_late));
}

TEST_F(AwsEmulatorTest, SignatureForAnotherServiceOrRegionIsRefused) {
  // identitystore's target signed with sso-admin's signing name.
  auto config = aws::AwsJsonClientConfig::for_service(aws::AwsService::identitystore, emulator_->endpoint(), "us-east-1");
  config.signing_name = "sso";
  config.retry.max_attempts = 1;
  aws::StaticCredentialsProvider provider({kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""});
  aws::AwsJsonClient client(config, provider, *http_, time_);
  auto r = client.call("ListUsers", {{"IdentityStoreId", kStore}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidSignatureException");

  auto other_region = aws::AwsJsonClientConfig::for_service(aws::AwsService::sso_admin, emulator_->endpoint(), "eu-west-1");
  other_region.retry.max_attempts = 1;
  aws::AwsJsonClient regional(other_region, provider, *http_, time_);
  r = regional.call("ListInstances", json::object());
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "Credential should be scoped to a valid region")) << r.error().message;
}

TEST_F(AwsEmulatorTest, MissingOrGarbledAuthorizationIsRefused) {
  auto response = raw("POST", "/", "{}", {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", "SWBExternalService.ListInstances"}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(json::parse(response.body)["__type"], "MissingAuthenticationTokenException");

  response = raw("POST", "/", "{}",
                 {{"Content-Type", "application/x-amz-json-1.1"},
                  {"X-Amz-Target", "SWBExternalService.ListInstances"},
                  {"X-Amz-Date", "20261118T000000Z"},
                  {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDJITEMULATOR00001/20261118/us-east-1/sso/aws4_request"}});
  EXPECT_EQ(response.status, 400);
  const json body = json::parse(response.body);
  EXPECT_EQ(body["__type"], "IncompleteSignatureException");
  EXPECT_TRUE(contains(body["message"], "'SignedHeaders'")) << response.body;
}

TEST_F(AwsEmulatorTest, SessionCredentialsNeedTheirToken) {
  start([](AwsEmulatorOptions& o) {
    o.credentials = {{"ASIAEMULATORSESSION1", "session-secret", "the-token"}, {"AKIDSECONDKEY0000000", "second", ""}};
  });
  EXPECT_TRUE(call(aws::AwsService::sso_admin, "ListInstances", json::object(), {"ASIAEMULATORSESSION1", "session-secret", "the-token"}));
  EXPECT_TRUE(call(aws::AwsService::sso_admin, "ListInstances", json::object(), {"AKIDSECONDKEY0000000", "second", ""}));
  auto r = call(aws::AwsService::sso_admin, "ListInstances", json::object(), {"ASIAEMULATORSESSION1", "session-secret", "other-token"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "UnrecognizedClientException");
  // The default pair is no longer accepted once pairs are configured.
  r = call(aws::AwsService::sso_admin, "ListInstances", json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "UnrecognizedClientException");
}

TEST_F(AwsEmulatorTest, ThrottleEveryThirdCallWithRateExceeded) {
  EXPECT_EQ(control("POST", "faults", R"({"throttle_every": 3})")["throttle_every"], 3);
  EXPECT_TRUE(sso("ListInstances", json::object()));
  EXPECT_TRUE(sso("ListInstances", json::object()));
  auto third = sso("ListInstances", json::object());
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().http_status, 400);
  EXPECT_EQ(third.error().code, "ThrottlingException");
  EXPECT_EQ(third.error().message, "Rate exceeded");
  EXPECT_TRUE(third.error().retryable);
  EXPECT_TRUE(sso("ListInstances", json::object()));

  const json calls = control("GET", "calls");
  EXPECT_EQ(calls["total"], 4);
  EXPECT_EQ(calls["operations"]["sso-admin:ListInstances"]["ok"], 3);
  EXPECT_EQ(calls["operations"]["sso-admin:ListInstances"]["ThrottlingException"], 1);

  // The client's retry gets through the throttled call.
  control("POST", "faults", R"({"throttle_every": 2})");
  auto config = aws::AwsJsonClientConfig::for_service(aws::AwsService::sso_admin, emulator_->endpoint(), "us-east-1");
  aws::StaticCredentialsProvider provider({kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""});
  aws::AwsJsonClient retrying(config, provider, *http_, time_);  // its backoff moves the manual clock on
  EXPECT_TRUE(retrying.call("ListInstances", json::object()));
  EXPECT_TRUE(retrying.call("ListInstances", json::object()));
}

TEST_F(AwsEmulatorTest, DeletionDelayIsSetApartFromCreation) {
  start([](AwsEmulatorOptions& o) {
    o.assignment_delay = 0ms;
    o.deletion_delay = 1000ms;  // Identity Center takes about a second to delete
  });
  auto created = sso("CreateAccountAssignment", assignment());
  ASSERT_TRUE(created);
  EXPECT_EQ(creation_status((*created)["AccountAssignmentCreationStatus"]["RequestId"]), "SUCCEEDED");
  auto deleted = sso("DeleteAccountAssignment", assignment());
  ASSERT_TRUE(deleted);
  const std::string id = (*deleted)["AccountAssignmentDeletionStatus"]["RequestId"];
  time_.advance(999ms);
  EXPECT_EQ(deletion_status(id), "IN_PROGRESS");
  EXPECT_EQ(listed(), 1u);
  time_.advance(1ms);
  EXPECT_EQ(deletion_status(id), "SUCCEEDED");
  EXPECT_EQ(listed(), 0u);
}

TEST_F(AwsEmulatorTest, ThrottlePerSecondCountsEachOperationInItsOwnSecond) {
  start([](AwsEmulatorOptions& o) { o.throttle_per_second = 2; });
  EXPECT_EQ(emulator_->faults().throttle_per_second, 2) << "the option is the initial fault";
  EXPECT_TRUE(sso("ListInstances", json::object()));
  EXPECT_TRUE(sso("ListInstances", json::object()));
  auto third = sso("ListInstances", json::object());
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, "ThrottlingException");
  EXPECT_TRUE(third.error().retryable);
  EXPECT_TRUE(sso("ListAccountAssignments", list_input())) << "another operation has its own budget";
  time_.advance(1s);
  EXPECT_TRUE(sso("ListInstances", json::object())) << "a new second, a new budget";

  // Over the control API too; 0 switches it off.
  EXPECT_EQ(control("POST", "faults", R"({"throttle_per_second": 1})")["throttle_per_second"], 1);
  EXPECT_TRUE(sso("ListInstances", json::object()));
  EXPECT_FALSE(sso("ListInstances", json::object()));
  control("POST", "faults", R"({"throttle_per_second": 0})");
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(sso("ListInstances", json::object()));
}

// Our provider against both at once: the throttled delete is retried with backoff and jitter,
// and the deletion is polled until it has finished.
TEST_F(AwsEmulatorTest, IdentityCenterRevokeGetsThroughThrottlingAndWaitsForTheDeletion) {
  start([](AwsEmulatorOptions& o) {
    o.assignment_delay = 0ms;
    o.deletion_delay = 1000ms;
    o.throttle_per_second = 1;
  });
  ASSERT_TRUE(sso("CreateAccountAssignment", assignment()));
  time_.advance(1s);
  ASSERT_TRUE(sso("DeleteAccountAssignment", assignment("2222222222-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")));  // spends this second's delete
  aws::StaticCredentialsProvider credentials({kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""});
  auto sso_admin_config =
      aws::AwsJsonClientConfig::for_service(aws::AwsService::sso_admin, emulator_->endpoint(), "us-east-1");
  sso_admin_config.retry.max_attempts = 20;
  aws::AwsJsonClient sso_admin(sso_admin_config, credentials, *http_, time_);
  aws::AwsJsonClient identitystore(
      aws::AwsJsonClientConfig::for_service(aws::AwsService::identitystore, emulator_->endpoint(), "us-east-1"),
      credentials, *http_, time_);
  aws::IdentityCenterProvider provider({kInstance, kStore, {}}, sso_admin, identitystore, time_);
  const auto before = time_.monotonic();
  auto revoked = provider.revoke({kDanaId, kAccount, kPermissionSet});
  ASSERT_TRUE(revoked) << revoked.error().message;
  EXPECT_EQ(listed(), 0u) << "revoke returned only once the deletion had finished";
  EXPECT_GE(time_.monotonic() - before, 1000ms);
  const json calls = control("GET", "calls");
  EXPECT_GE(calls["operations"]["sso-admin:DeleteAccountAssignment"]["ThrottlingException"].get<int>(), 1);
}

TEST_F(AwsEmulatorTest, FailNextDownAndClearedFaults) {
  control("POST", "faults", R"({"fail_next": 2, "status": 500})");
  for (int i = 0; i < 2; ++i) {
    auto r = sso("ListInstances", json::object());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().http_status, 500);
    EXPECT_EQ(r.error().code, "InternalServerException");
  }
  EXPECT_TRUE(sso("ListInstances", json::object()));

  control("POST", "faults", R"({"down": true})");
  auto down = raw("POST", "/", "{}", {{"X-Amz-Target", "SWBExternalService.ListInstances"}});
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.header("Connection").value_or(""), "close");
  auto r = sso("ListInstances", json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().http_status, 503);
  EXPECT_EQ(control("GET", "faults")["down"], true);

  control("DELETE", "faults");
  EXPECT_TRUE(sso("ListInstances", json::object()));

  auto bad = raw("POST", "/_emulator/faults", R"({"explode": 1})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(contains(bad.body, "unknown fault 'explode'")) << bad.body;
}

TEST_F(AwsEmulatorTest, FailAssignmentsEndsTheNextRequestFailedWithAReason) {
  control("POST", "faults", R"({"fail_assignments": 1})");
  control("POST", "faults", R"({"delay_ms": 0})");  // other faults do not re-arm it
  auto first = sso("CreateAccountAssignment", assignment());
  auto second = sso("CreateAccountAssignment", assignment());
  ASSERT_TRUE(first && second);
  time_.advance(1s);
  auto r = sso("DescribeAccountAssignmentCreationStatus",
               {{"InstanceArn", kInstance},
                {"AccountAssignmentCreationRequestId", (*first)["AccountAssignmentCreationStatus"]["RequestId"]}});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["AccountAssignmentCreationStatus"]["Status"], "FAILED");
  EXPECT_FALSE((*r)["AccountAssignmentCreationStatus"].value("FailureReason", "").empty());
  EXPECT_EQ(creation_status((*second)["AccountAssignmentCreationStatus"]["RequestId"]), "SUCCEEDED");
  EXPECT_EQ(listed(), 1u);
}

TEST_F(AwsEmulatorTest, ResetForgetsAssignmentsCallsFaultsAndCreatedUsers) {
  ASSERT_TRUE(sso("CreateAccountAssignment", assignment()));
  ASSERT_TRUE(call(aws::AwsService::identitystore, "CreateUser", {{"IdentityStoreId", kStore}, {"UserName", "fay"}}));
  control("POST", "faults", R"({"throttle_every": 100})");
  time_.advance(1s);
  EXPECT_EQ(emulator_->assignments()["assignments"].size(), 1u);
  EXPECT_EQ(control("POST", "reset"), json({{"ok", true}}));
  EXPECT_TRUE(emulator_->assignments()["assignments"].empty());
  EXPECT_EQ(emulator_->faults().throttle_every, 0);
  EXPECT_EQ(emulator_->calls()["total"], 0);
  auto users = call(aws::AwsService::identitystore, "ListUsers", {{"IdentityStoreId", kStore}});
  ASSERT_TRUE(users);
  EXPECT_EQ((*users)["Users"].size(), 2u);
}

TEST_F(AwsEmulatorTest, GetUserIdByEmailCreateUserAndListUsers) {
  auto ids = [&](std::string_view op, const json& input) { return call(aws::AwsService::identitystore, op, input); };
  auto dana = ids("GetUserId", {{"IdentityStoreId", kStore},
                                {"AlternateIdentifier", {{"UniqueAttribute", {{"AttributePath", "emails.value"}, {"AttributeValue", "dana@example.com"}}}}}});
  ASSERT_TRUE(dana) << dana.error().message;
  EXPECT_EQ(*dana, json({{"UserId", kDanaId}, {"IdentityStoreId", kStore}}));

  auto nobody = ids("GetUserId", {{"IdentityStoreId", kStore},
                                  {"AlternateIdentifier", {{"UniqueAttribute", {{"AttributePath", "emails.value"}, {"AttributeValue", "nobody@example.com"}}}}}});
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, "ResourceNotFoundException");
  EXPECT_EQ(nobody.error().body["ResourceType"], "USER");

  auto created = ids("CreateUser", {{"IdentityStoreId", kStore}, {"UserName", "fay"}, {"DisplayName", "Fay"},
                                    {"Emails", {{{"Value", "fay@example.com"}, {"Primary", true}}}}});
  ASSERT_TRUE(created) << created.error().message;
  const std::string fay_id = (*created)["UserId"];
  EXPECT_TRUE(fay_id.starts_with("1111111111-")) << fay_id;
  auto fay = ids("GetUserId", {{"IdentityStoreId", kStore},
                               {"AlternateIdentifier", {{"UniqueAttribute", {{"AttributePath", "emails.value"}, {"AttributeValue", "fay@example.com"}}}}}});
  ASSERT_TRUE(fay);
  EXPECT_EQ((*fay)["UserId"], fay_id);

  auto duplicate = ids("CreateUser", {{"IdentityStoreId", kStore}, {"UserName", "fay"}});
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, "ConflictException");

  auto page = ids("ListUsers", {{"IdentityStoreId", kStore}, {"MaxResults", 2}});
  ASSERT_TRUE(page);
  EXPECT_EQ((*page)["Users"].size(), 2u);
  ASSERT_TRUE(page->contains("NextToken"));
  auto rest = ids("ListUsers", {{"IdentityStoreId", kStore}, {"NextToken", (*page)["NextToken"]}});
  ASSERT_TRUE(rest);
  ASSERT_EQ((*rest)["Users"].size(), 1u);
  EXPECT_EQ((*rest)["Users"][0]["UserName"], "fay");
  auto filtered = ids("ListUsers", {{"IdentityStoreId", kStore}, {"Filters", {{{"AttributePath", "UserName"}, {"AttributeValue", "dana"}}}}});
  ASSERT_TRUE(filtered);
  ASSERT_EQ((*filtered)["Users"].size(), 1u);
  EXPECT_EQ((*filtered)["Users"][0]["Emails"][0]["Value"], "dana@example.com");

  auto other_store = ids("ListUsers", {{"IdentityStoreId", "d-2222222222"}});
  ASSERT_FALSE(other_store);
  EXPECT_EQ(other_store.error().code, "ResourceNotFoundException");
}

TEST_F(AwsEmulatorTest, AssumeRoleWithWebIdentityAnswersXmlCredentialsThatSign) {
  auto raw_answer = raw("POST", "/",
                        aws::web_identity_form({"arn:aws:iam::123456789012:role/JitAccess", "jit-test", "header.payload.sig"}),
                        {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}});
  EXPECT_EQ(raw_answer.status, 200);
  EXPECT_TRUE(raw_answer.body.starts_with("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"))
      << raw_answer.body;
  EXPECT_TRUE(contains(raw_answer.body, "<Arn>arn:aws:sts::123456789012:assumed-role/JitAccess/jit-test</Arn>")) << raw_answer.body;

  auto issued = aws::assume_role_with_web_identity(*http_, emulator_->endpoint(),
                                                   {"arn:aws:iam::123456789012:role/JitAccess", "jit-test", "header.payload.sig"});
  ASSERT_TRUE(issued) << issued.error().message;
  EXPECT_TRUE(issued->credentials.access_key_id.starts_with("ASIA"));
  EXPECT_FALSE(issued->credentials.session_token.empty());
  ASSERT_TRUE(issued->expiration);
  EXPECT_EQ(*issued->expiration, time_.now() + 1h);
  // The emulator accepts what it issued.
  EXPECT_TRUE(call(aws::AwsService::sso_admin, "ListInstances", json::object(), issued->credentials));

  auto invalid = aws::assume_role_with_web_identity(*http_, emulator_->endpoint(), {"arn:aws:iam::123456789012:role/JitAccess", "x", "tok"});
  ASSERT_FALSE(invalid);
  EXPECT_TRUE(contains(invalid.error().message, "ValidationError")) << invalid.error().message;
}

TEST_F(AwsEmulatorTest, ConcurrentCreationsAreAllKept) {
  start([](AwsEmulatorOptions& o) { o.assignment_delay = 0ms; });
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i)
        if (!sso("CreateAccountAssignment", assignment(fmt::format("1111111111-000000{}{}-0000-4000-8000-000000000000", t, i))))
          ++failures;
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(emulator_->assignments()["assignments"].size(), 40u);
  EXPECT_EQ(emulator_->calls()["operations"]["sso-admin:CreateAccountAssignment"]["ok"], 40);
}

TEST_F(AwsEmulatorTest, DelayFaultHoldsEachAnswer) {
  control("POST", "faults", R"({"delay_ms": 100})");
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(sso("ListInstances", json::object()));
  EXPECT_GE(std::chrono::steady_clock::now() - before, 100ms);
  EXPECT_EQ(emulator_->faults().delay_ms, 100);
}

TEST_F(AwsEmulatorTest, NonLoopbackAddressIsRefused) {
  AwsEmulatorOptions options;
  options.address = "0.0.0.0";
  auto r = AwsEmulator::start(options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);
}

}  // namespace
}  // namespace jit::emulators
