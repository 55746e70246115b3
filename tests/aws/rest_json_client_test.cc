// AwsRestJsonClient (EventBridge Scheduler) against the fake AWS of json_client_test.cc's fixture:
// where each member travels (path, query, body), that each request is signed for "scheduler" and
// matches the official model, and rest-json errors. The binding table is checked against the
// model's own http bindings.
#include "aws/rest_json_client.h"

#include <gtest/gtest.h>

#include "fake_aws_server.h"
#include "support/aws_model_check.h"

namespace jit::aws {
namespace {

using json = nlohmann::json;
using namespace fake_aws;

std::optional<std::string> rest_header(const net::HttpRequest& r, std::string_view name) {
  return net::HttpResponse{0, r.headers, ""}.header(name);
}

json create_input() {
  const json delete_input = {{"InstanceArn", "arn:aws:sso:::instance/ssoins-1234567890abcdef"},
                             {"TargetId", "111122223333"},
                             {"TargetType", "AWS_ACCOUNT"},
                             {"PermissionSetArn", "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0123456789abcdef"},
                             {"PrincipalType", "USER"},
                             {"PrincipalId", "a1b2c3d4-1111-2222-3333-444455556666"}};
  return {{"Name", "jit-rab3k7mnp"},
          {"GroupName", "jit-access"},
          {"ClientToken", "rab3k7mnp"},
          {"ScheduleExpression", "at(2026-12-03T15:16:29)"},
          {"ScheduleExpressionTimezone", "UTC"},
          {"FlexibleTimeWindow", {{"Mode", "OFF"}}},
          {"ActionAfterCompletion", "DELETE"},
          {"State", "ENABLED"},
          {"Target",
           {{"Arn", "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment"},
            {"RoleArn", "arn:aws:iam::111122223333:role/jit-scheduler"},
            {"Input", delete_input.dump()},
            {"RetryPolicy", {{"MaximumEventAgeInSeconds", 3600}, {"MaximumRetryAttempts", 185}}}}}};
}

class RestJsonClientTest : public AwsJsonClientTest {
 protected:
  void SetUp() override {
    signing_service_ = "scheduler";
    AwsJsonClientTest::SetUp();
    auto model = testing::load_aws_model("scheduler/2021-06-30");
    ASSERT_TRUE(model) << model.error().message;
    model_ = std::move(*model);
    auto config = AwsJsonClientConfig::for_service(AwsService::scheduler, server_->endpoint(), "eu-west-1");
    config.retry = {.max_attempts = 3, .base_delay = 100ms, .max_delay = 1000ms};
    client_ = std::make_unique<AwsRestJsonClient>(config, scheduler_bindings(), provider_, *http_, slow_clock_);
    checked_ = std::make_unique<testing::ModelCheckedApi>(*client_, model_, "scheduler");
  }

  json model_;
  std::unique_ptr<AwsRestJsonClient> client_;
  std::unique_ptr<testing::ModelCheckedApi> checked_;
};

TEST_F(RestJsonClientTest, CreateSchedulePostsTheBodyWithoutTheNameAndSignsForScheduler) {
  answers_ = {{200, {{"ScheduleArn", "arn:aws:scheduler:eu-west-1:111122223333:schedule/jit-access/jit-rab3k7mnp"}}}};
  auto r = checked_->call("CreateSchedule", create_input());
  ASSERT_TRUE(r) << r.error().code << ": " << r.error().message;
  EXPECT_EQ((*r)["ScheduleArn"], "arn:aws:scheduler:eu-west-1:111122223333:schedule/jit-access/jit-rab3k7mnp");
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].method, "POST");
  EXPECT_EQ(requests_[0].target, "/schedules/jit-rab3k7mnp");
  EXPECT_EQ(rest_header(requests_[0], "Content-Type"), "application/json");
  EXPECT_FALSE(rest_header(requests_[0], "X-Amz-Target"));
  json expected_body = create_input();
  expected_body.erase("Name");
  EXPECT_EQ(json::parse(requests_[0].body), expected_body);
  EXPECT_EQ(signature_problems_[0], "");
}

TEST_F(RestJsonClientTest, GetAndDeleteCarryTheirMembersInTheQuery) {
  answers_ = {{200, {{"Name", "jit-rab3k7mnp"}}}, {200, json::object()}};
  ASSERT_TRUE(checked_->call("GetSchedule", {{"Name", "jit-rab3k7mnp"}, {"GroupName", "jit-access"}}));
  auto deleted = checked_->call("DeleteSchedule",
                                {{"Name", "jit-rab3k7mnp"}, {"GroupName", "jit-access"}, {"ClientToken", "rab3k7mnp"}});
  ASSERT_TRUE(deleted) << deleted.error().code;
  EXPECT_EQ(*deleted, json::object());
  ASSERT_EQ(requests_.size(), 2u);
  EXPECT_EQ(requests_[0].method, "GET");
  EXPECT_EQ(requests_[0].target, "/schedules/jit-rab3k7mnp?groupName=jit-access");
  EXPECT_EQ(requests_[0].body, "");
  EXPECT_EQ(requests_[1].method, "DELETE");
  EXPECT_EQ(requests_[1].target, "/schedules/jit-rab3k7mnp?groupName=jit-access&clientToken=rab3k7mnp");
  EXPECT_EQ(signature_problems_[0], "");
  EXPECT_EQ(signature_problems_[1], "");
}

TEST_F(RestJsonClientTest, ErrorsComeFromTheHeaderTheBodyOrTheStatus) {
  answers_ = {{404, {{"Message", "Schedule jit-x does not exist."}}, {{"x-amzn-ErrorType", "ResourceNotFoundException:http://internal"}}}};
  auto missing = checked_->call("GetSchedule", {{"Name", "jit-x"}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "ResourceNotFoundException");
  EXPECT_EQ(missing.error().message, "Schedule jit-x does not exist.");
  EXPECT_EQ(missing.error().http_status, 404);
  EXPECT_FALSE(missing.error().retryable);

  requests_.clear();
  answers_ = {{409, {{"code", "ConflictException"}, {"message", "exists"}}}};
  auto conflict = checked_->call("CreateSchedule", create_input());
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, "ConflictException");
  EXPECT_EQ(requests_.size(), 1u) << "a conflict is an answer, not retried";

  requests_.clear();
  answers_ = {{429, json::object()}, {200, json::object()}};
  auto throttled = checked_->call("DeleteSchedule", {{"Name", "jit-x"}});
  ASSERT_TRUE(throttled) << "429 is retried";
  EXPECT_EQ(requests_.size(), 2u);

  requests_.clear();
  answers_ = {{403, json::object()}};
  auto bare = checked_->call("GetSchedule", {{"Name", "jit-x"}});
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().code, "Http403");
}

TEST_F(RestJsonClientTest, UnboundOperationsAndMissingPathMembersAreNotSent) {
  auto unknown = client_->call("ListSchedules", json::object());
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "UnknownOperation");
  auto nameless = client_->call("GetSchedule", {{"GroupName", "jit-access"}});
  ASSERT_FALSE(nameless);
  EXPECT_EQ(nameless.error().code, "Validation");
  EXPECT_EQ(request_count(), 0u);
}

TEST_F(RestJsonClientTest, PathMembersArePercentEncoded) {
  auto request = client_->unsigned_request("GetSchedule", {{"Name", "a b/c"}});
  ASSERT_TRUE(request);
  EXPECT_EQ(request->target, "/schedules/a%20b%2Fc");
}

// The binding table says what the model says: method, path and each query member's name.
TEST_F(RestJsonClientTest, BindingsAgreeWithTheModel) {
  for (const RestBinding& b : scheduler_bindings()) {
    SCOPED_TRACE(std::string(b.operation));
    const json& op = model_["operations"][std::string(b.operation)];
    ASSERT_TRUE(op.is_object());
    EXPECT_EQ(op["http"]["method"], std::string(b.method));
    EXPECT_EQ(op["http"]["requestUri"], std::string(b.path));
    const json& members = model_["shapes"][op["input"]["shape"].get<std::string>()]["members"];
    std::vector<std::pair<std::string, std::string>> model_query, table_query;
    for (const auto& [name, member] : members.items())
      if (member.value("location", "") == "querystring") model_query.emplace_back(name, member["locationName"]);
    for (const auto& [member, parameter] : b.query) table_query.emplace_back(member, parameter);
    std::sort(model_query.begin(), model_query.end());
    std::sort(table_query.begin(), table_query.end());
    EXPECT_EQ(table_query, model_query);
  }
}

// The model checker skips patterns std::regex cannot compile; Scheduler's Name pattern
// ^[0-9a-zA-Z-_.]+$ (a '-' after a range) must not be one of them.
TEST(SchedulerModel, TheNamePatternIsReallyChecked) {
  auto model = testing::load_aws_model("scheduler/2021-06-30");
  ASSERT_TRUE(model) << model.error().message;
  EXPECT_EQ((*model)["shapes"]["Name"]["pattern"], "^[0-9a-zA-Z-_.]+$");
  EXPECT_TRUE(testing::check_request(*model, "GetSchedule", {{"Name", "jit-r_a.b9"}}).empty());
  const auto problems = testing::check_request(*model, "GetSchedule", {{"Name", "jit/rab3k7mnp"}});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("pattern"), std::string::npos) << problems[0];
  EXPECT_EQ(testing::check_request(*model, "GetSchedule", {{"Name", "jit rab3k7mnp"}}).size(), 1u);
}

}  // namespace
}  // namespace jit::aws
