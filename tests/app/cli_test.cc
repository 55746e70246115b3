// The `jit` binary as a user runs it: exit codes, messages, and the demo end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Outcome {
  int code = -1;
  std::string out;  // stdout and stderr together
};

Outcome run(const std::string& args) {
  Outcome r;
  const std::string command = std::string(JIT_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::path(::testing::TempDir()) /
          ("jit-cli-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    db = "sqlite:" + (dir / "state.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::string write(const std::string& name, const std::string& text) {
    auto path = dir / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir;
  std::string db;
};

TEST_F(CliTest, HelpTellsEverySubcommand) {
  Outcome r = run("--help");
  EXPECT_EQ(r.code, 0);
  for (const char* sub : {"serve", "check-config", "requests", "grants", "revoke", "audit", "demo"})
    EXPECT_THAT(r.out, HasSubstr(sub));
  Outcome sub = run("audit export --help");
  EXPECT_EQ(sub.code, 0);
  EXPECT_THAT(sub.out, HasSubstr("--since"));
  EXPECT_THAT(sub.out, HasSubstr("jsonl or csv"));
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(run("").code, 2);
  EXPECT_EQ(run("no-such-command").code, 2);
  EXPECT_EQ(run("revoke r123").code, 2);  // --reason is required
  Outcome bad_format = run("audit export --format xml --store " + db);
  EXPECT_EQ(bad_format.code, 2);
  Outcome bad_time = run("audit export --since yesterday --store " + db);
  EXPECT_EQ(bad_time.code, 2);
  EXPECT_THAT(bad_time.out, HasSubstr("--since \"yesterday\""));
  Outcome bad_state = run("requests list --state happy --store " + db);
  EXPECT_EQ(bad_state.code, 2);
  EXPECT_THAT(bad_state.out, HasSubstr("expected one of pending"));
}

TEST_F(CliTest, CheckConfigAcceptsTheExample) {
  Outcome r = run("check-config " + std::string(JIT_EXAMPLES_DIR) + "/jit.toml");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(": ok ("));
}

TEST_F(CliTest, CheckConfigNamesFileLineAndField) {
  const std::string path = write("bad.toml", R"(approval_window = "1h"
[[accounts]]
name = "prod"
id = "123456789012"
owner_channel = "C0PROD"
approvers = ["U0ALICE"]
  [[accounts.roles]]
  name = "admin"
  permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1"
  max_duration = "3 hours"
  requesters = ["*"]
)");
  Outcome r = run("check-config " + path);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("bad.toml:10:"));
  EXPECT_THAT(r.out, HasSubstr("accounts[0].roles[0].max_duration \"3 hours\""));
  EXPECT_THAT(r.out, HasSubstr("expected a duration like 90m or 2h"));
}

TEST_F(CliTest, MissingConfigIsAUsageError) {
  Outcome r = run("check-config " + (dir / "nope.toml").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("cannot read config"));
}

TEST_F(CliTest, DynamoDbStoreIsAClearErrorForNow) {
  Outcome r = run("requests list --store dynamodb:jit");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("dynamodb"));
  Outcome bad = run("requests list --store postgres://x");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.out, HasSubstr("expected sqlite:PATH"));
}

TEST_F(CliTest, DemoRunsAndLeavesAVerifiableStore) {
  Outcome demo = run("demo --store " + db);
  ASSERT_EQ(demo.code, 0) << demo.out;
  EXPECT_THAT(demo.out, HasSubstr("self-approval is refused"));
  EXPECT_THAT(demo.out, HasSubstr("revoked at the expiry second"));
  EXPECT_THAT(demo.out, HasSubstr("audit trail verified"));
  EXPECT_THAT(demo.out, Not(HasSubstr("FAILED")));

  Outcome verify = run("audit verify --store " + db);
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("audit trail verified"));

  Outcome grants = run("grants list --store " + db);
  EXPECT_EQ(grants.code, 0);
  EXPECT_THAT(grants.out, HasSubstr("revoked"));
  Outcome active = run("grants list --active --output json --store " + db);
  EXPECT_EQ(active.code, 0);
  EXPECT_EQ(active.out, "[]\n");

  Outcome requests = run("requests list --state denied --output json --store " + db);
  EXPECT_EQ(requests.code, 0);
  EXPECT_THAT(requests.out, HasSubstr("\"state\": \"denied\""));
  EXPECT_THAT(requests.out, HasSubstr("use the migration runbook instead"));

  Outcome jsonl = run("audit export --format jsonl --store " + db);
  EXPECT_EQ(jsonl.code, 0);
  EXPECT_THAT(jsonl.out, HasSubstr("\"action\":\"grant_succeeded\""));
  Outcome csv = run("audit export --format csv --store " + db);
  EXPECT_EQ(csv.code, 0);
  EXPECT_THAT(csv.out, HasSubstr("seq,at,actor,action"));
  Outcome none = run("audit export --since 2000-01-01 --until 2000-01-02 --store " + db);
  EXPECT_EQ(none.code, 0);
  EXPECT_EQ(none.out, "");
}

TEST_F(CliTest, AuditVerifyNamesATamperedEvent) {
  ASSERT_EQ(run("demo --store " + db).code, 0);
  const std::string file = (dir / "state.db").string();
  const std::string sql = "DROP TRIGGER IF EXISTS audit_append_only_update; "
                          "UPDATE audit SET detail = 'nothing to see' WHERE seq = 5;";
  ASSERT_EQ(std::system(("sqlite3 " + file + " \"" + sql + "\"").c_str()), 0);
  Outcome verify = run("audit verify --store " + db);
  EXPECT_EQ(verify.code, 1);
  EXPECT_THAT(verify.out, HasSubstr("BROKEN at event 5"));
}

}  // namespace
