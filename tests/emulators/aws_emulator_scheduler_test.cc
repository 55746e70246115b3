// The AWS emulator's EventBridge Scheduler in process: rest-json routing and errors, the model's
// validation, groups, ClientToken idempotency, and the firing of one-time schedules on a manual
// clock (fire_due_schedules), which deletes a real assignment through the sso-admin path.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <thread>

#include "aws/json_client.h"
#include "core/time.h"
#include "emulators/aws/aws_emulator.h"
#include "fakes/manual_clock.h"
#include "net/https_client.h"
#include "scheduler_call.h"
#include "support/aws_model_check.h"

namespace jit::emulators {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using testing::SchedulerAnswer;

constexpr char kInstance[] = "arn:aws:sso:::instance/ssoins-1111111111111111";
constexpr char kPermissionSet[] = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222";
constexpr char kAccount[] = "123456789012";
constexpr char kDanaId[] = "1111111111-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
constexpr char kUniversal[] = "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment";
constexpr char kRole[] = "arn:aws:iam::123456789012:role/jit-scheduler";
constexpr char kName[] = "jit-rab3k7mnp";
constexpr char kArn[] = "arn:aws:scheduler:us-east-1:123456789012:schedule/jit-access/jit-rab3k7mnp";

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

json assignment(std::string instance = kInstance) {
  return {{"InstanceArn", instance}, {"TargetId", kAccount}, {"TargetType", "AWS_ACCOUNT"},
          {"PermissionSetArn", kPermissionSet}, {"PrincipalType", "USER"}, {"PrincipalId", kDanaId}};
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(std::function<void(AwsEmulatorOptions&)> customize) {
    emulator_.reset();
    AwsEmulatorOptions options;
    options.users = {{"dana", "dana@example.com", kDanaId}};
    options.assignment_delay = 1000ms;
    options.clock = [this] { return time_.precise_now(); };
    options.seed = 42;
    options.schedule_groups = {"jit-access"};
    if (customize) customize(options);
    auto started = AwsEmulator::start(options);
    ASSERT_TRUE(started) << started.error().message;
    emulator_ = std::move(*started);
  }

  SchedulerAnswer call(std::string method, std::string target, const json& body = nullptr,
                       aws::Credentials credentials = {kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""}) {
    return testing::scheduler_call(*http_, emulator_->endpoint(), std::move(method), std::move(target), body, time_.now(),
                                   credentials);
  }
  SchedulerAnswer create(const json& body, std::string name = kName) {
    return call("POST", "/schedules/" + net::percent_encode(name), body);
  }
  SchedulerAnswer get(std::string name = kName, std::string group = "jit-access") {
    return call("GET", fmt::format("/schedules/{}?groupName={}", name, group));
  }

  std::expected<json, aws::AwsError> sso(std::string_view operation, const json& input) {
    auto config = aws::AwsJsonClientConfig::for_service(aws::AwsService::sso_admin, emulator_->endpoint(), "us-east-1");
    config.retry.max_attempts = 1;
    aws::StaticCredentialsProvider provider({kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""});
    aws::AwsJsonClient client(config, provider, *http_, time_);
    return client.call(operation, input);
  }
  size_t assignments_listed() {
    auto r = sso("ListAccountAssignments", {{"InstanceArn", kInstance}, {"AccountId", kAccount}, {"PermissionSetArn", kPermissionSet}});
    EXPECT_TRUE(r) << r.error().message;
    return r ? (*r)["AccountAssignments"].size() : 0;
  }

  // "at(2026-11-18T...)" `after` from now.
  std::string at(std::chrono::seconds after) {
    const std::string text = format_time(time_.now() + after);
    return fmt::format("at({})", text.substr(0, text.size() - 1));
  }
  // The request the product sends (issue14-design.md 2.2), firing `after` from now.
  json request(std::chrono::seconds after, json input = assignment()) {
    return {{"GroupName", "jit-access"},
            {"ClientToken", "rab3k7mnp"},
            {"ScheduleExpression", at(after)},
            {"ScheduleExpressionTimezone", "UTC"},
            {"FlexibleTimeWindow", {{"Mode", "OFF"}}},
            {"ActionAfterCompletion", "DELETE"},
            {"State", "ENABLED"},
            {"Description", "JIT Access grant rab3k7mnp expiry"},
            {"Target", {{"Arn", kUniversal}, {"RoleArn", kRole}, {"Input", input.dump()},
                        {"RetryPolicy", {{"MaximumEventAgeInSeconds", 3600}, {"MaximumRetryAttempts", 185}}}}}};
  }
  json firings() { return emulator_->schedules()["firings"]; }

  ManualClock time_{TimePoint(std::chrono::seconds(1'795'000'000))};  // 2026-11-18
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client();
  std::unique_ptr<AwsEmulator> emulator_;
};

TEST_F(SchedulerTest, CreateGetListDeleteRoundTripWithTheModelsShapes) {
  auto created = create(request(60s));
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.body, json({{"ScheduleArn", kArn}}));

  auto got = get();
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body["Arn"], kArn);
  EXPECT_EQ(got.body["Name"], kName);
  EXPECT_EQ(got.body["GroupName"], "jit-access");
  EXPECT_EQ(got.body["ScheduleExpression"], at(60s));
  EXPECT_EQ(got.body["ScheduleExpressionTimezone"], "UTC");
  EXPECT_EQ(got.body["ActionAfterCompletion"], "DELETE");
  EXPECT_EQ(got.body["State"], "ENABLED");
  EXPECT_EQ(got.body["FlexibleTimeWindow"], json({{"Mode", "OFF"}}));
  EXPECT_EQ(got.body["Target"]["Input"], assignment().dump());
  EXPECT_EQ(got.body["Target"]["RetryPolicy"]["MaximumEventAgeInSeconds"], 3600);
  EXPECT_DOUBLE_EQ(got.body["CreationDate"].get<double>(), 1'795'000'000.0);
  EXPECT_FALSE(got.body.contains("ClientToken"));

  auto listed = call("GET", "/schedules?ScheduleGroup=jit-access&NamePrefix=jit-");
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed.body["Schedules"].size(), 1u);
  EXPECT_EQ(listed.body["Schedules"][0]["Target"], json({{"Arn", kUniversal}}));
  EXPECT_EQ(call("GET", "/schedules?NamePrefix=other").body["Schedules"].size(), 0u);
  EXPECT_EQ(call("GET", "/schedules?State=DISABLED").body["Schedules"].size(), 0u);

  auto deleted = call("DELETE", fmt::format("/schedules/{}?clientToken=abc-1&groupName=jit-access", kName));
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  auto gone = get();
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.error_type, "ResourceNotFoundException");
  EXPECT_EQ(gone.body, json({{"Message", "Schedule jit-rab3k7mnp does not exist."}}));
  EXPECT_EQ(call("DELETE", fmt::format("/schedules/{}?groupName=jit-access", kName)).status, 404);
}

TEST_F(SchedulerTest, DefaultGroupAlwaysExistsAndAnUnknownGroupIs404) {
  json in_default = request(60s);
  in_default.erase("GroupName");
  ASSERT_EQ(create(in_default).status, 200);
  EXPECT_EQ(call("GET", fmt::format("/schedules/{}", kName)).body["Arn"],
            "arn:aws:scheduler:us-east-1:123456789012:schedule/default/jit-rab3k7mnp");
  EXPECT_EQ(get().status, 404);  // not in jit-access

  json elsewhere = request(60s);
  elsewhere["GroupName"] = "nope";
  auto refused = create(elsewhere);
  EXPECT_EQ(refused.status, 404);
  EXPECT_EQ(refused.body["Message"], "Schedule group nope does not exist.");
  EXPECT_EQ(call("GET", "/schedules?ScheduleGroup=nope").status, 404);
  EXPECT_EQ(call("DELETE", fmt::format("/schedules/{}?groupName=nope", kName)).status, 404);
}

TEST_F(SchedulerTest, DuplicateNameIs409UnlessTheSameClientTokenRepeatsTheSameRequest) {
  ASSERT_EQ(create(request(60s)).status, 200);
  auto repeated = create(request(60s));
  EXPECT_EQ(repeated.status, 200) << repeated.body;
  EXPECT_EQ(repeated.body["ScheduleArn"], kArn);
  EXPECT_EQ(call("GET", "/schedules").body["Schedules"].size(), 1u);

  json other_time = request(120s);  // same token, another request
  json other_token = request(60s);
  other_token["ClientToken"] = "other";
  json no_token = request(60s);
  no_token.erase("ClientToken");
  for (const json& body : {other_time, other_token, no_token}) {
    auto conflict = create(body);
    EXPECT_EQ(conflict.status, 409) << body;
    EXPECT_EQ(conflict.error_type, "ConflictException");
    EXPECT_EQ(conflict.body, json({{"Message", "Schedule jit-rab3k7mnp already exists."}}));
  }
}

TEST_F(SchedulerTest, ValidationFollowsTheModel) {
  struct Case {
    std::string name;
    std::function<void(json&)> change;
    std::string expected;  // part of the message
  };
  const std::vector<Case> cases = {
      {"bad name", nullptr, "at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$"},
      {std::string(65, 'a'), nullptr, "Member must have length less than or equal to 64"},
      {kName, [](json& b) { b["State"] = "ON"; }, "at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]"},
      {kName, [](json& b) { b["ActionAfterCompletion"] = "KEEP"; }, "at 'actionAfterCompletion'"},
      {kName, [](json& b) { b["ClientToken"] = "a b"; }, "at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression pattern"},
      {kName, [](json& b) { b["FlexibleTimeWindow"] = json::object(); }, "Value null at 'flexibleTimeWindow.mode'"},
      {kName, [](json& b) { b["FlexibleTimeWindow"] = {{"Mode", "FLEXIBLE"}, {"MaximumWindowInMinutes", 1441}}; },
       "at 'flexibleTimeWindow.maximumWindowInMinutes' failed to satisfy constraint: Member must have value less than or equal to 1440"},
      {kName, [](json& b) { b["Target"]["RoleArn"] = "arn:aws:iam::123:user/x"; }, "at 'target.roleArn'"},
      {kName, [](json& b) { b["Target"]["RetryPolicy"]["MaximumRetryAttempts"] = 186; }, "at 'target.retryPolicy.maximumRetryAttempts'"},
      {kName, [](json& b) { b["Target"]["RetryPolicy"]["MaximumEventAgeInSeconds"] = 59; }, "at 'target.retryPolicy.maximumEventAgeInSeconds'"},
      {kName, [](json& b) { b["Target"]["Input"] = ""; }, "at 'target.input'"},
      {kName, [](json& b) { b.erase("Target"); }, "Value null at 'target' failed to satisfy constraint: Member must not be null"},
      {kName, [](json& b) { b["Description"] = std::string(513, 'd'); }, "at 'description'"},
      {kName, [](json& b) { b["ScheduleExpression"] = "at(2026-13-01T00:00:00)"; }, "Invalid Schedule Expression at(2026-13-01T00:00:00)."},
      {kName, [](json& b) { b["ScheduleExpression"] = "at(2026-11-18 00:00:00)"; }, "Invalid Schedule Expression"},
      {kName, [](json& b) { b["ScheduleExpression"] = "rate(0 minutes)"; }, "Invalid Schedule Expression"},
      {kName, [](json& b) { b["ScheduleExpressionTimezone"] = "Europe/Paris"; }, "supports UTC only"},
      {kName, [](json& b) { b["FlexibleTimeWindow"] = {{"Mode", "FLEXIBLE"}}; }, "MaximumWindowInMinutes is required"},
  };
  auto model = jit::testing::load_aws_model("scheduler/2021-06-30");
  ASSERT_TRUE(model) << model.error().message;
  json valid = request(60s);
  valid["Name"] = kName;
  EXPECT_EQ(jit::testing::check_request(*model, "CreateSchedule", valid), std::vector<std::string>{});
  for (const auto& c : cases) {
    json body = request(60s);
    if (c.change) c.change(body);
    // The model itself rejects every case but the semantic ones (expression, zone, FLEXIBLE window).
    json whole = body;
    whole["Name"] = c.name;
    const bool semantic = !contains(c.expected, "at '") && !contains(c.expected, "Member must");
    EXPECT_NE(jit::testing::check_request(*model, "CreateSchedule", whole).empty(), !semantic) << c.expected;
    auto answer = create(body, c.name);
    EXPECT_EQ(answer.status, 400) << c.expected;
    EXPECT_EQ(answer.error_type, "ValidationException") << c.expected;
    EXPECT_TRUE(contains(answer.body.value("Message", ""), c.expected)) << answer.body << "\nwanted: " << c.expected;
  }
  json two = request(60s);
  two["State"] = "ON";
  two["Target"]["RoleArn"] = "role";
  EXPECT_TRUE(contains(create(two).body.value("Message", ""), "2 validation errors detected: "));
  EXPECT_EQ(call("GET", "/schedules?MaxResults=101").status, 400);
  EXPECT_EQ(call("GET", "/schedules?State=ON").status, 400);
  EXPECT_EQ(call("GET", "/schedules").body["Schedules"].size(), 0u);

  // Recurring expressions are stored (never fired).
  for (std::string expression : {"rate(5 minutes)", "cron(0 12 * * ? *)"}) {
    json body = request(60s);
    body["ScheduleExpression"] = expression;
    body.erase("ClientToken");
    EXPECT_EQ(create(body, "recurring-" + std::to_string(expression.size())).status, 200) << expression;
  }
}

TEST_F(SchedulerTest, FiringDeletesARealAssignmentThenTheScheduleDeletesItself) {
  auto granted = sso("CreateAccountAssignment", assignment());
  ASSERT_TRUE(granted) << granted.error().message;
  time_.advance(1s);
  ASSERT_EQ(assignments_listed(), 1u);

  ASSERT_EQ(create(request(60s)).status, 200);
  time_.advance(59s);
  EXPECT_EQ(emulator_->fire_due_schedules(), 0);
  EXPECT_EQ(assignments_listed(), 1u);

  time_.advance(1s);  // exactly at()
  const std::string due = format_time(time_.now());
  emulator_->fire_due_schedules();  // unless the firing thread was first
  ASSERT_EQ(firings().size(), 1u);
  EXPECT_EQ(emulator_->fire_due_schedules(), 0);
  const json in_progress = emulator_->assignments()["in_progress"];
  ASSERT_EQ(in_progress.size(), 1u) << in_progress;
  EXPECT_EQ(in_progress[0]["Operation"], "DeleteAccountAssignment");
  EXPECT_EQ(assignments_listed(), 1u);  // IN_PROGRESS, like any other deletion
  time_.advance(1s);
  EXPECT_EQ(assignments_listed(), 0u);

  ASSERT_EQ(firings().size(), 1u);
  EXPECT_EQ(firings()[0]["outcome"], "succeeded");
  EXPECT_EQ(firings()[0]["fired_at"], due);
  EXPECT_EQ(firings()[0]["at"], due);
  EXPECT_TRUE(contains(firings()[0]["detail"].get<std::string>(), "deletion request "));
  EXPECT_EQ(get().status, 404);  // ActionAfterCompletion DELETE
}

TEST_F(SchedulerTest, ActionNoneKeepsAFiredScheduleAndDisabledOnesNeverFire) {
  json keep = request(10s);
  keep["ActionAfterCompletion"] = "NONE";
  ASSERT_EQ(create(keep).status, 200);
  json disabled = request(10s);
  disabled["State"] = "DISABLED";
  ASSERT_EQ(create(disabled, "jit-disabled").status, 200);
  time_.advance(10s);
  emulator_->fire_due_schedules();
  time_.advance(1h);
  emulator_->fire_due_schedules();
  ASSERT_EQ(firings().size(), 1u);
  EXPECT_EQ(firings()[0]["name"], kName);
  EXPECT_EQ(get().status, 200);
  EXPECT_EQ(get("jit-disabled").status, 200);
}

TEST_F(SchedulerTest, AFailingInputIsRetriedPerRetryPolicyThenGivenUp) {
  json body = request(5s, assignment("arn:aws:sso:::instance/ssoins-9999999999999999"));
  body["Target"]["RetryPolicy"] = {{"MaximumRetryAttempts", 2}};
  ASSERT_EQ(create(body).status, 200);
  for (int second = 0; second < 30; ++second) {
    time_.advance(1s);
    emulator_->fire_due_schedules();
  }
  const json f = firings();
  ASSERT_EQ(f.size(), 3u) << f;  // the first invocation and two retries: after 1 s, then 2 s
  EXPECT_EQ(f[0]["outcome"], "retrying");
  EXPECT_EQ(f[1]["outcome"], "retrying");
  EXPECT_EQ(f[2]["outcome"], "failed");
  EXPECT_EQ(f[2]["attempt"], 3);
  EXPECT_TRUE(contains(f[0]["detail"].get<std::string>(), "ResourceNotFoundException: Instance")) << f[0];
  const auto at_time = time_.now() - 25s;
  EXPECT_EQ(f[0]["fired_at"], format_time(at_time));
  EXPECT_EQ(f[1]["fired_at"], format_time(at_time + 1s));
  EXPECT_EQ(f[2]["fired_at"], format_time(at_time + 3s));
  EXPECT_EQ(get().status, 404);  // completed, then deleted
}

TEST_F(SchedulerTest, MaximumEventAgeEndsRetriesAndAnInvalidInputFails) {
  json body = request(1s, assignment());
  body["Target"]["Input"] = R"({"InstanceArn":"not an arn"})";
  body["Target"]["RetryPolicy"] = {{"MaximumEventAgeInSeconds", 60}};  // 185 retries allowed
  body["ActionAfterCompletion"] = "NONE";
  ASSERT_EQ(create(body).status, 200);
  for (int second = 0; second < 200; ++second) {
    time_.advance(1s);
    emulator_->fire_due_schedules();
  }
  const json f = firings();
  // Invocations at 0, 1, 3, 7, 15, 31 s; the next (63 s) would be older than 60 s.
  ASSERT_EQ(f.size(), 6u) << f;
  EXPECT_EQ(f[5]["outcome"], "failed");
  EXPECT_TRUE(contains(f[0]["detail"].get<std::string>(), "ValidationException: ")) << f[0];
  EXPECT_TRUE(contains(f[0]["detail"].get<std::string>(), "'targetId'")) << f[0];
  EXPECT_TRUE(emulator_->schedules()["schedules"][0]["next_attempt"].is_null());
}

TEST_F(SchedulerTest, OtherTargetsAreStoredButRecordedAsUnsupported) {
  json body = request(1s);
  body["Target"]["Arn"] = "arn:aws:lambda:us-east-1:123456789012:function:f";
  ASSERT_EQ(create(body).status, 200);
  time_.advance(1s);
  emulator_->fire_due_schedules();
  ASSERT_EQ(firings().size(), 1u);
  EXPECT_EQ(firings()[0]["outcome"], "unsupported target");
  EXPECT_EQ(get().status, 404);
}

TEST_F(SchedulerTest, FireDelayModelsSchedulersLateness) {
  start([](AwsEmulatorOptions& o) { o.schedule_fire_delay = 30s; });
  ASSERT_EQ(create(request(10s)).status, 200);
  time_.advance(10s);
  EXPECT_EQ(emulator_->fire_due_schedules(), 0);
  time_.advance(29s);
  EXPECT_EQ(emulator_->fire_due_schedules(), 0);
  time_.advance(1s);
  emulator_->fire_due_schedules();
  ASSERT_EQ(firings().size(), 1u);
  EXPECT_EQ(firings()[0]["fired_at"], format_time(time_.now()));
  EXPECT_EQ(firings()[0]["at"], format_time(time_.now() - 30s));

  AwsEmulatorOptions late;
  late.schedule_fire_delay = 61s;
  EXPECT_FALSE(AwsEmulator::start(late));
  AwsEmulatorOptions bad_group;
  bad_group.schedule_groups = {"jit access"};
  EXPECT_FALSE(AwsEmulator::start(bad_group));
}

TEST_F(SchedulerTest, TheBackgroundThreadFiresWithoutBeingAsked) {
  ASSERT_EQ(create(request(5s)).status, 200);
  time_.advance(5s);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (firings().empty() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_EQ(firings().size(), 1u);
  EXPECT_EQ(firings()[0]["outcome"], "succeeded");
}

TEST_F(SchedulerTest, ControlApiListsSchedulesAndFiringsAndResetForgetsThem) {
  ASSERT_EQ(create(request(5s)).status, 200);
  auto response = http_->send(emulator_->endpoint(), {"GET", "/_emulator/schedules", {}, ""});
  ASSERT_TRUE(response);
  const json snapshot = json::parse(response->body);
  ASSERT_EQ(snapshot["schedules"].size(), 1u);
  EXPECT_EQ(snapshot["schedules"][0]["name"], kName);
  EXPECT_EQ(snapshot["schedules"][0]["group"], "jit-access");
  EXPECT_EQ(snapshot["schedules"][0]["at"], format_time(time_.now() + 5s));
  EXPECT_EQ(snapshot["schedules"][0]["target"], kUniversal);
  EXPECT_EQ(snapshot["firings"], json::array());
  emulator_->reset();
  EXPECT_EQ(emulator_->schedules()["schedules"].size(), 0u);
}

TEST_F(SchedulerTest, SignatureFaultsAndUnknownMethodsAnswerLikeRestJson) {
  auto wrong = call("GET", "/schedules", nullptr, {kEmulatorAccessKeyId, "wrong-secret", ""});
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(wrong.error_type, "InvalidSignatureException");
  EXPECT_TRUE(wrong.body.contains("message")) << wrong.body;

  // Signed for sso-admin's signing name: refused on the scheduler route.
  net::HttpRequest signed_for_sso{"GET", "/schedules", {{"Host", emulator_->endpoint().host_header()}}, ""};
  ASSERT_TRUE(aws::sign_headers(signed_for_sso, {kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""}, {"us-east-1", "sso", time_.now()}));
  auto other_service = http_->send(emulator_->endpoint(), signed_for_sso);
  ASSERT_TRUE(other_service);
  EXPECT_EQ(other_service->status, 403);

  auto put = call("PUT", std::string("/schedules/") + kName, request(5s));
  EXPECT_EQ(put.status, 400);
  EXPECT_EQ(put.error_type, "UnknownOperationException");

  EmulatorFaults faults;
  faults.throttle_every = 1;
  emulator_->set_faults(faults);
  auto throttled = get();
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.error_type, "ThrottlingException");
  EXPECT_EQ(throttled.body, json({{"Message", "Rate exceeded"}}));
  faults.throttle_every = 0;
  faults.fail_next = 1;
  emulator_->set_faults(faults);
  EXPECT_EQ(get().status, 500);
}

}  // namespace
}  // namespace jit::emulators
