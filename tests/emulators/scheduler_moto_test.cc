// The emulator's Scheduler beside moto_server 5.2.1's: the same signed rest-json requests to both
// (moto routes /schedules/... by the SigV4 scope's service, "scheduler"), the same answers where
// moto implements the behaviour. Known differences, asserted so a moto upgrade shows up:
// moto answers ConflictException with status 400 (the model says 409), and it ignores
// ClientToken (a repeated Create is a Conflict there, the same ScheduleArn here and on AWS); its
// error bodies are {"__type","message"} where the model's member is "Message"; GetSchedule lists
// absent members as null, and ListSchedules' items carry the whole schedule, not only the model's
// ScheduleSummary members.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "emulators/aws/aws_emulator.h"
#include "net/https_client.h"
#include "scheduler_call.h"
#include "support/moto_suite.h"

namespace jit::emulators {
namespace {
namespace scheduler_moto_test {  // its own names: the unity build compiles it beside other files

using json = nlohmann::json;
using testing::SchedulerAnswer;

constexpr char kArn[] = "arn:aws:scheduler:us-east-1:123456789012:schedule/default/jit-r1";

json create_request(std::string token = "r1") {
  return {{"ClientToken", token},
          {"ScheduleExpression", "at(2099-01-01T00:00:00)"},
          {"ScheduleExpressionTimezone", "UTC"},
          {"FlexibleTimeWindow", {{"Mode", "OFF"}}},
          {"ActionAfterCompletion", "DELETE"},
          {"State", "ENABLED"},
          {"Target", {{"Arn", "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment"},
                      {"RoleArn", "arn:aws:iam::123456789012:role/jit-scheduler"},
                      {"Input", R"({"InstanceArn":"arn:aws:sso:::instance/ssoins-1111111111111111"})"},
                      {"RetryPolicy", {{"MaximumEventAgeInSeconds", 3600}, {"MaximumRetryAttempts", 185}}}}}};
}

// The dates differ by nature; both must be epoch seconds (numbers), as the model's timestamps are.
// Null members mean "absent" to every SDK.
json without_dates(json body) {
  for (const char* date : {"CreationDate", "LastModificationDate"}) {
    EXPECT_TRUE(body[date].is_number()) << body;
    body.erase(date);
  }
  for (auto it = body.begin(); it != body.end();) it = it->is_null() ? body.erase(it) : std::next(it);
  return body;
}

// The members of the model's ScheduleSummary (moto lists more).
json summary(const json& item) {
  json out = json::object();
  for (const char* member : {"Arn", "CreationDate", "GroupName", "LastModificationDate", "Name", "State"})
    if (item.contains(member)) out[member] = item[member];
  out["Target"] = {{"Arn", item["Target"]["Arn"]}};
  return out;
}

// An error's message, under the model's "Message" or moto's "message".
std::string message_of(const json& body) { return body.value("Message", body.value("message", "")); }

class SchedulerBesideMoto : public jit::testing::MotoSuite {
 protected:
  void SetUp() override {
    MotoSuite::SetUp();
    auto started = AwsEmulator::start({});
    ASSERT_TRUE(started) << started.error().message;
    emulator_ = std::move(*started);
  }

  // The same request to both: {moto's answer, the emulator's}.
  std::pair<SchedulerAnswer, SchedulerAnswer> both(std::string method, std::string target, const json& body = nullptr) {
    const auto now = std::chrono::floor<Seconds>(std::chrono::system_clock::now());
    const aws::Credentials credentials{kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""};
    const net::Endpoint moto_endpoint{"http", "127.0.0.1", moto().port, ""};
    return {testing::scheduler_call(*http_, moto_endpoint, method, target, body, now, credentials),
            testing::scheduler_call(*http_, emulator_->endpoint(), method, target, body, now, credentials)};
  }

  std::unique_ptr<net::HttpClient> http_ = net::make_http_client();
  std::unique_ptr<AwsEmulator> emulator_;
};

TEST_F(SchedulerBesideMoto, CreateGetListDeleteAnswerAlike) {
  auto [moto_created, created] = both("POST", "/schedules/jit-r1", create_request());
  ASSERT_EQ(moto_created.status, 200) << "moto_server did not route the rest-json request: " << moto_created.body;
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(moto_created.body, json({{"ScheduleArn", kArn}}));
  EXPECT_EQ(created.body, moto_created.body);

  auto [moto_got, got] = both("GET", "/schedules/jit-r1?groupName=default");
  ASSERT_EQ(moto_got.status, 200) << moto_got.body;
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(without_dates(got.body), without_dates(moto_got.body));

  auto [moto_listed, listed] = both("GET", "/schedules?ScheduleGroup=default&NamePrefix=jit");
  ASSERT_EQ(moto_listed.status, 200) << moto_listed.body;
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed.body["Schedules"].size(), 1u);
  ASSERT_EQ(moto_listed.body["Schedules"].size(), 1u);
  EXPECT_EQ(without_dates(listed.body["Schedules"][0]), without_dates(summary(moto_listed.body["Schedules"][0])));

  auto [moto_deleted, deleted] = both("DELETE", "/schedules/jit-r1?clientToken=d1");
  EXPECT_EQ(moto_deleted.status, 200) << moto_deleted.body;
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.body, moto_deleted.body);
}

TEST_F(SchedulerBesideMoto, MissingScheduleOrGroupIs404WithTheSameShape) {
  for (std::string target : {"/schedules/nope", "/schedules/nope?groupName=nogroup"}) {
    for (std::string method : {"GET", "DELETE"}) {
      auto [moto_answer, answer] = both(method, target);
      EXPECT_EQ(moto_answer.status, 404) << method << " " << target << ": " << moto_answer.body;
      EXPECT_EQ(answer.status, 404) << method << " " << target;
      EXPECT_EQ(answer.error_type, "ResourceNotFoundException");
      EXPECT_EQ(answer.error_type, moto_answer.error_type);
      EXPECT_EQ(answer.body, json({{"Message", message_of(moto_answer.body)}})) << method << " " << target;
      EXPECT_FALSE(message_of(answer.body).empty());
    }
  }
}

TEST_F(SchedulerBesideMoto, DuplicateNameIsAConflictInBothButOnlyTheModelSays409) {
  ASSERT_EQ(both("POST", "/schedules/jit-r1", create_request()).first.status, 200);
  auto [moto_conflict, conflict] = both("POST", "/schedules/jit-r1", create_request("another"));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(moto_conflict.status, 400);  // moto 5.2.1; the model's ConflictException is 409
  EXPECT_EQ(conflict.error_type, "ConflictException");
  EXPECT_EQ(conflict.error_type, moto_conflict.error_type);
  EXPECT_EQ(conflict.body, json({{"Message", "Schedule jit-r1 already exists."}}));
  EXPECT_EQ(message_of(conflict.body), message_of(moto_conflict.body)) << moto_conflict.body;

  // The same ClientToken and request: AWS (and the emulator) answer as the first time; moto ignores ClientToken.
  auto [moto_repeat, repeat] = both("POST", "/schedules/jit-r1", create_request());
  EXPECT_EQ(repeat.status, 200);
  EXPECT_EQ(repeat.body, json({{"ScheduleArn", kArn}}));
  EXPECT_EQ(moto_repeat.error_type, "ConflictException");
}

}  // namespace scheduler_moto_test
}  // namespace
}  // namespace jit::emulators
