// The AWS emulator's permission sets in process, on a manual clock: the inline policy, the
// asynchronous ProvisionPermissionSet (IN_PROGRESS, Conflict, SUCCEEDED, FAILED over IAM's 10,240
// characters), DescribePermissionSet, and the session evaluator that proves a deny armed in the
// inline policy cuts a user's open sessions at a second. Every request the tests send is also
// checked against the sso-admin model, so the emulator and the model agree on what is invalid.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "aws_emulator_ids.h"
#include "aws/json_client.h"
#include "core/time.h"
#include "emulators/aws/aws_emulator.h"
#include "fakes/manual_clock.h"
#include "net/https_client.h"
#include "support/aws_model_check.h"

namespace jit::emulators {
namespace {
namespace aws_emulator_permission_sets_test {  // its own names: the unity build compiles it beside other files

using namespace std::chrono_literals;
using namespace test_ids;
using json = nlohmann::json;
using std::chrono::system_clock;

constexpr char kSeeded[] = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-3333333333333333";
constexpr char kOtherAccount[] = "210987654321";
constexpr const char* kDana = kDanaId;
constexpr char kEli[] = "1111111111-ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee";
std::string iso8601(system_clock::time_point t) { return format_time(std::chrono::floor<Seconds>(t)); }
// `base` with the members of `extra` set.
json with(json base, const json& extra) {
  base.update(extra);
  return base;
}

// The statement the session cut-off arms (/work/helper-common.md's shape).
json cutoff(const std::string& sid, const std::string& user, const std::string& account, system_clock::time_point cut_at,
            system_clock::time_point sessions_before) {
  return {{"Sid", sid},
          {"Effect", "Deny"},
          {"Action", "*"},
          {"Resource", "*"},
          {"Condition",
           {{"StringEquals", {{"identitystore:UserId", user}, {"aws:PrincipalAccount", account}}},
            {"DateGreaterThan", {{"aws:CurrentTime", iso8601(cut_at)}}},
            {"DateLessThan", {{"aws:TokenIssueTime", iso8601(sessions_before)}}}}}};
}
std::string policy(json statements) { return json{{"Version", "2012-10-17"}, {"Statement", std::move(statements)}}.dump(); }
const std::string kAdminStatement =
    R"({"Sid":"AdminRead","Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"})";

class PermissionSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = jit::testing::load_aws_model("sso-admin/2020-07-20");
    ASSERT_TRUE(model) << model.error().message;
    model_ = std::move(*model);
    start();
  }

  void start(std::function<void(AwsEmulatorOptions&)> customize = {}) {
    emulator_.reset();
    AwsEmulatorOptions options;
    options.assignment_delay = 0ms;
    options.provision_delay = 1500ms;
    options.clock = [this] { return time_.precise_now(); };
    options.seed = 7;
    options.permission_sets = {{kSeeded, "Admin", "PT8H", policy(json::array({json::parse(kAdminStatement)}))}};
    if (customize) customize(options);
    auto started = AwsEmulator::start(options);
    ASSERT_TRUE(started) << started.error().message;
    emulator_ = std::move(*started);
  }

  // One sso-admin call; the request is checked against the model first, and `model_problems`
  // gets what the model finds wrong with it (the request is sent anyway).
  std::expected<json, aws::AwsError> sso(std::string_view operation, const json& input) {
    model_problems = jit::testing::check_request(model_, operation, input);
    auto config = aws::AwsJsonClientConfig::for_service(aws::AwsService::sso_admin, emulator_->endpoint(), "us-east-1");
    config.retry.max_attempts = 1;
    aws::StaticCredentialsProvider provider({kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""});
    aws::AwsJsonClient client(config, provider, *http_, time_);
    return client.call(operation, input);
  }
  json ok(std::string_view operation, const json& input) {
    auto r = sso(operation, input);
    EXPECT_TRUE(model_problems.empty()) << operation << ": " << model_problems.front();
    EXPECT_TRUE(r) << operation << ": " << r.error().code << ": " << r.error().message;
    return r ? *r : json();
  }
  void put(const std::string& document, const char* arn = kPermissionSet) {
    ok("PutInlinePolicyToPermissionSet", {{"InstanceArn", kInstance}, {"PermissionSetArn", arn}, {"InlinePolicy", document}});
  }
  json provision(const char* account = kAccount, const char* arn = kPermissionSet) {
    return ok("ProvisionPermissionSet", {{"InstanceArn", kInstance},
                                         {"PermissionSetArn", arn},
                                         {"TargetId", account},
                                         {"TargetType", "AWS_ACCOUNT"}})["PermissionSetProvisioningStatus"];
  }
  json provisioning_status(const std::string& id) {
    return ok("DescribePermissionSetProvisioningStatus",
              {{"InstanceArn", kInstance}, {"ProvisionPermissionSetRequestId", id}})["PermissionSetProvisioningStatus"];
  }
  // Put + provision to `account` + wait out the delay on the manual clock.
  void arm(const std::string& document, const char* account = kAccount) {
    put(document);
    const std::string id = provision(account)["RequestId"];
    time_.advance(1500ms);
    ASSERT_EQ(provisioning_status(id)["Status"], "SUCCEEDED");
  }
  void assign(const char* user, const char* account = kAccount, bool deletion = false) {
    ok(deletion ? "DeleteAccountAssignment" : "CreateAccountAssignment",
       {{"InstanceArn", kInstance}, {"TargetId", account}, {"TargetType", "AWS_ACCOUNT"},
        {"PermissionSetArn", kPermissionSet}, {"PrincipalType", "USER"}, {"PrincipalId", user}});
    emulator_->assignments();  // settles: the delay is 0
  }
  EmulatedSession session(const char* user, const char* account = kAccount) {
    auto s = emulator_->open_session(user, account, kPermissionSet);
    EXPECT_TRUE(s) << s.error().message;
    return s ? *s : EmulatedSession{};
  }
  SessionVerdict verdict(const EmulatedSession& s, system_clock::time_point at) {
    auto v = emulator_->session_allowed(s.id, at);
    EXPECT_TRUE(v) << v.error().message;
    return v ? *v : SessionVerdict{false, "error", ""};
  }
  net::HttpResponse raw(std::string method, std::string target, std::string body = "") {
    auto response = http_->send(emulator_->endpoint(), {std::move(method), std::move(target), {}, std::move(body)});
    EXPECT_TRUE(response) << response.error().message;
    return response ? *response : net::HttpResponse{};
  }

  ManualClock time_{TimePoint(std::chrono::seconds(1'795'000'000))};
  json model_;
  std::vector<std::string> model_problems;
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client();
  std::unique_ptr<AwsEmulator> emulator_;
};

TEST_F(PermissionSetTest, InlinePolicyPutGetAndDelete) {
  const json target = {{"InstanceArn", kInstance}, {"PermissionSetArn", kPermissionSet}};
  EXPECT_EQ(ok("GetInlinePolicyForPermissionSet", target), json({{"InlinePolicy", ""}})) << "no inline policy yet";
  EXPECT_FALSE(emulator_->inline_policy(kPermissionSet));

  const std::string document = policy(json::array({json::parse(kAdminStatement)}));
  put(document);
  EXPECT_EQ(ok("GetInlinePolicyForPermissionSet", target), json({{"InlinePolicy", document}}));
  EXPECT_EQ(emulator_->inline_policy(kPermissionSet), document);
  EXPECT_FALSE(emulator_->provisioned_policy(kPermissionSet, kAccount)) << "Put alone provisions nothing";

  EXPECT_EQ(ok("DeleteInlinePolicyFromPermissionSet", target), json::object());
  EXPECT_EQ(ok("GetInlinePolicyForPermissionSet", target), json({{"InlinePolicy", ""}}));
  EXPECT_FALSE(emulator_->inline_policy(kPermissionSet));
}

TEST_F(PermissionSetTest, DescribePermissionSetGivesSeededOrDefaultSessionDuration) {
  json seeded = ok("DescribePermissionSet", {{"InstanceArn", kInstance}, {"PermissionSetArn", kSeeded}})["PermissionSet"];
  EXPECT_EQ(seeded["Name"], "Admin");
  EXPECT_EQ(seeded["SessionDuration"], "PT8H");
  EXPECT_EQ(seeded["PermissionSetArn"], kSeeded);
  EXPECT_TRUE(seeded["CreatedDate"].is_number());
  EXPECT_EQ(emulator_->inline_policy(kSeeded), policy(json::array({json::parse(kAdminStatement)})));

  json unseeded = ok("DescribePermissionSet", {{"InstanceArn", kInstance}, {"PermissionSetArn", kPermissionSet}})["PermissionSet"];
  EXPECT_EQ(unseeded["Name"], "ps-2222222222222222");
  EXPECT_EQ(unseeded["SessionDuration"], "PT1H");

  // A permission set of another instance does not exist in this one.
  auto other = sso("DescribePermissionSet",
                   {{"InstanceArn", kInstance},
                    {"PermissionSetArn", "arn:aws:sso:::permissionSet/ssoins-9999999999999999/ps-2222222222222222"}});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, "ResourceNotFoundException");
}

TEST_F(PermissionSetTest, ProvisioningIsInProgressForTheDelayWithConflictsThenSucceeds) {
  const std::string document = policy(json::array({json::parse(kAdminStatement)}));
  put(document);
  const json started = provision();
  EXPECT_EQ(started["Status"], "IN_PROGRESS");
  EXPECT_EQ(started["AccountId"], kAccount);
  EXPECT_EQ(started["PermissionSetArn"], kPermissionSet);
  const std::string id = started["RequestId"];
  EXPECT_EQ(id.size(), 36u);

  // A second provisioning of the same (permission set, account) while the first runs.
  auto conflict = sso("ProvisionPermissionSet", {{"InstanceArn", kInstance}, {"PermissionSetArn", kPermissionSet},
                                                 {"TargetId", kAccount}, {"TargetType", "AWS_ACCOUNT"}});
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, "ConflictException");
  EXPECT_EQ(conflict.error().http_status, 400);
  // Another account is free.
  EXPECT_EQ(provision(kOtherAccount)["Status"], "IN_PROGRESS");

  time_.advance(1499ms);
  EXPECT_EQ(provisioning_status(id)["Status"], "IN_PROGRESS");
  EXPECT_FALSE(emulator_->provisioned_policy(kPermissionSet, kAccount));
  time_.advance(1ms);
  const json done = provisioning_status(id);
  EXPECT_EQ(done["Status"], "SUCCEEDED");
  EXPECT_FALSE(done.contains("FailureReason"));
  EXPECT_EQ(emulator_->provisioned_policy(kPermissionSet, kAccount), document);

  // ALL_PROVISIONED_ACCOUNTS reaches both accounts with the latest document, and has no AccountId.
  put(policy(json::array()));
  const json all = ok("ProvisionPermissionSet", {{"InstanceArn", kInstance}, {"PermissionSetArn", kPermissionSet},
                                                 {"TargetType", "ALL_PROVISIONED_ACCOUNTS"}})["PermissionSetProvisioningStatus"];
  EXPECT_FALSE(all.contains("AccountId"));
  EXPECT_FALSE(sso("ProvisionPermissionSet", {{"InstanceArn", kInstance}, {"PermissionSetArn", kPermissionSet},
                                              {"TargetId", kOtherAccount}, {"TargetType", "AWS_ACCOUNT"}}))
      << "the account is in the running ALL_PROVISIONED_ACCOUNTS";
  time_.advance(1500ms);
  EXPECT_EQ(provisioning_status(all["RequestId"])["Status"], "SUCCEEDED");
  EXPECT_EQ(emulator_->provisioned_policy(kPermissionSet, kAccount), policy(json::array()));
  EXPECT_EQ(emulator_->provisioned_policy(kPermissionSet, kOtherAccount), policy(json::array()));

  auto listing = raw("GET", "/_emulator/permission-sets");
  ASSERT_EQ(listing.status, 200);
  const json sets = json::parse(listing.body)["permission_sets"];
  const auto ours = std::find_if(sets.begin(), sets.end(), [](const json& s) { return s["PermissionSetArn"] == kPermissionSet; });
  ASSERT_NE(ours, sets.end()) << listing.body;
  EXPECT_EQ((*ours)["Provisioned"][kAccount], policy(json::array()));
}

TEST_F(PermissionSetTest, ProvisioningFailsOverIamsTenThousandCharactersWhitespaceExcluded) {
  // A statement padded with whitespace: 20,000 characters, few of them counted.
  json padded = json::parse(kAdminStatement);
  const std::string spaced = policy(json::array({padded})) + std::string(20000, ' ');
  put(spaced);
  std::string id = provision()["RequestId"];
  time_.advance(1500ms);
  EXPECT_EQ(provisioning_status(id)["Status"], "SUCCEEDED") << "whitespace does not count";

  // 10,241 characters of compact JSON: the model takes it (≤ 32,768), IAM does not.
  json big = json::parse(kAdminStatement);
  const std::string compact = policy(json::array({big}));
  big["Sid"] = big["Sid"].get<std::string>() + std::string(10241 - compact.size(), 'x');
  const std::string over = policy(json::array({big}));
  ASSERT_EQ(over.size(), 10241u);
  put(over);
  id = provision()["RequestId"];
  time_.advance(1500ms);
  const json failed = provisioning_status(id);
  EXPECT_EQ(failed["Status"], "FAILED");
  EXPECT_TRUE(contains(failed.value("FailureReason", ""), "10240")) << failed.dump();
  EXPECT_TRUE(contains(failed.value("FailureReason", ""), "10241")) << failed.dump();
  EXPECT_EQ(emulator_->provisioned_policy(kPermissionSet, kAccount), spaced) << "a failed provisioning changes nothing";

  // One character less fits.
  big["Sid"] = big["Sid"].get<std::string>().substr(1);
  put(policy(json::array({big})));
  id = provision()["RequestId"];
  time_.advance(1500ms);
  EXPECT_EQ(provisioning_status(id)["Status"], "SUCCEEDED");
}

TEST_F(PermissionSetTest, CreateAccountAssignmentProvisionsTheLatestPolicyOnlyWhereThereIsNoCopy) {
  const std::string first = policy(json::array({json::parse(kAdminStatement)}));
  put(first);
  assign(kDana);
  EXPECT_EQ(emulator_->provisioned_policy(kPermissionSet, kAccount), first);

  put(policy(json::array()));
  assign(kEli);  // the account has a copy: updates need ProvisionPermissionSet
  EXPECT_EQ(emulator_->provisioned_policy(kPermissionSet, kAccount), first);
  assign(kDana, kOtherAccount);
  EXPECT_EQ(emulator_->provisioned_policy(kPermissionSet, kOtherAccount), policy(json::array()));
}

TEST_F(PermissionSetTest, ArmedDenyCutsTheUsersOpenSessionAtTheSecondAndNothingElse) {
  const auto t0 = time_.precise_now();
  assign(kDana);
  assign(kEli);
  assign(kDana, kOtherAccount);
  const EmulatedSession dana = session(kDana);
  const EmulatedSession eli = session(kEli);
  const EmulatedSession dana_elsewhere = session(kDana, kOtherAccount);
  EXPECT_EQ(dana.issued_at, t0);
  EXPECT_EQ(dana.expires_at, t0 + 1h);

  const auto cut_at = t0 + 10min;
  const auto sessions_before = cut_at + 2min;
  const json deny = cutoff("JitCutoffrab3k7mnp", kDana, kAccount, cut_at, sessions_before);
  put(policy(json::array({json::parse(kAdminStatement), deny})));
  EXPECT_TRUE(verdict(dana, cut_at + 1s).allowed) << "put but not provisioned: the account's role has no deny yet";
  arm(policy(json::array({json::parse(kAdminStatement), deny})));

  EXPECT_TRUE(verdict(dana, cut_at).allowed) << "DateGreaterThan is strict";
  const SessionVerdict cut = verdict(dana, cut_at + 1s);
  EXPECT_FALSE(cut.allowed);
  EXPECT_EQ(cut.statement, "JitCutoffrab3k7mnp");
  EXPECT_TRUE(contains(cut.reason, "JitCutoffrab3k7mnp")) << cut.reason;
  EXPECT_TRUE(verdict(eli, cut_at + 1s).allowed) << "another user";
  EXPECT_TRUE(verdict(dana_elsewhere, cut_at + 1s).allowed) << "another account";

  // Deleting the assignment ends no open session: only the deny does. No new session opens.
  assign(kDana, kAccount, /*deletion=*/true);
  EXPECT_FALSE(verdict(dana, cut_at + 1s).allowed);
  EXPECT_TRUE(verdict(dana, cut_at - 1s).allowed);
  auto refused = emulator_->open_session(kDana, kAccount, kPermissionSet);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::conflict);

  // A session issued at sessions_before (a later grant) is not denied; one issued a second earlier is.
  time_.set(TimePoint(std::chrono::floor<std::chrono::seconds>(sessions_before - 1s)));
  assign(kDana);
  const EmulatedSession late = session(kDana);
  EXPECT_FALSE(verdict(late, sessions_before + 1s).allowed);
  time_.advance(1s);
  const EmulatedSession fresh = session(kDana);
  EXPECT_EQ(fresh.issued_at, sessions_before);
  EXPECT_TRUE(verdict(fresh, sessions_before + 1s).allowed);

  const SessionVerdict expired = verdict(eli, eli.expires_at);
  EXPECT_FALSE(expired.allowed);
  EXPECT_EQ(expired.reason, "expired");
}

TEST_F(PermissionSetTest, SessionDurationComesFromThePermissionSet) {
  start([](AwsEmulatorOptions& o) { o.permission_sets.push_back({kPermissionSet, "Short", "PT1H30M"}); });
  assign(kDana);
  const EmulatedSession s = session(kDana);
  EXPECT_EQ(s.expires_at - s.issued_at, 90min);
  EXPECT_TRUE(verdict(s, s.expires_at - 1s).allowed);
  EXPECT_EQ(verdict(s, s.expires_at).reason, "expired");

  auto bad = AwsEmulator::start([] {
    AwsEmulatorOptions o;
    o.permission_sets = {{kPermissionSet, "", "one hour"}};
    return o;
  }());
  ASSERT_FALSE(bad);
  EXPECT_TRUE(contains(bad.error().message, "ISO-8601")) << bad.error().message;
}

TEST_F(PermissionSetTest, DenyOutsideTheKnownShapeIsAnErrorNeverAnAllow) {
  assign(kDana);
  const EmulatedSession s = session(kDana);
  const auto at = s.issued_at + 10min;
  json deny = cutoff("JitCutoffx", kDana, kAccount, at - 1min, at + 1min);

  for (auto [op, key] : {std::pair{"StringLike", "identitystore:UserId"}, std::pair{"StringEquals", "aws:username"},
                         std::pair{"DateGreaterThan", "aws:TokenIssueTime"}}) {
    json odd = deny;
    odd["Condition"][op][key] = "x";
    arm(policy(json::array({odd})));
    auto v = emulator_->session_allowed(s.id, at);
    ASSERT_FALSE(v) << op << " " << key << " gave " << v->reason;
    EXPECT_EQ(v.error().code, Errc::invalid);
    EXPECT_TRUE(contains(v.error().message, key)) << v.error().message;
  }
  json narrow = deny;
  narrow["Action"] = "s3:*";
  arm(policy(json::array({narrow})));
  EXPECT_FALSE(emulator_->session_allowed(s.id, at));

  // Over HTTP: 422 with allowed false and the statement named.
  json unknown = deny;
  unknown["Condition"]["IpAddress"] = {{"aws:SourceIp", "10.0.0.0/8"}};
  arm(policy(json::array({unknown})));
  auto answer = raw("GET", fmt::format("/_emulator/sessions/{}?at={}", s.id, iso8601(at)));
  EXPECT_EQ(answer.status, 422) << answer.body;
  const json body = json::parse(answer.body, nullptr, false);
  EXPECT_EQ(body["allowed"], false);
  EXPECT_EQ(body["statement"], "JitCutoffx");
  EXPECT_TRUE(contains(body.value("reason", ""), "IpAddress")) << answer.body;

  // Lists of values are any-of; a Statement may be a single object.
  json listed = deny;
  listed["Condition"]["StringEquals"]["identitystore:UserId"] = json::array({kEli, kDana});
  arm(json{{"Version", "2012-10-17"}, {"Statement", listed}}.dump());
  EXPECT_FALSE(verdict(s, at).allowed);
}

TEST_F(PermissionSetTest, SessionControlApiOverHttp) {
  const json ask = {{"principal", kDana}, {"account", kAccount}, {"permission_set", kPermissionSet}};
  auto refused = raw("POST", "/_emulator/sessions", ask.dump());
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_TRUE(contains(refused.body, "no assignment")) << refused.body;

  assign(kDana);
  auto opened = raw("POST", "/_emulator/sessions", ask.dump());
  ASSERT_EQ(opened.status, 200) << opened.body;
  const json s = json::parse(opened.body);
  EXPECT_EQ(s["issued_at"], iso8601(time_.precise_now()));
  EXPECT_EQ(s["expires_at"], iso8601(time_.precise_now() + 1h));

  const auto cut_at = time_.precise_now() + 5min;
  arm(policy(json::array({cutoff("JitCutoffabc", kDana, kAccount, cut_at, cut_at + 2min)})));
  auto now = raw("GET", "/_emulator/sessions/" + s["id"].get<std::string>());
  ASSERT_EQ(now.status, 200) << now.body;
  EXPECT_EQ(json::parse(now.body), json({{"allowed", true}, {"reason", "no deny applies"}, {"statement", ""}}));
  auto later = raw("GET", fmt::format("/_emulator/sessions/{}?at={}", s["id"].get<std::string>(), iso8601(cut_at + 1s)));
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(json::parse(later.body)["allowed"], false);
  EXPECT_EQ(json::parse(later.body)["statement"], "JitCutoffabc");

  EXPECT_EQ(raw("GET", "/_emulator/sessions/nope").status, 404);
  EXPECT_EQ(raw("GET", fmt::format("/_emulator/sessions/{}?at=tomorrow", s["id"].get<std::string>())).status, 400);
  EXPECT_EQ(raw("POST", "/_emulator/sessions", "{\"principal\":1}").status, 400);

  emulator_->reset();
  EXPECT_EQ(raw("GET", "/_emulator/sessions/" + s["id"].get<std::string>()).status, 404) << "reset forgets sessions";
  EXPECT_EQ(emulator_->inline_policy(kSeeded), policy(json::array({json::parse(kAdminStatement)}))) << "seeds stay";
}

// Each input is invalid for the model and for the emulator alike.
TEST_F(PermissionSetTest, InvalidInputsAreValidationExceptionsAsTheModelSays) {
  const json base = {{"InstanceArn", kInstance}, {"PermissionSetArn", kPermissionSet}};
  struct Case {
    const char* operation;
    json input;
    const char* message_part;
  };
  const std::vector<Case> cases = {
      {"PutInlinePolicyToPermissionSet", base, "'inlinePolicy'"},
      {"PutInlinePolicyToPermissionSet", with(base, {{"InlinePolicy", ""}}), "'inlinePolicy'"},
      {"PutInlinePolicyToPermissionSet",
       with(base, {{"InlinePolicy", policy(json::array()) + std::string(32769, ' ')}}), "32768"},
      {"GetInlinePolicyForPermissionSet", {{"InstanceArn", kInstance}}, "'permissionSetArn'"},
      {"DeleteInlinePolicyFromPermissionSet", with(base, {{"PermissionSetArn", "arn:aws:sso:::permissionSet/x"}}),
       "'permissionSetArn'"},
      {"ProvisionPermissionSet", base, "'targetType'"},
      {"ProvisionPermissionSet", with(base, {{"TargetType", "ACCOUNT"}}), "enum value set"},
      {"ProvisionPermissionSet", with(base, {{"TargetType", "AWS_ACCOUNT"}, {"TargetId", "12345"}}), "'targetId'"},
      {"DescribePermissionSetProvisioningStatus", {{"InstanceArn", kInstance}, {"ProvisionPermissionSetRequestId", "r-1"}},
       "'provisionPermissionSetRequestId'"},
      {"DescribePermissionSet", {{"PermissionSetArn", kPermissionSet}}, "'instanceArn'"},
  };
  for (const auto& c : cases) {
    auto r = sso(c.operation, c.input);
    EXPECT_FALSE(model_problems.empty()) << c.operation << " " << c.input.dump().substr(0, 200) << ": the model takes it";
    ASSERT_FALSE(r) << c.operation << " " << c.input.dump().substr(0, 200);
    EXPECT_EQ(r.error().code, "ValidationException") << c.operation;
    EXPECT_TRUE(contains(r.error().message, c.message_part)) << c.operation << ": " << r.error().message;
  }
  // Beyond the model: the policy must be a JSON policy, and AWS_ACCOUNT needs a TargetId.
  for (const std::string bad : {"not json", "{\"Version\":\"2012-10-17\"}", R"({"Statement":[{"Effect":"Maybe"}]})"}) {
    auto r = sso("PutInlinePolicyToPermissionSet", with(base, {{"InlinePolicy", bad}}));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "ValidationException") << bad;
  }
  auto no_target = sso("ProvisionPermissionSet", with(base, {{"TargetType", "AWS_ACCOUNT"}}));
  ASSERT_FALSE(no_target);
  EXPECT_TRUE(contains(no_target.error().message, "'targetId'")) << no_target.error().message;
  // Characters past U+00FF are outside the document's pattern.
  auto wide = sso("PutInlinePolicyToPermissionSet",
                  with(base, {{"InlinePolicy", R"({"Statement":[{"Sid":"Ā","Effect":"Allow"}]})"}}));
  ASSERT_FALSE(wide);
  EXPECT_TRUE(contains(wide.error().message, "pattern")) << wide.error().message;
  auto unknown_request = sso("DescribePermissionSetProvisioningStatus",
                             {{"InstanceArn", kInstance}, {"ProvisionPermissionSetRequestId", "00000000-0000-4000-8000-000000000000"}});
  ASSERT_FALSE(unknown_request);
  EXPECT_EQ(unknown_request.error().code, "ResourceNotFoundException");
}

}  // namespace aws_emulator_permission_sets_test
}  // namespace
}  // namespace jit::emulators
