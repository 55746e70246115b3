// AwsJsonClient against moto_server's DynamoDB: a real JSON-protocol peer. moto_server must be
// installed: when it is missing these tests fail with an install hint, never skip.
#include <gtest/gtest.h>

#include "aws/json_client.h"
#include "net/https_client.h"
#include "moto_config.h"
#include "support/moto_suite.h"

namespace jit::aws {
namespace {

using json = nlohmann::json;

class DynamoClient : public testing::MotoSuite {
 protected:
  void SetUp() override {
    MotoSuite::SetUp();
    if (HasFatalFailure()) return;
    client_ = std::make_unique<AwsJsonClient>(moto_config(moto().url(), AwsService::dynamodb), credentials_, *http_,
                                              clock_);
  }

  Result<> create_table() {
    auto r = client_->call("CreateTable", {{"TableName", "grants"},
                                           {"AttributeDefinitions", {{{"AttributeName", "pk"}, {"AttributeType", "S"}}}},
                                           {"KeySchema", {{{"AttributeName", "pk"}, {"KeyType", "HASH"}}}},
                                           {"BillingMode", "PAY_PER_REQUEST"}});
    if (!r) return fail(Error::Unavailable(r.error().code + ": " + r.error().message));
    return {};
  }

  StaticCredentialsProvider credentials_{Credentials{"AKIDEXAMPLE", "secret", ""}};
  SystemClock clock_;
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client();
  std::unique_ptr<AwsJsonClient> client_;
};


TEST_F(DynamoClient, CreatePutGetRoundTrip) {
  ASSERT_TRUE(create_table());
  auto described = client_->call("DescribeTable", {{"TableName", "grants"}});
  ASSERT_TRUE(described) << described.error().code;
  EXPECT_EQ((*described)["Table"]["TableName"], "grants");

  const json item = {{"pk", {{"S", "grant#1"}}}, {"status", {{"S", "active"}}}, {"version", {{"N", "3"}}}};
  auto put = client_->call("PutItem", {{"TableName", "grants"}, {"Item", item}});
  ASSERT_TRUE(put) << put.error().code << ": " << put.error().message;
  auto got = client_->call("GetItem", {{"TableName", "grants"}, {"Key", {{"pk", {{"S", "grant#1"}}}}},
                                       {"ConsistentRead", true}});
  ASSERT_TRUE(got) << got.error().code << ": " << got.error().message;
  EXPECT_EQ((*got)["Item"], item);
}

TEST_F(DynamoClient, ConditionalCheckFailedSurfacesWithItsCode) {
  ASSERT_TRUE(create_table());
  const json put = {{"TableName", "grants"},
                    {"Item", {{"pk", {{"S", "grant#2"}}}}},
                    {"ConditionExpression", "attribute_not_exists(pk)"}};
  ASSERT_TRUE(client_->call("PutItem", put));
  auto again = client_->call("PutItem", put);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "ConditionalCheckFailedException");
  EXPECT_EQ(again.error().http_status, 400);
  EXPECT_FALSE(again.error().retryable);
}

TEST_F(DynamoClient, UnknownTableIsResourceNotFound) {
  auto r = client_->call("GetItem", {{"TableName", "missing"}, {"Key", {{"pk", {{"S", "x"}}}}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ResourceNotFoundException");
  EXPECT_FALSE(r.error().message.empty());
}

}  // namespace
}  // namespace jit::aws
