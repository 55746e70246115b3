// The IAM-role path with real clients: Debian's awscli v2 (/usr/bin/aws) against the
// jit-aws-emulator process seeded with --iam-seed (the grant's trust window, the source identity,
// the management role's external id, the cut-off deny judged by /_emulator/role-sessions), and
// the same IAM calls side by side with moto_server (moto 5.2), whose known differences are
// asserted: it evaluates no trust policy, enforces no trust-policy size quota, and words its
// NoSuchEntity messages its own way, and its CreateRole adds RoleLastUsed. The tests fail (never skip) without awscli or moto_server.
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "support/awscli_run.h"
#include "core/time.h"
#include "json_shape.h"
#include "emulators/aws/aws_emulator.h"
#include "net/https_client.h"
#include "platform/child_process.h"
#include "support/free_port.h"
#include "support/moto_suite.h"

namespace jit::emulators {
namespace {
namespace aws_emulator_iam_awscli_test {  // its own names: the unity build compiles it beside other files

using json = nlohmann::json;
using ordered = nlohmann::ordered_json;
namespace fs = std::filesystem;
using awscli::CliKeys;
using awscli::CliRun;

constexpr char kManagementRole[] = "arn:aws:iam::222233334444:role/jit-access-management";
constexpr char kAdminRole[] = "arn:aws:iam::222233334444:role/jit-admin";
const CliKeys kService{"AKIDJITSERVICE000001", "service/secret/key"};
const CliKeys kDana{"AKIDDANABASE00000001", "dana/secret/key"};
// An admin's statement as the admin spaced it: it must come back exactly so.
constexpr char kForeign[] =
    R"({"Sid" : "BreakGlass",  "Principal":{"AWS":["arn:aws:iam::222233334444:role/break-glass"]}, "Effect":"Allow", "Action":"sts:AssumeRole"})";

std::string trust_with(const std::vector<std::string>& statements) {
  std::string out = R"({"Version":"2012-10-17","Statement":[)";
  for (std::size_t i = 0; i < statements.size(); ++i) out += (i ? "," : "") + statements[i];
  return out + "]}";
}

fs::path fresh_dir(std::string_view name) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("jit-{}-{}-{}", name, ::getpid(),
                                                             ::testing::UnitTest::GetInstance()->random_seed());
  fs::create_directories(dir);
  return dir;
}

class AwsCliIamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(awscli::kAwsCli)) << "install Debian's awscli v2 (scripts/setup)";
    dir_ = fresh_dir("awscli-iam");
    const json seed = {
        {"principals",
         {{{"access_key_id", kService.access_key_id}, {"secret_access_key", kService.secret_access_key},
           {"principal_arn", "arn:aws:iam::111122223333:user/jit-service"}},
          {{"access_key_id", kDana.access_key_id}, {"secret_access_key", kDana.secret_access_key},
           {"principal_arn", "arn:aws:sts::222233334444:assumed-role/okta-engineer/dana"}, {"source_identity", "dana@example.com"}}}},
        {"roles",
         {{{"arn", kManagementRole},
           {"trust_policy", trust_with({R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/jit-service"},)"
                                        R"("Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"jit-7f3a"}}})"})}},
          {{"arn", kAdminRole}, {"trust_policy", trust_with({kForeign})}}}}};
    std::ofstream(dir_ / "seed.json") << seed.dump();
    port_ = jit::testing::free_port();
    ChildOptions options;
    options.output_file = (dir_ / "emulator.log").string();
    auto process = ChildProcess::spawn({JIT_AWS_EMULATOR_BIN, "--port", std::to_string(port_), "--iam-seed", (dir_ / "seed.json").string()},
                                       std::move(options));
    ASSERT_TRUE(process) << process.error().message;
    emulator_ = std::move(*process);
    ASSERT_TRUE(emulator_->wait_for_http(port_)) << awscli::read_text(dir_ / "emulator.log");
    url_ = fmt::format("http://127.0.0.1:{}", port_);
  }
  void TearDown() override {
    if (emulator_) emulator_->stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  CliRun aws(const std::vector<std::string>& args, const CliKeys& keys) { return awscli::run_awscli(args, url_, dir_, keys); }
  static CliKeys keys_of(const CliRun& assumed) {
    const json c = assumed.output()["Credentials"];
    return {c.value("AccessKeyId", ""), c.value("SecretAccessKey", ""), c.value("SessionToken", "")};
  }
  json control(std::string method, std::string path, std::string body = "") {
    auto endpoint = net::Endpoint::parse(url_);
    auto response = http_->send(*endpoint, {std::move(method), "/_emulator/" + path, {}, std::move(body)});
    EXPECT_TRUE(response) << response.error().message;
    return response ? json::parse(response->body, nullptr, false) : json();
  }
  CliRun assume_admin(const std::string& identity) {
    return aws({"sts", "assume-role", "--role-arn", kAdminRole, "--role-session-name", "dana", "--source-identity", identity}, kDana);
  }

  fs::path dir_;
  std::uint16_t port_ = 0;
  std::string url_;
  std::unique_ptr<ChildProcess> emulator_;
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client();
};

TEST_F(AwsCliIamTest, GrantWindowSourceIdentityExternalIdAndCutoffThroughAwsCli) {
  auto no_external_id = aws({"sts", "assume-role", "--role-arn", kManagementRole, "--role-session-name", "jit-access"}, kService);
  EXPECT_NE(no_external_id.exit_code, 0);
  EXPECT_NE(no_external_id.err.find("AccessDenied"), std::string::npos) << no_external_id.err;
  auto assumed = aws({"sts", "assume-role", "--role-arn", kManagementRole, "--role-session-name", "jit-access",
                      "--external-id", "jit-7f3a"}, kService);
  ASSERT_EQ(assumed.exit_code, 0) << assumed.err;
  const CliKeys management = keys_of(assumed);
  EXPECT_TRUE(management.access_key_id.starts_with("ASIA")) << assumed.out;

  // The emulator process runs on real time: the window closes 30 minutes from now.
  const TimePoint expiry = std::chrono::floor<Seconds>(std::chrono::system_clock::now()) + std::chrono::minutes(30);
  const std::string grant = fmt::format(
      R"({{"Sid":"JitGrantg1","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::222233334444:role/okta-engineer"}},)"
      R"("Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{{"StringEquals":{{"sts:SourceIdentity":"dana@example.com"}},)"
      R"("DateLessThan":{{"aws:CurrentTime":"{}"}}}}}})", format_time(expiry));
  const std::string trust = trust_with({kForeign, grant});
  auto updated = aws({"iam", "update-assume-role-policy", "--role-name", "jit-admin", "--policy-document", trust}, management);
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  const std::string cutoff = fmt::format(
      R"({{"Version":"2012-10-17","Statement":[{{"Sid":"JitCutoffg1","Effect":"Deny","Action":"*","Resource":"*","Condition":{{)"
      R"("StringEquals":{{"aws:SourceIdentity":"dana@example.com","aws:PrincipalAccount":"222233334444"}},)"
      R"("DateGreaterThan":{{"aws:CurrentTime":"{0}"}},"DateLessThan":{{"aws:TokenIssueTime":"{0}"}}}}}}]}})", format_time(expiry));
  auto put = aws({"iam", "put-role-policy", "--role-name", "jit-admin", "--policy-name", "jit-access-cutoffs",
                  "--policy-document", cutoff}, management);
  ASSERT_EQ(put.exit_code, 0) << put.err;

  // awscli decodes the URL-encoded documents; the emulator keeps the bytes as written.
  auto role = aws({"iam", "get-role", "--role-name", "jit-admin"}, management);
  ASSERT_EQ(role.exit_code, 0) << role.err;
  EXPECT_EQ(ordered::parse(role.out)["Role"]["AssumeRolePolicyDocument"], ordered::parse(trust)) << role.out;
  EXPECT_EQ(role.output()["Role"]["MaxSessionDuration"], 3600);
  auto policy = aws({"iam", "get-role-policy", "--role-name", "jit-admin", "--policy-name", "jit-access-cutoffs"}, management);
  ASSERT_EQ(policy.exit_code, 0) << policy.err;
  EXPECT_EQ(ordered::parse(policy.out)["PolicyDocument"], ordered::parse(cutoff));
  const json state = control("GET", "iam");
  for (const auto& r : state["roles"])
    if (r["arn"] == kAdminRole) {
      EXPECT_EQ(r["trust_policy"], trust) << "byte for byte, the admin's spacing included";
    }

  // Inside the window: dana with her own source identity only.
  auto inside = assume_admin("dana@example.com");
  ASSERT_EQ(inside.exit_code, 0) << inside.err;
  EXPECT_EQ(inside.output()["SourceIdentity"], "dana@example.com");
  const std::string key = keys_of(inside).access_key_id;
  auto other = assume_admin("eve@example.com");
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.err.find("AccessDenied"), std::string::npos) << other.err;

  // The cut-off deny: allowed a second before the expiry, denied a second after.
  const json before = control("GET", fmt::format("role-sessions/{}?at={}", key, format_time(expiry - Seconds(1))));
  EXPECT_EQ(before["allowed"], true) << before;
  const json after = control("GET", fmt::format("role-sessions/{}?at={}", key, format_time(expiry + Seconds(1))));
  EXPECT_EQ(after["allowed"], false) << after;
  EXPECT_EQ(after["statement"], "JitCutoffg1") << after;

  // After the window (the emulator's clock moved past it): refused.
  const json moved = control("POST", "clock", json{{"now", format_time(expiry + Seconds(1))}}.dump());
  EXPECT_EQ(moved["now"], format_time(expiry + Seconds(1))) << moved;
  auto late = assume_admin("dana@example.com");
  EXPECT_NE(late.exit_code, 0);
  EXPECT_NE(late.err.find("AccessDenied"), std::string::npos) << late.err;
}

// --- side by side with moto_server ------------------------------------------------------------

// Policy documents are compared by value, not entered.
std::set<std::string> shape(const json& j) { return json_shape(j, {"AssumeRolePolicyDocument", "PolicyDocument"}); }

class IamBesideMoto : public jit::testing::MotoSuite {
 protected:
  void SetUp() override {
    MotoSuite::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(fs::exists(awscli::kAwsCli));
    dir_ = fresh_dir("iam-moto");
    auto started = AwsEmulator::start({});
    ASSERT_TRUE(started) << started.error().message;
    emulator_ = std::move(*started);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  // The same awscli command to moto and to the emulator (both in account 123456789012).
  std::pair<CliRun, CliRun> both(const std::vector<std::string>& args) {
    const CliKeys keys{kEmulatorAccessKeyId, kEmulatorSecretAccessKey};
    return {awscli::run_awscli(args, moto().url(), dir_, keys), awscli::run_awscli(args, emulator_->url(), dir_, keys)};
  }

  fs::path dir_;
  std::unique_ptr<AwsEmulator> emulator_;
};

TEST_F(IamBesideMoto, RoleAndInlinePolicyCallsAnswerAlike) {
  const std::string trust = trust_with({R"({"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"})"});
  auto [moto_created, created] = both({"iam", "create-role", "--role-name", "jit-admin", "--assume-role-policy-document", trust,
                                       "--max-session-duration", "7200"});
  ASSERT_EQ(moto_created.exit_code, 0) << moto_created.err;
  ASSERT_EQ(created.exit_code, 0) << created.err;
  // moto's CreateRole also answers RoleLastUsed {}, which the emulator leaves to GetRole (AWS's
  // documented CreateRole example has none).
  auto created_shape = shape(created.output());
  created_shape.insert("Role.RoleLastUsed");
  EXPECT_EQ(shape(moto_created.output()), created_shape) << "moto " << moto_created.out << "\nemulator " << created.out;

  auto [moto_role, role] = both({"iam", "get-role", "--role-name", "jit-admin"});
  ASSERT_EQ(role.exit_code, 0) << role.err;
  EXPECT_EQ(shape(moto_role.output()), shape(role.output())) << "moto " << moto_role.out << "\nemulator " << role.out;
  for (const char* member : {"Path", "RoleName", "Arn", "AssumeRolePolicyDocument", "MaxSessionDuration", "RoleLastUsed"})
    EXPECT_EQ(moto_role.output()["Role"][member], role.output()["Role"][member]) << member;

  const std::string cutoff = R"({"Version":"2012-10-17","Statement":[{"Sid":"JitCutoffg1","Effect":"Deny","Action":"*","Resource":"*"}]})";
  const std::vector<std::vector<std::string>> same = {
      {"iam", "update-assume-role-policy", "--role-name", "jit-admin", "--policy-document", trust},
      {"iam", "put-role-policy", "--role-name", "jit-admin", "--policy-name", "jit-access-cutoffs", "--policy-document", cutoff},
      {"iam", "get-role-policy", "--role-name", "jit-admin", "--policy-name", "jit-access-cutoffs"},
      {"iam", "list-role-policies", "--role-name", "jit-admin"}};
  for (const auto& args : same) {
    auto [from_moto, from_emulator] = both(args);
    EXPECT_EQ(from_moto.exit_code, 0) << args[1] << ": " << from_moto.err;
    EXPECT_EQ(from_emulator.exit_code, 0) << args[1] << ": " << from_emulator.err;
    EXPECT_EQ(from_moto.out, from_emulator.out) << args[1];
  }

  // Both refuse to delete a role that still has inline policies, with IAM's words.
  auto [moto_conflict, conflict] = both({"iam", "delete-role", "--role-name", "jit-admin"});
  EXPECT_NE(moto_conflict.err.find("DeleteConflict"), std::string::npos) << moto_conflict.err;
  EXPECT_NE(conflict.err.find("(DeleteConflict) when calling the DeleteRole operation: Cannot delete entity, must delete policies first."),
            std::string::npos) << conflict.err;
  auto [moto_exists, exists] = both({"iam", "create-role", "--role-name", "jit-admin", "--assume-role-policy-document", trust});
  EXPECT_NE(moto_exists.err.find("Role with name jit-admin already exists."), std::string::npos) << moto_exists.err;
  EXPECT_NE(exists.err.find("Role with name jit-admin already exists."), std::string::npos) << exists.err;

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"iam", "delete-role-policy", "--role-name", "jit-admin", "--policy-name", "jit-access-cutoffs"},
           {"iam", "delete-role", "--role-name", "jit-admin"}}) {
    auto [from_moto, from_emulator] = both(args);
    EXPECT_EQ(from_moto.exit_code, 0) << args[1] << ": " << from_moto.err;
    EXPECT_EQ(from_emulator.exit_code, 0) << args[1] << ": " << from_emulator.err;
  }
}

TEST_F(IamBesideMoto, KnownDifferencesTrustEvaluationQuotaAndWording) {
  const std::string nobody = trust_with({R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole"})"});
  ASSERT_EQ(both({"iam", "create-role", "--role-name", "jit-admin", "--assume-role-policy-document", nobody}).second.exit_code, 0);

  // moto evaluates no trust policy: it lets anyone assume the role; the emulator refuses.
  auto [moto_assumed, assumed] = both({"sts", "assume-role", "--role-arn", "arn:aws:iam::123456789012:role/jit-admin",
                                       "--role-session-name", "dana", "--source-identity", "dana@example.com"});
  EXPECT_EQ(moto_assumed.exit_code, 0) << moto_assumed.err;
  EXPECT_NE(assumed.exit_code, 0);
  EXPECT_NE(assumed.err.find("AccessDenied"), std::string::npos) << assumed.err;

  // moto enforces no trust-policy size quota; the emulator answers LimitExceeded past 2,048.
  std::vector<std::string> statements;
  for (int i = 0; i < 30; ++i)
    statements.push_back(fmt::format(R"({{"Sid":"S{}","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:role/r{}"}},"Action":"sts:AssumeRole"}})", i, i));
  auto [moto_big, big] = both({"iam", "update-assume-role-policy", "--role-name", "jit-admin", "--policy-document", trust_with(statements)});
  EXPECT_EQ(moto_big.exit_code, 0) << moto_big.err;
  EXPECT_NE(big.err.find("(LimitExceeded) when calling the UpdateAssumeRolePolicy operation: Cannot exceed quota for ACLSizePerRole: 2048"),
            std::string::npos) << big.err;

  // Both answer NoSuchEntity; moto in its own words.
  auto [moto_missing, missing] = both({"iam", "get-role", "--role-name", "nope"});
  EXPECT_NE(moto_missing.err.find("(NoSuchEntity) when calling the GetRole operation: Role nope not found"), std::string::npos) << moto_missing.err;
  EXPECT_NE(missing.err.find("(NoSuchEntity) when calling the GetRole operation: The role with name nope cannot be found."),
            std::string::npos) << missing.err;
}

}  // namespace aws_emulator_iam_awscli_test
}  // namespace
}  // namespace jit::emulators
