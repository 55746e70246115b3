// The emulator's IAM-role path in process, on a manual clock: IAM's role operations (model
// validation, IAM's errors), STS AssumeRole judged on the target role's trust policy for the
// caller its access key names, and the role-session evaluator's cut-off denies. Requests are
// signed with our SigV4 and sent over HTTP; replies are read with aws::QueryXml.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "aws/query_xml.h"
#include "aws/sigv4.h"
#include "core/time.h"
#include "emulators/aws/aws_emulator.h"
#include "emulators/aws/trust_evaluation.h"
#include "fakes/manual_clock.h"
#include "net/https_client.h"

namespace jit::emulators {
namespace {
namespace aws_emulator_iam_test {  // its own names: the unity build compiles it beside other files

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr char kAccount[] = "222233334444";
constexpr char kManagementRole[] = "arn:aws:iam::222233334444:role/jit-access-management";
constexpr char kAdminRole[] = "arn:aws:iam::222233334444:role/jit-admin";
constexpr char kBaseRole[] = "arn:aws:iam::222233334444:role/okta-engineer";
const aws::Credentials kService{"AKIDJITSERVICE000001", "service/secret/key", ""};
const aws::Credentials kDana{"AKIDDANABASE00000001", "dana/secret/key", ""};
const aws::Credentials kEve{"AKIDEVEBASE000000001", "eve/secret/key", ""};
// An admin's statement, spaced and ordered as the admin wrote it.
constexpr char kForeignStatement[] =
    R"({"Sid" : "BreakGlass",  "Principal":{"AWS":["arn:aws:iam::222233334444:role/break-glass"]},)"
    R"( "Effect":"Allow", "Action":"sts:AssumeRole"})";

std::string trust_with(const std::vector<std::string>& statements) {
  std::string out = R"({"Version":"2012-10-17","Statement":[)";
  for (std::size_t i = 0; i < statements.size(); ++i) out += (i ? "," : "") + statements[i];
  return out + "]}";
}

std::string grant_statement(std::string_view id, std::string_view identity, TimePoint until) {
  return fmt::format(
      R"({{"Sid":"JitGrant{}","Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],)"
      R"("Condition":{{"StringEquals":{{"sts:SourceIdentity":"{}"}},"DateLessThan":{{"aws:CurrentTime":"{}"}}}}}})",
      id, kBaseRole, identity, format_time(until));
}

std::string cutoff_policy(std::string_view identity, TimePoint cut_at, std::string_view op = "StringEquals") {
  return fmt::format(
      R"({{"Version":"2012-10-17","Statement":[{{"Sid":"JitCutoffg1","Effect":"Deny","Action":"*","Resource":"*",)"
      R"("Condition":{{"{}":{{"aws:SourceIdentity":"{}","aws:PrincipalAccount":"{}"}},)"
      R"("DateGreaterThan":{{"aws:CurrentTime":"{}"}},"DateLessThan":{{"aws:TokenIssueTime":"{}"}}}}}}]}})",
      op, identity, kAccount, format_time(cut_at), format_time(cut_at));
}

struct Reply {
  int status = 0;
  std::string body;
  std::string code() const { return aws::query_error_of(body).code; }
  std::string message() const { return aws::query_error_of(body).message; }
  std::optional<std::string> text(std::string_view path) const {
    auto xml = aws::QueryXml::parse(body);
    return xml ? xml->text(path) : std::nullopt;
  }
};

class IamRoleEmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AwsEmulatorOptions options;
    options.clock = [this] { return time_.precise_now(); };
    options.principals = {{kService.access_key_id, kService.secret_access_key, "arn:aws:iam::111122223333:user/jit-service"},
                          {kDana.access_key_id, kDana.secret_access_key,
                           "arn:aws:sts::222233334444:assumed-role/okta-engineer/dana", "dana@example.com"},
                          {kEve.access_key_id, kEve.secret_access_key,
                           "arn:aws:sts::222233334444:assumed-role/okta-engineer/eve", "eve@example.com"}};
    const std::string management_trust = trust_with(
        {R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/jit-service"},"Action":"sts:AssumeRole",)"
         R"("Condition":{"StringEquals":{"sts:ExternalId":"jit-7f3a"}}})"});
    options.roles = {{kManagementRole, management_trust}, {kAdminRole, trust_with({kForeignStatement})}};
    auto started = AwsEmulator::start(options);
    ASSERT_TRUE(started) << started.error().message;
    emulator_ = std::move(*started);
  }

  Reply call(std::string_view service, std::string_view action, const std::vector<std::pair<std::string, std::string>>& params,
             const aws::Credentials& credentials) {
    std::string body = fmt::format("Action={}&Version={}", action, service == "iam" ? "2010-05-08" : "2011-06-15");
    for (const auto& [name, value] : params) body += "&" + name + "=" + net::percent_encode(value);
    net::HttpRequest request{"POST", "/",
                             {{"Host", emulator_->endpoint().host_header()},
                              {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                             body};
    EXPECT_TRUE(aws::sign_headers(request, credentials, {"us-east-1", std::string(service), time_.now()}));
    auto response = http_->send(emulator_->endpoint(), request);
    EXPECT_TRUE(response) << response.error().message;
    return response ? Reply{response->status, response->body} : Reply{};
  }

  // The management role's session, assumed as the product does (ExternalId, session jit-access).
  aws::Credentials management() {
    auto reply = call("sts", "AssumeRole",
                      {{"RoleArn", kManagementRole}, {"RoleSessionName", "jit-access"}, {"ExternalId", "jit-7f3a"}}, kService);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return credentials_of(reply, "AssumeRoleResult");
  }
  static aws::Credentials credentials_of(const Reply& reply, std::string_view result) {
    const std::string prefix = std::string(result) + "/Credentials/";
    return {reply.text(prefix + "AccessKeyId").value_or(""), reply.text(prefix + "SecretAccessKey").value_or(""),
            reply.text(prefix + "SessionToken").value_or("")};
  }
  Reply assume_admin(const aws::Credentials& caller, std::optional<std::string> identity) {
    std::vector<std::pair<std::string, std::string>> params = {{"RoleArn", kAdminRole}, {"RoleSessionName", "dana"}};
    if (identity) params.emplace_back("SourceIdentity", *identity);
    return call("sts", "AssumeRole", params, caller);
  }

  ManualClock time_{TimePoint(std::chrono::seconds(1'796'306'400))};  // 2026-12-03T14:00:00Z
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client();
  std::unique_ptr<AwsEmulator> emulator_;
};

TEST_F(IamRoleEmulatorTest, ManagementRoleNeedsTheExternalIdAndItsCredentialsCallIam) {
  auto without = call("sts", "AssumeRole", {{"RoleArn", kManagementRole}, {"RoleSessionName", "jit-access"}}, kService);
  EXPECT_EQ(without.status, 403) << without.body;
  EXPECT_EQ(without.code(), "AccessDenied");
  EXPECT_NE(without.message().find("User: arn:aws:iam::111122223333:user/jit-service is not authorized to perform: "
                                   "sts:AssumeRole on resource: arn:aws:iam::222233334444:role/jit-access-management"),
            std::string::npos) << without.message();
  auto wrong = call("sts", "AssumeRole",
                    {{"RoleArn", kManagementRole}, {"RoleSessionName", "jit-access"}, {"ExternalId", "jit-0000"}}, kService);
  EXPECT_EQ(wrong.code(), "AccessDenied");
  auto by_dana = call("sts", "AssumeRole",
                      {{"RoleArn", kManagementRole}, {"RoleSessionName", "jit-access"}, {"ExternalId", "jit-7f3a"}}, kDana);
  EXPECT_EQ(by_dana.code(), "AccessDenied") << "another principal, even with the external id";

  const aws::Credentials session = management();
  ASSERT_TRUE(session.access_key_id.starts_with("ASIA")) << session.access_key_id;
  auto role = call("iam", "GetRole", {{"RoleName", "jit-admin"}}, session);
  ASSERT_EQ(role.status, 200) << role.body;
  EXPECT_EQ(role.text("GetRoleResult/Role/Arn"), kAdminRole);
  EXPECT_EQ(role.text("GetRoleResult/Role/MaxSessionDuration"), "3600");
  EXPECT_TRUE(role.text("GetRoleResult/Role/RoleId").value_or("").starts_with("AROA"));
  EXPECT_NE(role.body.find(R"(<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">)"), std::string::npos);

  time_.advance(3601s);  // the session's hour is over: its key is no longer accepted
  auto expired = call("iam", "GetRole", {{"RoleName", "jit-admin"}}, session);
  EXPECT_EQ(expired.status, 403) << expired.body;
}

TEST_F(IamRoleEmulatorTest, GrantWindowAllowsOnlyItsSourceIdentityUntilItsEnd) {
  const aws::Credentials session = management();
  const TimePoint until = time_.now() + 1h;
  auto updated = call("iam", "UpdateAssumeRolePolicy",
                      {{"RoleName", "jit-admin"}, {"PolicyDocument", trust_with({kForeignStatement, grant_statement("g1", "dana@example.com", until)})}},
                      session);
  ASSERT_EQ(updated.status, 200) << updated.body;

  auto inside = assume_admin(kDana, "dana@example.com");
  ASSERT_EQ(inside.status, 200) << inside.body;
  EXPECT_EQ(inside.text("AssumeRoleResult/SourceIdentity"), "dana@example.com");
  EXPECT_EQ(inside.text("AssumeRoleResult/AssumedRoleUser/Arn"), "arn:aws:sts::222233334444:assumed-role/jit-admin/dana");
  // The base session's source identity is carried even when not passed again.
  EXPECT_EQ(assume_admin(kDana, std::nullopt).status, 200);

  auto other_identity = assume_admin(kDana, "eve@example.com");
  EXPECT_EQ(other_identity.code(), "AccessDenied") << "a session's source identity cannot change";
  auto eve = assume_admin(kEve, "eve@example.com");
  EXPECT_EQ(eve.code(), "AccessDenied") << "eve's source identity is not in the grant";
  EXPECT_NE(eve.message().find("sts:AssumeRole"), std::string::npos) << eve.message();

  time_.set(until - 1s);
  EXPECT_EQ(assume_admin(kDana, "dana@example.com").status, 200);
  time_.set(until);
  auto after = assume_admin(kDana, "dana@example.com");
  EXPECT_EQ(after.status, 403);
  EXPECT_EQ(after.code(), "AccessDenied");
}

TEST_F(IamRoleEmulatorTest, CutoffDenyEndsTheSessionAtItsTime) {
  const aws::Credentials session = management();
  const TimePoint expiry = time_.now() + 30min;
  ASSERT_EQ(call("iam", "UpdateAssumeRolePolicy",
                 {{"RoleName", "jit-admin"}, {"PolicyDocument", trust_with({grant_statement("g1", "dana@example.com", expiry)})}},
                 session).status, 200);
  auto assumed = assume_admin(kDana, "dana@example.com");
  ASSERT_EQ(assumed.status, 200) << assumed.body;
  const std::string key = credentials_of(assumed, "AssumeRoleResult").access_key_id;
  auto put = call("iam", "PutRolePolicy",
                  {{"RoleName", "jit-admin"}, {"PolicyName", "jit-access-cutoffs"}, {"PolicyDocument", cutoff_policy("dana@example.com", expiry)}},
                  session);
  ASSERT_EQ(put.status, 200) << put.body;

  auto before = emulator_->role_session_allowed(key, expiry - 1s);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_TRUE(before->allowed) << before->reason;
  auto after = emulator_->role_session_allowed(key, expiry + 1s);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_FALSE(after->allowed);
  EXPECT_EQ(after->statement, "JitCutoffg1");

  // A session issued after the cut-off (another grant later) is not caught by it.
  time_.set(expiry + 10s);
  ASSERT_EQ(call("iam", "UpdateAssumeRolePolicy",
                 {{"RoleName", "jit-admin"}, {"PolicyDocument", trust_with({grant_statement("g2", "dana@example.com", expiry + 1h)})}},
                 management()).status, 200);
  auto later = assume_admin(kDana, "dana@example.com");
  ASSERT_EQ(later.status, 200) << later.body;
  auto fresh = emulator_->role_session_allowed(credentials_of(later, "AssumeRoleResult").access_key_id);
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->allowed) << fresh->reason;

  // An operator the evaluator does not know is an error, never an allow.
  ASSERT_EQ(call("iam", "PutRolePolicy",
                 {{"RoleName", "jit-admin"}, {"PolicyName", "jit-access-cutoffs"}, {"PolicyDocument", cutoff_policy("dana@example.com", expiry, "StringLike")}},
                 management()).status, 200);
  auto unknown = emulator_->role_session_allowed(key, expiry - 1s);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::invalid);
  EXPECT_NE(unknown.error().message.find("StringLike"), std::string::npos) << unknown.error().message;
}

TEST_F(IamRoleEmulatorTest, ForeignStatementSurvivesByteForByteAndDocumentsComeBackUrlEncoded) {
  const aws::Credentials session = management();
  const std::string document = trust_with({kForeignStatement, grant_statement("g1", "dana@example.com", time_.now() + 1h)});
  ASSERT_EQ(call("iam", "UpdateAssumeRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyDocument", document}}, session).status, 200);
  auto role = call("iam", "GetRole", {{"RoleName", "jit-admin"}}, session);
  const auto encoded = role.text("GetRoleResult/Role/AssumeRolePolicyDocument");
  ASSERT_TRUE(encoded) << role.body;
  EXPECT_TRUE(encoded->starts_with("%7B%22Version%22")) << *encoded;
  EXPECT_EQ(net::percent_decode(*encoded, false), document);

  const std::string cutoffs = cutoff_policy("dana@example.com", time_.now() + 1h);
  ASSERT_EQ(call("iam", "PutRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyName", "jit-access-cutoffs"}, {"PolicyDocument", cutoffs}}, session).status, 200);
  auto policy = call("iam", "GetRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyName", "jit-access-cutoffs"}}, session);
  EXPECT_EQ(net::percent_decode(policy.text("GetRolePolicyResult/PolicyDocument").value_or(""), false), cutoffs);
  auto listed = call("iam", "ListRolePolicies", {{"RoleName", "jit-admin"}}, session);
  EXPECT_EQ(aws::QueryXml::parse(listed.body)->texts("ListRolePoliciesResult/PolicyNames/member"),
            std::vector<std::string>{"jit-access-cutoffs"});
  EXPECT_EQ(listed.text("ListRolePoliciesResult/IsTruncated"), "false");
}

TEST_F(IamRoleEmulatorTest, IamErrorsFollowTheModelAndIamsQuotas) {
  const aws::Credentials session = management();
  auto invalid = call("iam", "CreateRole", {{"RoleName", "bad name"}, {"MaxSessionDuration", "100"}}, session);
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.code(), "ValidationError");
  EXPECT_NE(invalid.message().find("3 validation errors detected"), std::string::npos) << invalid.message();
  EXPECT_NE(invalid.message().find("Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null"),
            std::string::npos) << invalid.message();
  EXPECT_NE(invalid.message().find("[\\w+=,.@-]+"), std::string::npos) << invalid.message();
  EXPECT_NE(invalid.message().find("greater than or equal to 3600"), std::string::npos) << invalid.message();

  auto malformed = call("iam", "CreateRole", {{"RoleName", "r1"}, {"AssumeRolePolicyDocument", "{not json"}}, session);
  EXPECT_EQ(malformed.code(), "MalformedPolicyDocument");
  auto no_principal = call("iam", "CreateRole",
                           {{"RoleName", "r1"}, {"AssumeRolePolicyDocument", R"({"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]})"}},
                           session);
  EXPECT_EQ(no_principal.code(), "MalformedPolicyDocument");

  // 2,048 non-whitespace characters pass; one more is LimitExceeded. Whitespace does not count.
  const TimePoint until = time_.now() + 1h;
  const std::size_t base = trust_with({grant_statement("g1", "dana@example.com", until)}).size();
  auto padded = [&](std::size_t extra) {
    std::string document = trust_with({grant_statement("g1" + std::string(2048 - base + extra, 'x'), "dana@example.com", until)});
    return document.insert(document.size() - 2, std::string(40, ' '));  // whitespace does not count
  };
  const std::string at_limit = padded(0);
  ASSERT_EQ(at_limit.size() - 40, 2048u);
  EXPECT_EQ(call("iam", "UpdateAssumeRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyDocument", at_limit}}, session).status, 200);
  const std::string over = padded(1);
  auto limit = call("iam", "UpdateAssumeRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyDocument", over}}, session);
  EXPECT_EQ(limit.status, 409) << limit.body;
  EXPECT_EQ(limit.code(), "LimitExceeded");
  EXPECT_EQ(limit.message(), "Cannot exceed quota for ACLSizePerRole: 2048");

  const std::string trust = trust_with({kForeignStatement});
  auto created = call("iam", "CreateRole", {{"RoleName", "jit-readonly"}, {"AssumeRolePolicyDocument", trust},
                                            {"Path", "/jit/"}, {"MaxSessionDuration", "7200"}}, session);
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.text("CreateRoleResult/Role/Arn"), "arn:aws:iam::222233334444:role/jit/jit-readonly");
  auto again = call("iam", "CreateRole", {{"RoleName", "jit-readonly"}, {"AssumeRolePolicyDocument", trust}}, session);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.code(), "EntityAlreadyExists");
  auto missing = call("iam", "GetRole", {{"RoleName", "nope"}}, session);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.code(), "NoSuchEntity");
  EXPECT_EQ(missing.message(), "The role with name nope cannot be found.");
  EXPECT_EQ(call("iam", "GetRolePolicy", {{"RoleName", "jit-readonly"}, {"PolicyName", "p"}}, session).code(), "NoSuchEntity");
  ASSERT_EQ(call("iam", "PutRolePolicy", {{"RoleName", "jit-readonly"}, {"PolicyName", "p"}, {"PolicyDocument", cutoff_policy("a@b.c", time_.now())}}, session).status, 200);
  EXPECT_EQ(call("iam", "DeleteRole", {{"RoleName", "jit-readonly"}}, session).code(), "DeleteConflict");
  EXPECT_EQ(call("iam", "DeleteRolePolicy", {{"RoleName", "jit-readonly"}, {"PolicyName", "p"}}, session).status, 200);
  EXPECT_EQ(call("iam", "DeleteRole", {{"RoleName", "jit-readonly"}}, session).status, 200);
  EXPECT_EQ(call("iam", "GetRole", {{"RoleName", "jit-readonly"}}, session).code(), "NoSuchEntity");
}

TEST_F(IamRoleEmulatorTest, UnknownTrustConditionRefusesWithAnError) {
  const aws::Credentials session = management();
  const std::string unknown = R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222233334444:root"},)"
                              R"("Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}})";
  ASSERT_EQ(call("iam", "UpdateAssumeRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyDocument", trust_with({unknown})}}, session).status, 200);
  auto refused = assume_admin(kDana, "dana@example.com");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.code(), "PolicyNotEvaluable");
  EXPECT_NE(refused.message().find("StringLike"), std::string::npos) << refused.message();
}

TEST_F(IamRoleEmulatorTest, ControlApiSeedsShowsJudgesAndResets) {
  auto control = [&](std::string method, std::string path, std::string body = "") {
    auto response = http_->send(emulator_->endpoint(), {std::move(method), "/_emulator/" + path, {}, std::move(body)});
    EXPECT_TRUE(response);
    return response ? std::make_pair(response->status, json::parse(response->body, nullptr, false)) : std::make_pair(0, json());
  };
  auto [bad_status, bad] = control("POST", "iam", R"({"principals":[{"access_key_id":"AKIDX","secret_access_key":"s","principal_arn":"arn:aws:iam::1:user/x"}]})");
  EXPECT_EQ(bad_status, 400);
  EXPECT_NE(bad["error"].get<std::string>().find("principal ARN 'arn:aws:iam::1:user/x'"), std::string::npos) << bad;
  EXPECT_EQ(control("POST", "iam", R"({"rolez":[]})").first, 400);

  const json seed = {{"principals", {{{"access_key_id", "AKIDFRANK0000000001"}, {"secret_access_key", "frank/key"},
                                      {"principal_arn", kBaseRole}, {"source_identity", "frank@example.com"}}}},
                     {"roles", {{{"arn", "arn:aws:iam::222233334444:role/ops/jit-ops"},
                                 {"trust_policy", {{"Statement", {{{"Effect", "Allow"}, {"Principal", {{"AWS", kBaseRole}}},
                                                                   {"Action", "sts:*"}}}}}}}}}};
  auto [status, shown] = control("POST", "iam", seed.dump());
  ASSERT_EQ(status, 200) << shown;
  const aws::Credentials frank{"AKIDFRANK0000000001", "frank/key", ""};
  auto assumed = call("sts", "AssumeRole", {{"RoleArn", "arn:aws:iam::222233334444:role/ops/jit-ops"}, {"RoleSessionName", "frank"}}, frank);
  ASSERT_EQ(assumed.status, 200) << assumed.body;
  EXPECT_EQ(assumed.text("AssumeRoleResult/SourceIdentity"), "frank@example.com") << "carried from the base session";
  const std::string key = credentials_of(assumed, "AssumeRoleResult").access_key_id;

  auto [judged_status, judged] = control("GET", "role-sessions/" + key);
  EXPECT_EQ(judged_status, 200);
  EXPECT_EQ(judged, json({{"allowed", true}, {"reason", "no inline policy"}, {"statement", ""}}));
  EXPECT_EQ(control("GET", "role-sessions/ASIANOSUCHKEY").first, 404);
  EXPECT_EQ(control("GET", "role-sessions/" + key + "?at=tomorrow").first, 400);
  auto [_, listed] = control("GET", "iam");
  ASSERT_EQ(listed["role_sessions"].size(), 1u) << listed;
  EXPECT_EQ(listed["role_sessions"][0]["source_identity"], "frank@example.com");
  EXPECT_EQ(listed["role_sessions"][0]["issued_at"], format_time(time_.now()));

  emulator_->reset();  // back to the options' seed: frank and jit-ops are gone
  EXPECT_EQ(call("sts", "AssumeRole", {{"RoleArn", "arn:aws:iam::222233334444:role/ops/jit-ops"}, {"RoleSessionName", "frank"}}, frank).status, 403);
  EXPECT_EQ(control("GET", "role-sessions/" + key).first, 404);
  EXPECT_EQ(emulator_->iam()["roles"].size(), 2u);
}

TEST_F(IamRoleEmulatorTest, WebIdentitySessionsActAsTheirRole) {
  const aws::Credentials fallback{kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""};
  auto web = call("sts", "AssumeRoleWithWebIdentity",
                  {{"RoleArn", "arn:aws:iam::222233334444:role/jit-task"}, {"RoleSessionName", "ecs-task"},
                   {"WebIdentityToken", "header.payload.signature"}}, fallback);
  ASSERT_EQ(web.status, 200) << web.body;
  const aws::Credentials task = credentials_of(web, "AssumeRoleWithWebIdentityResult");
  const std::string trust = trust_with({R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222233334444:role/jit-task"},"Action":"sts:AssumeRole"})"});
  ASSERT_EQ(call("iam", "UpdateAssumeRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyDocument", trust}}, management()).status, 200);

  EXPECT_EQ(call("sts", "AssumeRole", {{"RoleArn", kAdminRole}, {"RoleSessionName", "jit"}}, task).status, 200);
  auto by_default_key = call("sts", "AssumeRole", {{"RoleArn", kAdminRole}, {"RoleSessionName", "jit"}}, fallback);
  EXPECT_EQ(by_default_key.code(), "AccessDenied");
  EXPECT_NE(by_default_key.message().find("User: arn:aws:iam::123456789012:user/jit-emulator"), std::string::npos)
      << by_default_key.message();
}

// The trust evaluator alone: account roots, Deny over Allow, SetSourceIdentity.
TEST(TrustEvaluation, AccountRootDenyAndSourceIdentity) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'796'306'400));
  TrustRequest request{kBaseRole, kAccount, "sts:AssumeRole", std::nullopt, std::string("dana@example.com"), now};
  const std::string root = R"({"Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"222233334444"},"Action":"sts:*"}]})";
  auto allowed = evaluate_trust(root, request);
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_TRUE(allowed->allowed);
  EXPECT_EQ(allowed->statement, "Root");
  request.caller_account = "999988887777";
  request.caller_arn = "arn:aws:iam::999988887777:role/okta-engineer";
  EXPECT_FALSE(evaluate_trust(root, request)->allowed) << "another account's role of the same name";

  request = {kBaseRole, kAccount, "sts:SetSourceIdentity", std::nullopt, std::string("dana@example.com"), now};
  const std::string assume_only = R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222233334444:root"},"Action":"sts:AssumeRole"}})";
  EXPECT_FALSE(evaluate_trust(assume_only, request)->allowed);

  const std::string with_deny =
      R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"},)"
      R"({"Sid":"NoDana","Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:SourceIdentity":["eve@example.com","dana@example.com"]}}}]})";
  request.action = "sts:AssumeRole";
  auto denied = evaluate_trust(with_deny, request);
  ASSERT_TRUE(denied);
  EXPECT_FALSE(denied->allowed);
  EXPECT_EQ(denied->statement, "NoDana");
  EXPECT_FALSE(evaluate_trust(R"({"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"*"},"Action":"*"}]})", request))
      << "members outside the grammar are errors";
}

}  // namespace aws_emulator_iam_test
}  // namespace
}  // namespace jit::emulators
