// AwsJsonClient against a local HttpServer that plays AWS: signing (verified on the server side
// with our SigV4), error parsing, which errors are retried, and what is logged. Also endpoints.h.
#include "fakes/manual_clock.h"
#include "aws/json_client.h"
#include "fake_aws_server.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <fmt/format.h>
#include <map>
#include <sstream>

#include "aws/sigv4.h"
#include "net/http_server.h"
#include "net/https_client.h"
#include "support/free_port.h"

namespace jit::aws {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

using namespace fake_aws;

TEST_F(AwsJsonClientTest, SendsASignedJsonRequest) {
  answers_ = {{200, {{"Item", {{"pk", {{"S", "a"}}}}}}}};
  auto c = client();
  const json input = {{"TableName", "grants"}, {"Key", {{"pk", {{"S", "a"}}}}}};
  auto r = c.call("GetItem", input);
  ASSERT_TRUE(r) << r.error().code << ": " << r.error().message;
  EXPECT_EQ((*r)["Item"]["pk"]["S"], "a");
  ASSERT_EQ(requests_.size(), 1u);
  const auto& sent = requests_[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.target, "/");
  EXPECT_EQ(header(sent, "X-Amz-Target"), "DynamoDB_20120810.GetItem");
  EXPECT_EQ(header(sent, "Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(header(sent, "X-Amz-Security-Token"), kToken);
  EXPECT_EQ(header(sent, "X-Amz-Date"), "20261124T120000Z");
  EXPECT_EQ(json::parse(sent.body), input);
  EXPECT_EQ(signature_problems_[0], "");
  EXPECT_TRUE(contains(*header(sent, "Authorization"), "x-amz-security-token;x-amz-target"));
}

TEST_F(AwsJsonClientTest, RetriesThrottlingAndSignsEachAttemptAfresh) {
  const json throttled = {{"__type", "com.amazonaws.dynamodb.v20120810#ThrottlingException"}, {"message", "Rate exceeded"}};
  answers_ = {{400, throttled}, {400, throttled}, {200, {{"ok", true}}}};
  auto c = client();
  auto r = c.call("PutItem", {{"TableName", "grants"}});
  ASSERT_TRUE(r) << r.error().code;
  EXPECT_EQ(request_count(), 3u);
  const auto sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);  // full jitter under the exponential cap: [0, 100 ms], [0, 200 ms]
  EXPECT_LE(sleeps[0], 100ms);
  EXPECT_LE(sleeps[1], 200ms);
  for (const auto& problem : signature_problems_) EXPECT_EQ(problem, "");
  EXPECT_EQ(header(requests_[0], "X-Amz-Date"), "20261124T120000Z");
  EXPECT_EQ(header(requests_[2], "X-Amz-Date"), "20261124T120002Z");
}

TEST_F(AwsJsonClientTest, EveryRetryableKindIsRetried) {
  for (const char* code : {"ThrottledException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
                           "TooManyRequestsException", "TransactionInProgressException"}) {
    EXPECT_TRUE(is_throttling_code(code)) << code;
  }
  answers_ = {{500, {{"__type", "com.amazon.coral.availability#InternalServerError"}}}};
  auto c = client(3);
  auto r = c.call("PutItem", json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InternalServerError");
  EXPECT_EQ(r.error().http_status, 500);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(request_count(), 3u);
  EXPECT_EQ(clock_.sleeps().size(), 2u);
}

TEST_F(AwsJsonClientTest, ValidationErrorIsNotRetried) {
  answers_ = {{400, {{"__type", "com.amazon.coral.validate#ValidationException"},
                     {"message", "One or more parameter values were invalid"}}}};
  auto c = client();
  auto r = c.call("PutItem", json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ValidationException");
  EXPECT_EQ(r.error().message, "One or more parameter values were invalid");
  EXPECT_EQ(r.error().http_status, 400);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_EQ(request_count(), 1u);
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(AwsJsonClientTest, ErrorTypeHeaderAndCapitalMessage) {
  answers_ = {{400, {{"Message", "Table not found"}},
               {{"x-amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.coral/"}}}};
  auto r = client().call("DescribeTable", json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ResourceNotFoundException");
  EXPECT_EQ(r.error().message, "Table not found");
}

TEST_F(AwsJsonClientTest, TransactionCanceledKeepsTheWholeBody) {
  const json body = {{"__type", "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"},
                     {"Message", "Transaction cancelled"},
                     {"CancellationReasons", json::array({{{"Code", "ConditionalCheckFailed"}}, {{"Code", "None"}}})}};
  answers_ = {{400, body}};
  auto r = client().call("TransactWriteItems", json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "TransactionCanceledException");
  EXPECT_EQ(r.error().body["CancellationReasons"][0]["Code"], "ConditionalCheckFailed");
  EXPECT_EQ(request_count(), 1u);
}

TEST_F(AwsJsonClientTest, TransportErrorsAreRetriedAndLoggedWithoutSecrets) {
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  logger->set_level(spdlog::level::trace);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);

  net::Endpoint closed{"http", "127.0.0.1", testing::free_port(), ""};
  auto config = AwsJsonClientConfig::for_service(AwsService::dynamodb, closed, "eu-west-1");
  config.retry.max_attempts = 3;
  AwsJsonClient c(config, provider_, *http_, clock_);
  auto r = c.call("PutItem", {{"Item", {{"secret-looking-value", 1}}}});
  spdlog::set_default_logger(previous);

  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "Transport");
  EXPECT_EQ(r.error().http_status, 0);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(clock_.sleeps().size(), 2u);
  const std::string line = log.str();
  EXPECT_TRUE(contains(line, "DynamoDB_20120810.PutItem")) << line;
  EXPECT_TRUE(contains(line, closed.to_string())) << line;
  EXPECT_TRUE(contains(line, "attempts=3")) << line;
  EXPECT_TRUE(contains(line, "Transport")) << line;
  EXPECT_FALSE(contains(line, kSecret));
  EXPECT_FALSE(contains(line, kToken));
  EXPECT_FALSE(contains(line, "secret-looking-value"));
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
}

TEST_F(AwsJsonClientTest, CredentialsFailureIsNotRetried) {
  FailingCredentials none;
  auto config = AwsJsonClientConfig::for_service(AwsService::dynamodb, server_->endpoint(), "eu-west-1");
  AwsJsonClient c(config, none, *http_, clock_);
  auto r = c.call("PutItem", json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "Credentials");
  EXPECT_TRUE(contains(r.error().message, "tried env"));
  EXPECT_EQ(request_count(), 0u);
}

TEST(AwsJsonClientConfig, ServiceWireFacts) {
  auto endpoint = *net::Endpoint::parse("https://sso.us-east-1.amazonaws.com");
  auto sso = AwsJsonClientConfig::for_service(AwsService::sso_admin, endpoint, "us-east-1");
  EXPECT_EQ(sso.signing_name, "sso");
  EXPECT_EQ(sso.target_prefix, "SWBExternalService");
  EXPECT_EQ(sso.json_version, "1.1");
  auto ids = AwsJsonClientConfig::for_service(AwsService::identitystore, endpoint, "us-east-1");
  EXPECT_EQ(ids.signing_name, "identitystore");
  EXPECT_EQ(ids.target_prefix, "AWSIdentityStore");
  EXPECT_EQ(ids.json_version, "1.1");
  auto ddb = AwsJsonClientConfig::for_service(AwsService::dynamodb, endpoint, "us-east-1");
  EXPECT_EQ(ddb.signing_name, "dynamodb");
  EXPECT_EQ(ddb.target_prefix, "DynamoDB_20120810");
  EXPECT_EQ(ddb.json_version, "1.0");
}

TEST(Endpoints, DefaultsToThePublicEndpoint) {
  EXPECT_EQ(resolve_endpoint(AwsService::dynamodb, "eu-west-1", env_of({}))->to_string(),
            "https://dynamodb.eu-west-1.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(AwsService::sso_admin, "us-east-1", env_of({}))->to_string(),
            "https://sso.us-east-1.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(AwsService::identitystore, "us-east-2", env_of({}))->to_string(),
            "https://identitystore.us-east-2.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(AwsService::sts, "cn-north-1", env_of({}))->to_string(),
            "https://sts.cn-north-1.amazonaws.com.cn");
}

TEST(Endpoints, ServiceVariableThenGlobalVariable) {
  auto env = env_of({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"},
                     {"AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000/"},
                     {"AWS_ENDPOINT_URL_SSO_ADMIN", "https://sso.example.test"}});
  EXPECT_EQ(resolve_endpoint(AwsService::dynamodb, "eu-west-1", env)->to_string(), "http://localhost:8000");
  EXPECT_EQ(resolve_endpoint(AwsService::sso_admin, "", env)->to_string(), "https://sso.example.test");
  EXPECT_EQ(resolve_endpoint(AwsService::identitystore, "", env)->to_string(), "http://127.0.0.1:5000");
  EXPECT_EQ(resolve_endpoint(AwsService::sts, "", env)->to_string(), "http://127.0.0.1:5000");
  auto ignored = env_of({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"}});
  EXPECT_EQ(resolve_endpoint(AwsService::sts, "us-east-1", ignored)->to_string(), "https://sts.us-east-1.amazonaws.com");
}

TEST(Endpoints, ErrorsNameTheVariable) {
  auto r = resolve_endpoint(AwsService::identitystore, "us-east-1",
                            env_of({{"AWS_ENDPOINT_URL_IDENTITYSTORE", "http://identitystore.example.com"}}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_TRUE(contains(r.error().message, "AWS_ENDPOINT_URL_IDENTITYSTORE")) << r.error().message;
  r = resolve_endpoint(AwsService::dynamodb, "", env_of({}));
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "AWS_REGION")) << r.error().message;
  EXPECT_FALSE(resolve_endpoint(AwsService::dynamodb, "eu-west-1.evil.com/", env_of({})));
}

}  // namespace
}  // namespace jit::aws
