// The `jit` binary as a user runs it: exit codes, messages, and the demo end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cmd/run_jit.h"
#include "net/https_client.h"
#include "net/test_certs.h"
#include "support/example_policy.h"
#include "support/free_port.h"
#include "support/moto.h"
#include "support/scoped_env.h"
#include "support/shell.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using jit::testing::Outcome;
using jit::testing::run;

using jit::testing::read_text;
using jit::testing::run_shell;
using jit::testing::run_sqlite;
// Runs a shell command and collects its output.
Outcome shell(const std::string& command_line) { return run_shell(command_line); }

// Replaces the first `from` in `text` with `to`; fails the test when `from` is not there.
void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
}

// Where cmd.CliTest.DemoRunsAndLeavesAVerifiableStore leaves its store (tests/cmd/CMakeLists.txt).
constexpr const char* kDemoStoreDir = JIT_DEMO_STORE_DIR;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::path(::testing::TempDir()) /
          (fmt::format("jit-cli-{}-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), ::getpid()));
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

  // examples/jit.toml as `jit serve` runs it here: its step-up page (issue 15: the break-glass
  // role has step_up) gets TLS files from a test CA and a free loopback port instead of the
  // deployment's /run/secrets files and 0.0.0.0:8443.
  std::string servable_example() {
    if (page_listen.empty()) {
      const jit::testing::TestCa ca;
      const auto page = ca.issue({"DNS:jit.internal.example"});
      page_crt = write("page.crt", page.certificate_pem);
      page_key = write("page.key", page.private_key_pem);
      page_listen = fmt::format("127.0.0.1:{}", jit::testing::free_port());
    }
    std::string text = read_text(std::string(JIT_EXAMPLES_DIR) + "/jit.toml");
    replace_once(text, "/run/secrets/jit-step-up.crt", page_crt);
    replace_once(text, "/run/secrets/jit-step-up.key", page_key);
    replace_once(text, "listen = \"0.0.0.0:8443\"", "listen = \"" + page_listen + "\"");
    // Issue 17: prod/deploy's on-call auto-approval needs a PagerDuty token to start.
    replace_once(text, "/run/secrets/jit-pagerduty-token", write("pagerduty-token", "pd-test-token\n"));
    return text;
  }

  // examples/jit.toml with its first `from` replaced by `to`, written as `name`; its path.
  std::string example_with(const std::string& name, const std::string& from, const std::string& to) {
    std::string text = read_text(std::string(JIT_EXAMPLES_DIR) + "/jit.toml");
    replace_once(text, from, to);
    return write(name, text);
  }

  // A finished demo's store as db, whose trail is sealed with the key the demo kept beside it;
  // key_env then gives that key to the commands that verify the trail. The demo runs once per
  // test run: cmd.CliTest.DemoRunsAndLeavesAVerifiableStore leaves its store in kDemoStoreDir
  // (the CTest fixture demo_store, which every DemoStoreTest requires), and each test works on
  // its own copy. Run alone (no fixture store there), a test runs the demo itself.
  void make_demo_store() {
    const std::filesystem::path fixture = std::filesystem::path(kDemoStoreDir) / "state.db";
    const std::filesystem::path mine = dir / "state.db";
    if (std::filesystem::exists(fixture)) {
      for (const char* suffix : {"", "-wal", "-shm", ".audit-key"}) {
        const std::filesystem::path from = fixture.string() + suffix;
        if (std::filesystem::exists(from)) std::filesystem::copy_file(from, mine.string() + suffix);
      }
    } else {
      Outcome demo = run("demo --store " + db);
      ASSERT_EQ(demo.code, 0) << demo.out;
    }
    key_env = "JIT_AUDIT_KEY=$(cat " + mine.string() + ".audit-key)";
  }

  // A certificate for the example's origin from a test CA, its key, and another certificate's key,
  // written as files.
  struct PagePems {
    std::string crt, key, other_key;
  };
  PagePems write_page_pems() {
    const jit::testing::TestCa ca;
    const auto cert = ca.issue({"DNS:jit.internal.example"});
    const auto other = ca.issue({"DNS:other.example"});
    return {write("page.crt", cert.certificate_pem), write("page.key", cert.private_key_pem),
            write("other.key", other.private_key_pem)};
  }

  std::filesystem::path dir;
  std::string db;
  std::string key_env;
  std::string page_crt, page_key, page_listen;  // servable_example's
};

TEST_F(CliTest, HelpTellsEverySubcommand) {
  Outcome r = run("--help");
  EXPECT_EQ(r.code, 0);
  for (const char* sub : {"serve", "check-config", "requests", "grants", "revoke", "audit", "store", "doctor", "demo"})
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
  // Each role's effective AWS-side enforcement, defaults resolved by tier (issue 14).
  EXPECT_THAT(r.out, HasSubstr("prod/break-glass (tier break-glass): session_cutoff on, scheduled_revoke on"));
  EXPECT_THAT(r.out, HasSubstr("sandbox/developer (tier standard): session_cutoff off, scheduled_revoke off"));
  // Issue 17: prod/read-only names its own approvers and channel; the others take their account's.
  EXPECT_THAT(r.out, HasSubstr("prod/read-only (tier standard): session_cutoff off, scheduled_revoke off; approved by "
                               "S0SRE (the role's own) in C0SRE (the role's own)\n"));
  EXPECT_THAT(r.out, HasSubstr("prod/admin (tier high): session_cutoff on, scheduled_revoke on; approved by U0ALICE, "
                               "U0BOB, S0SRELEADS in C0PROD\n"
                               "    nobody answers: reminded after 15m, escalated after 30m to S0ENGMANAGERS (linked in "
                               "C0ESCALATIONS)\n"));
  // Issue 17: what happens when nobody answers, as each role ends up with it; none for sandbox.
  EXPECT_THAT(r.out, HasSubstr("    nobody answers: reminded after 5m, escalated after 10m to S0INCIDENTCOMMAND (linked "
                               "in C0ESCALATIONS)\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("sandbox/developer (tier standard): session_cutoff off, scheduled_revoke off; "
                                   "approved by S0PLATFORM in C0SANDBOX\n    nobody")));
  EXPECT_THAT(r.out, HasSubstr("scheduler: role arn:aws:iam::111111111111:role/jit-scheduler, group jit-access; "
                               "cut-off margin 2m"));
  // Issue 17: prod/deploy is approved for whoever is on call, else by prod's approvers; where
  // PagerDuty is asked, and (its token file not here) a warning that names the way to give it.
  EXPECT_THAT(r.out, HasSubstr("prod/deploy (tier high): session_cutoff on, scheduled_revoke on; AUTO-APPROVED when "
                               "the requester is on call on PagerDuty schedule P1SRE01, else approved by U0ALICE, "
                               "U0BOB, S0SRELEADS in C0PROD\n"));
  EXPECT_THAT(r.out, HasSubstr("on-call auto-approval for prod/deploy (schedule P1SRE01): PagerDuty "
                               "https://api.pagerduty.com, timeout 5s\n"));
  EXPECT_THAT(r.out, HasSubstr("warning: [pagerduty] token_file: cannot read /run/secrets/jit-pagerduty-token"));
}

// Issue 15: the example's break-glass role has step_up; its TLS files are secrets not mounted here,
// which check-config says without failing.
TEST_F(CliTest, CheckConfigShowsTheStepUpPageAndWarnsOfTLSFilesNotThere) {
  Outcome r = run("check-config " + std::string(JIT_EXAMPLES_DIR) + "/jit.toml");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("step-up with a security key for prod/break-glass: page https://jit.internal.example "
                               "(RP ID jit.internal.example), listening on 0.0.0.0:8443, links last 5m"));
  EXPECT_THAT(r.out, HasSubstr("warning: [step_up] tls_certificate_file: /run/secrets/jit-step-up.crt does not exist "
                               "here, so it was not checked; jit serve will not start without the files or the "
                               "variables JIT_STEP_UP_TLS_CERTIFICATE and JIT_STEP_UP_TLS_KEY"));
}

// On ECS the identity comes as JIT_STEP_UP_TLS_CERTIFICATE and JIT_STEP_UP_TLS_KEY: check-config
// reads them instead of the files (here not there, and then not set at all), checks them as jit
// serve would, and never prints their values.
TEST_F(CliTest, CheckConfigReadsTheStepUpTLSVariables) {
  const auto [crt, key, other_key] = write_page_pems();
  const std::string example = std::string(JIT_EXAMPLES_DIR) + "/jit.toml";
  const auto env = [](const std::string& c, const std::string& k) {
    return "JIT_STEP_UP_TLS_CERTIFICATE=\"$(cat " + c + ")\" JIT_STEP_UP_TLS_KEY=\"$(cat " + k + ")\"";
  };
  Outcome good = run("check-config " + example, env(crt, key));
  EXPECT_EQ(good.code, 0) << good.out;
  EXPECT_THAT(good.out, Not(HasSubstr("warning: [step_up]")));
  std::string text = read_text(example);
  replace_once(text, "tls_certificate_file = \"/run/secrets/jit-step-up.crt\"\n", "");
  replace_once(text, "tls_key_file = \"/run/secrets/jit-step-up.key\"\n", "");
  const std::string no_files = write("no-files.toml", text);
  Outcome good_no_files = run("check-config " + no_files, env(crt, key));
  EXPECT_EQ(good_no_files.code, 0) << good_no_files.out;
  EXPECT_THAT(good_no_files.out, Not(HasSubstr("warning: [step_up]")));
  Outcome mismatched = run("check-config " + no_files, env(crt, other_key));
  EXPECT_EQ(mismatched.code, 2) << mismatched.out;
  EXPECT_THAT(mismatched.out, HasSubstr("JIT_STEP_UP_TLS_CERTIFICATE and JIT_STEP_UP_TLS_KEY: bad TLS private key: "
                                        "key values mismatch"));
  EXPECT_THAT(mismatched.out, Not(HasSubstr("PRIVATE KEY")));
  Outcome only_one = run("check-config " + example, "JIT_STEP_UP_TLS_KEY=\"$(cat " + key + ")\"");
  EXPECT_EQ(only_one.code, 2) << only_one.out;
  EXPECT_THAT(only_one.out, HasSubstr("JIT_STEP_UP_TLS_KEY is set but JIT_STEP_UP_TLS_CERTIFICATE is not"));
  EXPECT_THAT(only_one.out, Not(HasSubstr("PRIVATE KEY")));
  // Neither files nor variables: a warning naming both ways, as for files not there.
  Outcome neither = run("check-config " + no_files);
  EXPECT_EQ(neither.code, 0) << neither.out;
  EXPECT_THAT(neither.out, HasSubstr("warning: [step_up] tls_certificate_file is not set, nor are the variables here, "
                                     "so it was not checked; jit serve will not start without the files or the "
                                     "variables JIT_STEP_UP_TLS_CERTIFICATE and JIT_STEP_UP_TLS_KEY"));
}

// Files that are there are read as jit serve loads them: PEM, and the key must be the certificate's.
TEST_F(CliTest, CheckConfigReadsTheStepUpTLSFiles) {
  const auto [crt, key, other_key] = write_page_pems();
  const auto config_with = [&](const std::string& name, const std::string& c, const std::string& k) {
    std::string text = read_text(std::string(JIT_EXAMPLES_DIR) + "/jit.toml");
    replace_once(text, "/run/secrets/jit-step-up.crt", c);
    replace_once(text, "/run/secrets/jit-step-up.key", k);
    return write(name, text);
  };
  Outcome good = run("check-config " + config_with("good.toml", crt, key));
  EXPECT_EQ(good.code, 0) << good.out;
  EXPECT_THAT(good.out, ::testing::Not(HasSubstr("warning: [step_up]")));
  Outcome not_pem = run("check-config " + config_with("not-pem.toml", write("junk.crt", "not a certificate\n"), key));
  EXPECT_EQ(not_pem.code, 2) << not_pem.out;
  EXPECT_THAT(not_pem.out, HasSubstr("bad TLS certificate chain"));
  EXPECT_THAT(not_pem.out, HasSubstr("expected a PEM certificate chain, leaf first, and its PEM private key"));
  Outcome mismatched = run("check-config " + config_with("other-key.toml", crt, other_key));
  EXPECT_EQ(mismatched.code, 2) << mismatched.out;
  EXPECT_THAT(mismatched.out, HasSubstr("bad TLS private key: key values mismatch"));
  const std::string unreadable = write("unreadable.key", read_text(key));
  std::filesystem::permissions(unreadable, std::filesystem::perms::none);
  if (::geteuid() != 0) {  // root reads it anyway
    Outcome denied = run("check-config " + config_with("unreadable.toml", crt, unreadable));
    EXPECT_EQ(denied.code, 2) << denied.out;
    EXPECT_THAT(denied.out, HasSubstr("[step_up] tls_key_file: cannot read " + unreadable + ": Permission denied"));
  }
}

// Issue 16: the example's commented iam-role account, uncommented, passes and is shown with its
// provider, management role, base principal and role ARN; its mistakes are refused with their line,
// and the external id is never printed.
TEST_F(CliTest, CheckConfigShowsAnIamRoleAccount) {
  const std::string text =
      jit::testing::with_iam_role_example(read_text(std::string(JIT_EXAMPLES_DIR) + "/jit.toml"));
  Outcome r = run("check-config " + write("iam-role.toml", text));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(": ok (4 accounts, 8 roles"));
  EXPECT_THAT(r.out, HasSubstr("  legacy-prod: provider iam-role, management role "
                               "arn:aws:iam::222233334444:role/jit-access-management (with its external id), base "
                               "principal arn:aws:iam::222233334444:role/okta-engineer (source identity: email)\n"));
  EXPECT_THAT(r.out, HasSubstr("  legacy-prod/admin (tier high): role "
                               "arn:aws:iam::222233334444:role/jit-elevated/admin, session_cutoff on, "
                               "scheduled_revoke off; approved by S0SRELEADS in C0LEGACY\n"));
  EXPECT_THAT(r.out, HasSubstr("  trust policies of iam-role accounts' roles: at most 2048 characters"));
  EXPECT_THAT(r.out, HasSubstr("prod/admin (tier high): session_cutoff on, scheduled_revoke on"));
  EXPECT_THAT(r.out, Not(HasSubstr("jit-7f3a")));

  std::string refused = text;
  replace_once(refused, "external_id = \"jit-7f3a\"", "external_id = \"jit 7f3a\"");
  replace_once(refused, "  role_arn = ", "  scheduled_revoke = true\n  role_arn = ");
  Outcome bad = run("check-config " + write("iam-role-bad.toml", refused));
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("accounts[3].external_id: has a character outside letters, digits, '_' and "
                                 "+=,.@:/-"));
  EXPECT_THAT(bad.out, HasSubstr("accounts[3].roles[0].scheduled_revoke true: not used by roles of iam-role "
                                 "accounts"));
  EXPECT_THAT(bad.out, HasSubstr("iam-role-bad.toml:"));
  EXPECT_THAT(bad.out, Not(HasSubstr("7f3a")));
}

TEST_F(CliTest, CheckConfigRefusesAScheduledRevokeWithoutTheSchedulerRole) {
  Outcome r = run("check-config " + example_with("no-scheduler.toml", "scheduler_role_arn = ", "# scheduler_role_arn = "));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("role \"admin\" has scheduled_revoke (the default for tier high) but "
                               "[aws].scheduler_role_arn is not set"));
  EXPECT_THAT(r.out, HasSubstr("or set scheduled_revoke = false on the role"));
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

TEST_F(CliTest, CheckpointKeyFileIsCheckedAndNeverQuoted) {
  auto with_key = [&](const std::string& name, const std::string& key_path) {
    return example_with(name, "[slack]", "[audit]\ncheckpoint_key_file = \"" + key_path + "\"\n\n[slack]");
  };
  Outcome missing = run("check-config " + with_key("missing.toml", (dir / "none.pem").string()));
  EXPECT_EQ(missing.code, 2) << missing.out;
  EXPECT_THAT(missing.out, HasSubstr("[audit] checkpoint_key_file: cannot read " + (dir / "none.pem").string()));
  EXPECT_THAT(missing.out, HasSubstr("openssl genpkey -algorithm ed25519"));
  const std::string wrong = write("wrong.pem", "-----BEGIN PRIVATE KEY-----\nTOPSECRETBYTES\n-----END PRIVATE KEY-----\n");
  Outcome not_a_key = run("check-config " + with_key("wrong.toml", wrong));
  EXPECT_EQ(not_a_key.code, 2) << not_a_key.out;
  EXPECT_THAT(not_a_key.out, HasSubstr("is not an unencrypted PEM private key"));
  EXPECT_THAT(not_a_key.out, Not(HasSubstr("TOPSECRETBYTES")));

  const std::string key = (dir / "checkpoint.pem").string();
  ASSERT_EQ(std::system(("openssl genpkey -algorithm ed25519 -out " + key).c_str()), 0);
  const std::string config = with_key("good.toml", key);
  Outcome ok = run("check-config " + config);
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_THAT(ok.out, HasSubstr("audit checkpoints signed by key "));
  Outcome pub = run("audit public-key --config " + config);
  EXPECT_EQ(pub.code, 0) << pub.out;
  EXPECT_THAT(pub.out, HasSubstr("-----BEGIN PUBLIC KEY-----"));
  EXPECT_THAT(pub.out, Not(HasSubstr("PRIVATE")));
  // The same key id as check-config named.
  const auto id_at = ok.out.find("signed by key ") + 14;
  EXPECT_THAT(pub.out, HasSubstr("key id " + ok.out.substr(id_at, 16)));

  Outcome no_key = run("audit public-key --config " + std::string(JIT_EXAMPLES_DIR) + "/jit.toml");
  EXPECT_EQ(no_key.code, 2) << no_key.out;
  EXPECT_THAT(no_key.out, HasSubstr("[audit] checkpoint_key_file is not set"));
}

TEST_F(CliTest, AuditVerifyCheckpointFlagsAreChecked) {
  Outcome bad = run("audit verify --checkpoint 12 --store " + db);
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("--checkpoint \"12\": expected SEQ:HASH"));
  Outcome missing = run("audit verify --checkpoints " + (dir / "none.txt").string() + " --store " + db);
  EXPECT_EQ(missing.code, 2) << missing.out;
  EXPECT_THAT(missing.out, HasSubstr("--checkpoints: cannot read"));
  Outcome none = run("audit verify --checkpoints " + write("empty.txt", "no checkpoints here\n") + " --store " + db);
  EXPECT_EQ(none.code, 1) << none.out;
  EXPECT_THAT(none.out, HasSubstr("checkpoints: none found in"));
  // An empty trail cannot hold event 1.
  Outcome ahead = run("audit verify --checkpoint 1:abc --store " + db);
  EXPECT_EQ(ahead.code, 1) << ahead.out;
  EXPECT_THAT(ahead.out, HasSubstr("--checkpoint 1:abc FAILED: event 1 is not in the trail, which ends at event 0"));
}

TEST_F(CliTest, RevokeNeedsIdentityCenterOrAnExplicitDryRun) {
  const std::string local = example_with("no-ic.toml", "instance_arn = ", "# instance_arn = ");
  // Without Identity Center nothing stands in for AWS silently: the command refuses, naming the
  // setting and --dry-run.
  Outcome refused = run("revoke r-nope --reason test --config " + local + " --store " + db);
  EXPECT_EQ(refused.code, 2) << refused.out;
  EXPECT_THAT(refused.out, HasSubstr("[aws].instance_arn is not set"));
  EXPECT_THAT(refused.out, HasSubstr("--dry-run"));
  Outcome dry = run("revoke r-nope --dry-run --reason test --config " + local + " --store " + db);
  EXPECT_EQ(dry.code, 1) << dry.out;
  EXPECT_THAT(dry.out, HasSubstr("r-nope"));

  const std::string with_aws = example_with("no-region.toml", "region = \"eu-west-1\"", "# region = \"eu-west-1\"");
  Outcome no_region = run("revoke r-nope --reason test --config " + with_aws + " --store " + db,
                          "env -u AWS_REGION -u AWS_DEFAULT_REGION AWS_CONFIG_FILE=/dev/null");
  EXPECT_EQ(no_region.code, 2) << no_region.out;
  EXPECT_THAT(no_region.out, HasSubstr("no AWS region"));
}

TEST_F(CliTest, ServeWithoutIdentityCenterNeedsDryRun) {
  const std::string config = example_with("no-ic.toml", "instance_arn = ", "# instance_arn = ");
  Outcome refused = run("serve --no-slack --ops-address 127.0.0.1:0 --config " + config + " --store " + db);
  EXPECT_EQ(refused.code, 2) << refused.out;
  EXPECT_THAT(refused.out, HasSubstr("[aws].instance_arn is not set"));
  EXPECT_THAT(refused.out, HasSubstr("--dry-run"));
}

TEST_F(CliTest, MissingConfigIsAUsageError) {
  Outcome r = run("check-config " + (dir / "nope.toml").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("cannot read config"));
}

TEST_F(CliTest, BadStoreUrlsAreUsageErrors) {
  Outcome no_table = run("requests list --store dynamodb:");
  EXPECT_EQ(no_table.code, 2);
  EXPECT_THAT(no_table.out, HasSubstr("no table name"));
  Outcome bad = run("requests list --store postgres://x");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.out, HasSubstr("expected sqlite:PATH"));
  Outcome no_region = run("store init --store dynamodb:jit",
                          "env -u AWS_REGION -u AWS_DEFAULT_REGION AWS_CONFIG_FILE=/dev/null");
  EXPECT_EQ(no_region.code, 2);
  EXPECT_THAT(no_region.out, HasSubstr("no AWS region"));
}

// Slack's tokens come from the environment (or files it names), are checked for their kind, and
// never appear in what jit prints.
TEST_F(CliTest, ServeNamesMissingOrWrongSlackTokens) {
  const std::string config = std::string(JIT_EXAMPLES_DIR) + "/jit.toml";
  const std::string serve = "serve --config " + config + " --store " + db + " --ops-address 127.0.0.1:0";
  Outcome none = run(serve, "env -u SLACK_BOT_TOKEN -u SLACK_APP_TOKEN -u SLACK_BOT_TOKEN_FILE -u SLACK_APP_TOKEN_FILE");
  EXPECT_EQ(none.code, 2) << none.out;
  EXPECT_THAT(none.out, HasSubstr("SLACK_BOT_TOKEN is not set"));
  EXPECT_THAT(none.out, HasSubstr("--no-slack"));

  Outcome swapped = run(serve, "env SLACK_BOT_TOKEN=xapp-1-secret-app SLACK_APP_TOKEN=xoxb-secret-bot");
  EXPECT_EQ(swapped.code, 2) << swapped.out;
  EXPECT_THAT(swapped.out, HasSubstr("SLACK_BOT_TOKEN does not start with xoxb-"));
  EXPECT_THAT(swapped.out, Not(HasSubstr("secret")));

  const std::string bot_file = write("bot-token", "xoxb-from-file\n");
  Outcome no_app = run(serve, "env -u SLACK_BOT_TOKEN -u SLACK_APP_TOKEN SLACK_BOT_TOKEN_FILE=" + bot_file);
  EXPECT_EQ(no_app.code, 2) << no_app.out;
  EXPECT_THAT(no_app.out, HasSubstr("SLACK_APP_TOKEN is not set"));

  Outcome unreadable = run(serve, "env -u SLACK_BOT_TOKEN SLACK_BOT_TOKEN_FILE=" + (dir / "missing").string());
  EXPECT_EQ(unreadable.code, 2) << unreadable.out;
  EXPECT_THAT(unreadable.out, HasSubstr("SLACK_BOT_TOKEN_FILE: cannot read"));

  Outcome bad_lease = run(serve + " --lease soon");
  EXPECT_EQ(bad_lease.code, 2) << bad_lease.out;
  EXPECT_THAT(bad_lease.out, HasSubstr("--lease: "));
  EXPECT_THAT(bad_lease.out, HasSubstr("expected a duration like"));

  // Failed before: a lease no longer than the provider's deadline let another instance take over a
  // call still running. The example's [aws].call_timeout is the default, 90 s.
  Outcome short_lease = run(serve + " --lease 1m");
  EXPECT_EQ(short_lease.code, 2) << short_lease.out;
  EXPECT_THAT(short_lease.out, HasSubstr("--lease 1m is too short"));
  EXPECT_THAT(short_lease.out, HasSubstr("use --lease 1m53s or more"));
}

// The environment that points `jit` at `moto` with test credentials.
std::string moto_env(const jit::testing::MotoServer& moto) {
  return "env AWS_ENDPOINT_URL=" + moto.url() +
         " AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=test-secret AWS_REGION=us-east-1"
         " AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null"
         " AWS_EC2_METADATA_DISABLED=true";
}

TEST_F(CliTest, DynamoDbStoreOnMoto) {
  auto moto = jit::testing::MotoServer::start();
  ASSERT_TRUE(moto) << moto.error().message;
  const std::string env = moto_env(*moto);
  Outcome missing = run("requests list --store dynamodb:jit-cli", env);
  EXPECT_EQ(missing.code, 1) << missing.out;
  EXPECT_THAT(missing.out, HasSubstr("jit store init"));
  Outcome init = run("store init --store dynamodb:jit-cli", env);
  ASSERT_EQ(init.code, 0) << init.out;
  EXPECT_THAT(init.out, HasSubstr("DynamoDB table jit-cli is ready"));
  EXPECT_EQ(run("store init --store dynamodb:jit-cli", env).code, 0) << "idempotent";
  Outcome list = run("requests list --output json --store dynamodb:jit-cli", env);
  EXPECT_EQ(list.code, 0) << list.out;
  EXPECT_EQ(list.out, "[]\n");
  Outcome verify = run("audit verify --store dynamodb:jit-cli", env);
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("verified: 0 events"));
  EXPECT_THAT(verify.out + init.out + list.out, Not(HasSubstr("test-secret")));
}

TEST_F(CliTest, DemoWithoutTheEmulatorExecutablesSaysWhichAndHowToBuildIt) {
  // The emulators run as their own executables: without them the demo stops at once (usage, 2).
  for (const std::string& how : std::vector<std::string>{"demo --emulators-dir " + dir.string(), "demo"}) {
    const std::string env = how == "demo" ? "JIT_EMULATORS_DIR=" + dir.string() : "";
    Outcome demo = run(how, env);
    EXPECT_EQ(demo.code, 2) << demo.out;
    EXPECT_THAT(demo.out, HasSubstr("jit-slack-emulator is not at " + (dir / "jit-slack-emulator").string()));
    EXPECT_THAT(demo.out, HasSubstr("--target jit-slack-emulator"));
    EXPECT_THAT(demo.out, HasSubstr("--emulators-dir"));
    EXPECT_THAT(demo.out, Not(HasSubstr("JIT Access demo")));  // nothing started
  }
  // Only the AWS one missing: it is named.
  std::filesystem::copy_file(std::filesystem::path(JIT_BINARY).parent_path() / "emulators/slack/jit-slack-emulator",
                             dir / "jit-slack-emulator");
  Outcome demo = run("demo --emulators-dir " + dir.string());
  EXPECT_EQ(demo.code, 2) << demo.out;
  EXPECT_THAT(demo.out, HasSubstr("jit-aws-emulator is not at " + (dir / "jit-aws-emulator").string()));
}

TEST_F(CliTest, DemoRunsAndLeavesAVerifiableStore) {
  // The real `jit serve` against the Slack and AWS emulators: every check of the story passes.
  // Its store stays in kDemoStoreDir for the DemoStoreTest cases (make_demo_store).
  std::filesystem::remove_all(kDemoStoreDir);
  std::filesystem::create_directories(kDemoStoreDir);
  db = "sqlite:" + (std::filesystem::path(kDemoStoreDir) / "state.db").string();
  Outcome demo = run("demo --store " + db);
  ASSERT_EQ(demo.code, 0) << demo.out;
  std::smatch passed;
  ASSERT_TRUE(std::regex_search(demo.out, passed, std::regex(R"((\d+)/(\d+) checks passed)"))) << demo.out;
  EXPECT_EQ(passed[1], passed[2]) << demo.out;
  EXPECT_GE(std::stoi(passed[2]), 60) << demo.out;
  EXPECT_THAT(demo.out, HasSubstr("AWS Identity Center: assignment created: dana's admin on prod"));
  EXPECT_THAT(demo.out, HasSubstr("revoked at the expiry second"));
  EXPECT_THAT(demo.out, HasSubstr("you cannot decide on your own request"));
  // AWS itself ends the high-tier grant with serve killed: the armed deny cuts dana's live session
  // at the expiry second, the schedule deletes the assignment, serve started again records the end.
  EXPECT_THAT(demo.out, HasSubstr("ok     the cut-off was provisioned before the grant was reported active"));
  EXPECT_THAT(demo.out, HasSubstr("ok     ops's policy in sandbox denies: JitCutoff"));
  EXPECT_THAT(demo.out, HasSubstr("AWS EventBridge Scheduler: schedule created: jit-access/jit-r"));
  EXPECT_THAT(demo.out, HasSubstr("ok     serve is gone; the emulators run on"));
  EXPECT_THAT(demo.out, HasSubstr("ok     asked ahead, AWS allows dana's session at"));
  EXPECT_THAT(demo.out, HasSubstr("ok     the live session is cut at the expiry second, with serve down: denied at"));
  EXPECT_THAT(demo.out, HasSubstr("fired (attempt 1): succeeded"));
  EXPECT_THAT(demo.out, HasSubstr("ok     the schedule deleted the assignment"));
  EXPECT_THAT(demo.out, HasSubstr("ok     serve finds the grant expired and records it revoked"));
  EXPECT_THAT(demo.out, HasSubstr("ok     the request in #sandbox says it ended"));
  // The legacy account, on the IAM-role path (issue 16): the grant is dana's window in the admin
  // role's trust policy beside the admin's own statement; she assumes the role with the product's
  // STS client, eve cannot; AWS ends the session at the expiry second and refuses AssumeRole after
  // it; serve's revoke removes dana's statement and leaves the admin's as it was.
  EXPECT_THAT(demo.out, HasSubstr("ok     IAM: jit-legacy-admin's trust policy holds only the admin's statement CiDeploy"));
  EXPECT_THAT(demo.out, HasSubstr("ok     the request waits for approval in #legacy"));
  EXPECT_THAT(demo.out, HasSubstr("--role-session-name dana@example.com --source-identity dana@example.com"));
  EXPECT_THAT(demo.out, HasSubstr("ok     IAM: the trust policy holds JitGrant"));
  EXPECT_THAT(demo.out, HasSubstr("ok     beside it, the admin's statement CiDeploy is unchanged, byte for byte"));
  EXPECT_THAT(demo.out, HasSubstr("ok     its inline policy jit-access-cutoffs denies: JitCutoff"));
  EXPECT_THAT(demo.out, HasSubstr("ok     STS: dana holds a session of jit-legacy-admin (ASIA"));
  EXPECT_THAT(demo.out, HasSubstr("ok     STS refuses eve: AccessDenied"));
  EXPECT_THAT(demo.out, HasSubstr("ok     asked ahead, AWS allows dana's role session at"));
  EXPECT_THAT(demo.out, HasSubstr("AssumeRole is refused to dana: AccessDenied, her window has closed"));
  EXPECT_THAT(demo.out, HasSubstr("ok     AWS ends dana's live session at the expiry second by itself: denied at"));
  EXPECT_THAT(demo.out, HasSubstr("ok     jit serve's revoke removed dana's statement"));
  EXPECT_THAT(demo.out, HasSubstr("ok     the admin's statement is still byte-identical"));
  EXPECT_THAT(demo.out, HasSubstr("AWS IAM: statement removed from jit-legacy-admin's trust policy: JitGrant"));
  EXPECT_THAT(demo.out, HasSubstr("audit trail verified"));
  EXPECT_THAT(demo.out, HasSubstr("jit-checkpoint v1 seq="));
  EXPECT_THAT(demo.out, HasSubstr("checkpoints: verified against checkpoint #"));
  EXPECT_THAT(demo.out, HasSubstr("report: 4 grants"));
  // Issue 17: dana's Home tab shows the grant; Request more time there, approved by alice, hands
  // the access over to the extension in the same assignment.
  EXPECT_THAT(demo.out, HasSubstr("ok     her Home shows the grant with its time left, Release and Request more time"));
  EXPECT_THAT(demo.out, HasSubstr("ok     the access went on in the same assignment, not deleted or created again"));
  EXPECT_THAT(demo.out, HasSubstr(",extended,"));
  EXPECT_THAT(demo.out, Not(HasSubstr("FAILED")));
  std::smatch figures;  // the figures, for the test's log
  for (const char* figure : {R"(provisioned to sandbox: started [^\n]*)", R"(denied at [0-9:.]+, \d+ ms after [0-9:]+)",
                             R"(deleted the assignment \d+ ms after the expiry)",
                             R"(role session, allowed at [0-9:.]+, is denied at [0-9:.]+)",
                             R"(removed dana's statement \d+ ms after the expiry)", R"(the demo ran for [0-9.]+ s)"})
    if (std::regex_search(demo.out, figures, std::regex(figure))) std::cout << "[ demo     ] " << figures[0] << "\n";

  // The trail is sealed with the demo's key, kept beside the store: without it verify says which
  // key it needs; with it the trail verifies.
  Outcome keyless = run("audit verify --store " + db);
  EXPECT_EQ(keyless.code, 1) << keyless.out;
  EXPECT_THAT(keyless.out, HasSubstr("sealed by key demo, which this keyring lacks"));
  Outcome verify = run("audit verify --store " + db, "JIT_AUDIT_KEY=$(cat " + db.substr(7) + ".audit-key)");
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("audit trail verified"));

  Outcome grants = run("grants list --store " + db);
  EXPECT_EQ(grants.code, 0);
  EXPECT_THAT(grants.out, HasSubstr("revoked"));
  EXPECT_THAT(grants.out, HasSubstr("ops"));
  Outcome active = run("grants list --active --output json --store " + db);
  EXPECT_EQ(active.code, 0);
  EXPECT_EQ(active.out, "[]\n");

  Outcome requests = run("requests list --state denied --output json --store " + db);
  EXPECT_EQ(requests.code, 0);
  EXPECT_THAT(requests.out, HasSubstr("\"state\": \"denied\""));
  EXPECT_THAT(requests.out, HasSubstr("use the read-only role"));
  EXPECT_THAT(requests.out, HasSubstr("\"requester_email\": \"")) << "who was to receive the access";

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

// The tests that read or tamper with a finished demo's store (a copy of the one the demo test left).
using DemoStoreTest = CliTest;

// What `jit` shows of a store's state: every request (versions included) and the whole trail.
std::string state_of(const std::string& store, const std::string& env = "") {
  Outcome requests = run("requests list --output json --limit 100000 --store " + store, env);
  Outcome audit = run("audit export --format jsonl --store " + store, env);
  EXPECT_EQ(requests.code, 0) << requests.out;
  EXPECT_EQ(audit.code, 0) << audit.out;
  return requests.out + audit.out;
}

TEST_F(DemoStoreTest, StoreMigrateCopiesEverythingBetweenSqliteFiles) {
  ASSERT_NO_FATAL_FAILURE(make_demo_store());
  const std::string copy = "sqlite:" + (dir / "copy.db").string();
  Outcome migrated = run("store migrate --from " + db + " --to " + copy, key_env);
  ASSERT_EQ(migrated.code, 0) << migrated.out;
  EXPECT_THAT(migrated.out, HasSubstr("migrated "));
  EXPECT_THAT(migrated.out, HasSubstr("audit chain verified (head #"));
  std::cout << "[ migrate  ] " << migrated.out;

  Outcome verify = run("audit verify --store " + copy, key_env);
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("audit trail verified"));
  const std::string original = state_of(db);
  EXPECT_THAT(original, HasSubstr("\"version\""));
  EXPECT_EQ(state_of(copy), original);

  // Into a store that already holds state: refused, and nothing changes.
  Outcome again = run("store migrate --from " + db + " --to " + copy, key_env);
  EXPECT_EQ(again.code, 1) << again.out;
  EXPECT_THAT(again.out, HasSubstr("target store is not empty"));
  EXPECT_EQ(state_of(copy), original);

  Outcome bad_url = run("store migrate --from " + db + " --to postgres://x");
  EXPECT_EQ(bad_url.code, 2) << bad_url.out;
  EXPECT_THAT(bad_url.out, HasSubstr("expected sqlite:PATH"));
  Outcome no_source = run("store migrate --from sqlite:" + (dir / "typo.db").string() + " --to " + copy);
  EXPECT_EQ(no_source.code, 2) << no_source.out;
  EXPECT_THAT(no_source.out, HasSubstr("no such file"));
  EXPECT_FALSE(std::filesystem::exists(dir / "typo.db"));
  EXPECT_EQ(run("store migrate --from " + db).code, 2);  // --to is required
}

TEST_F(DemoStoreTest, StoreMigrateFromSqliteToDynamoDbOnMoto) {
  auto moto = jit::testing::MotoServer::start();
  ASSERT_TRUE(moto) << moto.error().message;
  const std::string env = moto_env(*moto);
  ASSERT_NO_FATAL_FAILURE(make_demo_store());
  const std::string table = "dynamodb:jit-migrate";
  Outcome init = run("store init --store " + table, env + " " + key_env);
  ASSERT_EQ(init.code, 0) << init.out;

  Outcome migrated = run("store migrate --from " + db + " --to " + table, env + " " + key_env);
  ASSERT_EQ(migrated.code, 0) << migrated.out;
  EXPECT_THAT(migrated.out, HasSubstr("audit chain verified (head #"));
  std::cout << "[ migrate  ] " << migrated.out;

  Outcome verify = run("audit verify --store " + table, env + " " + key_env);
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("audit trail verified"));
  const std::string original = state_of(db);
  EXPECT_EQ(state_of(table, env + " " + key_env), original);

  Outcome again = run("store migrate --from " + db + " --to " + table, env + " " + key_env);
  EXPECT_EQ(again.code, 1) << again.out;
  EXPECT_THAT(again.out, HasSubstr("target store is not empty"));

  // And back, into a new SQLite file: the same state again.
  const std::string back = "sqlite:" + (dir / "back.db").string();
  Outcome returned = run("store migrate --from " + table + " --to " + back, env + " " + key_env);
  ASSERT_EQ(returned.code, 0) << returned.out;
  EXPECT_EQ(state_of(back), original);
  EXPECT_THAT(migrated.out + returned.out + again.out, Not(HasSubstr("test-secret")));
}

// A store file of the release before the locks table (schema 4: the current schema less `locks`,
// the step-up tables of version 6, the reminder columns of version 7 and the extension slots of
// version 8) is brought up to date
// when `jit store migrate` opens it, and the copy is made at the current version.
TEST_F(DemoStoreTest, StoreMigrateTakesASchema4FileAndLeavesBothAtTheCurrentVersion) {
  ASSERT_NO_FATAL_FAILURE(make_demo_store());
  const std::string file = (dir / "state.db").string();
  ASSERT_EQ(run_sqlite(file, "DROP TABLE locks; DROP TABLE step_up_challenges; DROP TABLE webauthn_credentials; "
                             "ALTER TABLE requests DROP COLUMN reminded_at; "
                             "ALTER TABLE requests DROP COLUMN escalated_at; "
                             "DROP INDEX requests_one_open_per_slot; ALTER TABLE requests DROP COLUMN extends; "
                             "CREATE UNIQUE INDEX requests_one_open ON requests (requester, account, role) WHERE "
                             "state IN ('pending', 'approved', 'granting', 'active', 'revoking'); "
                             "PRAGMA user_version = 4;")
                .code,
            0);
  const std::string copy = (dir / "copy-of-4.db").string();
  Outcome migrated = run("store migrate --from " + db + " --to sqlite:" + copy, key_env);
  ASSERT_EQ(migrated.code, 0) << migrated.out;
  EXPECT_THAT(migrated.out, HasSubstr("audit chain verified (head #"));
  for (const std::string& f : {file, copy}) {
    Outcome schema = run_sqlite(f, "PRAGMA user_version; SELECT count(*) FROM locks; "
                                   "SELECT count(*) FROM webauthn_credentials;");
    EXPECT_EQ(schema.out, "8\n0\n0\n") << f;  // the current schema version
  }
}

TEST_F(DemoStoreTest, AuditVerifyNamesATamperedEvent) {
  ASSERT_NO_FATAL_FAILURE(make_demo_store());
  const std::string file = (dir / "state.db").string();
  const std::string sql = "DROP TRIGGER IF EXISTS audit_append_only_update; "
                          "UPDATE audit SET detail = 'nothing to see' WHERE seq = 5;";
  ASSERT_EQ(run_sqlite(file, sql).code, 0);
  Outcome verify = run("audit verify --store " + db, key_env);
  EXPECT_EQ(verify.code, 1);
  EXPECT_THAT(verify.out, HasSubstr("BROKEN at event 5"));
}

// The two attacks on the requests table of a finished demo: a request inserted as approved (no
// history), and a revoked grant turned back into an active one with its expiry a year ahead.
// Before the cross-check, verify said "audit trail verified" and exited 0 for both.
TEST_F(DemoStoreTest, AuditVerifyNamesRowsTheTrailDoesNotExplain) {
  ASSERT_NO_FATAL_FAILURE(make_demo_store());
  const std::string file = (dir / "state.db").string();
  Outcome granted = run_sqlite(file, "SELECT id FROM requests WHERE state = 'revoked' AND granted_at IS NOT NULL "
                                       "ORDER BY created_at LIMIT 1");
  const std::string id = granted.out.substr(0, granted.out.find('\n'));
  ASSERT_FALSE(id.empty()) << "the demo leaves a revoked grant";
  const std::string sql =
      "CREATE TEMP TABLE forged AS SELECT * FROM requests WHERE id = '" + id + "'; "
      "UPDATE forged SET id = 'r-forged', requester = 'U0EVE', state = 'approved', granted_at = NULL, "
      "expires_at = NULL, ended_at = NULL, end_reason = ''; "
      "INSERT INTO requests SELECT * FROM forged; "
      "UPDATE requests SET state = 'active', ended_at = NULL, end_reason = '', expires_at = expires_at + 31536000 "
      "WHERE id = '" + id + "';";
  Outcome forged = run_sqlite(file, sql);
  ASSERT_EQ(forged.code, 0) << forged.out;
  Outcome verify = run("audit verify --store " + db, key_env);
  EXPECT_EQ(verify.code, 1) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("audit trail verified"));  // the chain itself is intact
  EXPECT_THAT(verify.out, HasSubstr("request r-forged (approved) MISMATCH submit: row -, chain no submit event"));
  EXPECT_THAT(verify.out, HasSubstr("request " + id + " (active) MISMATCH state: row active, chain ended by "
                                    "revoke_succeeded"));
  EXPECT_THAT(verify.out, HasSubstr("request " + id + " (active) MISMATCH expires_at: row "));
  EXPECT_THAT(verify.out, HasSubstr("2 holding or about to hold access"));
  std::cout << "[ verify   ] " << verify.out;
}

// The same two attacks on a DynamoDB table (moto), with awscli's update-item on the request items
// (and their index keys, so that the service's queries find them): one revoked grant turned
// approved again, another turned active with its expiry a year ahead.
TEST_F(DemoStoreTest, AuditVerifyNamesRowsTheTrailDoesNotExplainOnDynamoDb) {
  auto moto = jit::testing::MotoServer::start();
  ASSERT_TRUE(moto) << moto.error().message;
  const std::string env = moto_env(*moto);
  ASSERT_NO_FATAL_FAILURE(make_demo_store());
  const std::string table = "dynamodb:jit-forge";
  ASSERT_EQ(run("store init --store " + table, env + " " + key_env).code, 0);
  ASSERT_EQ(run("store migrate --from " + db + " --to " + table, env + " " + key_env).code, 0);
  const std::string file = (dir / "state.db").string();
  Outcome grants = run_sqlite(file, "SELECT id || ' ' || expires_at FROM requests WHERE state = 'revoked' "
                                      "AND granted_at IS NOT NULL ORDER BY created_at LIMIT 2");
  std::istringstream lines(grants.out);
  std::string approved_id, active_id;
  long long expires = 0, ignored = 0;
  ASSERT_TRUE(lines >> approved_id >> ignored >> active_id >> expires) << grants.out;
  const long long moved = expires + 31536000;
  const auto update = [&](const std::string& id, const std::string& set, const std::string& values) {
    Outcome r = shell(env + " /usr/bin/aws dynamodb update-item --endpoint-url " + moto->url() + " --table-name jit-forge --key '{\"pk\":{\"S\":\"REQ#" + id +
                      "\"},\"sk\":{\"S\":\"REQ\"}}' --update-expression '" + set +
                      "' --expression-attribute-names '{\"#s\":\"state\"}' --expression-attribute-values '" + values + "'");
    EXPECT_EQ(r.code, 0) << r.out;
  };
  update(approved_id, "SET #s = :s, age_pk = :p, age_sk = :k REMOVE ended_at, expires_at",
         "{\":s\":{\"S\":\"approved\"},\":p\":{\"S\":\"AGE#approved\"},\":k\":{\"S\":\"00000000000000000001#" +
             approved_id + "\"}}");
  update(active_id, "SET #s = :s, expires_at = :x, expiry_pk = :p, expiry_sk = :k REMOVE ended_at",
         "{\":s\":{\"S\":\"active\"},\":x\":{\"N\":\"" + std::to_string(moved) +
             "\"},\":p\":{\"S\":\"EXPIRY#active\"},\":k\":{\"S\":\"" + fmt::format("{:020}", moved) + "#" +
             active_id + "\"}}");
  Outcome verify = run("audit verify --store " + table, env + " " + key_env);
  EXPECT_EQ(verify.code, 1) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("audit trail verified"));
  EXPECT_THAT(verify.out, HasSubstr("request " + approved_id + " (approved) MISMATCH state: row approved, chain ended by "
                                    "revoke_succeeded"));
  EXPECT_THAT(verify.out, HasSubstr("request " + approved_id + " (approved) MISMATCH begin_grant: row approved"));
  EXPECT_THAT(verify.out, HasSubstr("request " + active_id + " (active) MISMATCH expires_at: row "));
  EXPECT_THAT(verify.out, HasSubstr("2 holding or about to hold access"));
  std::cout << "[ verify   ] " << verify.out;
}

}  // namespace

namespace {

// `jit ARGS` as a process, its stdout and stderr read as they come: `jit serve` (it starts, logs
// that it serves, reloads policy on SIGHUP, rejecting a bad file and keeping the old one, and exits
// 0 on SIGTERM) and `jit demo --keep-running`.
class JitProcess {
 public:
  explicit JitProcess(std::vector<std::string> args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    args.insert(args.begin(), JIT_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      dup2(fds[1], 2);
      close(fds[0]);
      close(fds[1]);
      // No AWS credentials anywhere: readiness must say so.
      for (const char* var : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                              "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                              "AWS_CONTAINER_CREDENTIALS_FULL_URI"})
        unsetenv(var);
      setenv("AWS_CONFIG_FILE", "/dev/null", 1);
      setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
      setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
      execv(JIT_BINARY, argv.data());
      _exit(127);
    }
    close(fds[1]);
    err_ = fds[0];
  }
  ~JitProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (err_ >= 0) close(err_);
  }

  // Reads its output until `text` appears or `timeout` passes.
  bool wait_for(const std::string& text, std::chrono::seconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (log_.find(text) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{err_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[4096];
      const ssize_t n = read(err_, buf, sizeof buf);
      if (n <= 0) return false;
      log_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  void signal(int sig) { kill(pid_, sig); }

  // Exit code, or -1 when it did not exit within 10 s.
  int wait_exit() {
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      pollfd none{-1, 0, 0};
      poll(&none, 0, 10);  // wait 10 ms between checks of a child's exit
    }
    return -1;
  }

  const std::string& log() const { return log_; }

 private:
  pid_t pid_ = -1;
  int err_ = -1;
  bool reaped_ = false;
  std::string log_;
};

// On ECS the page's certificate and key come as JIT_STEP_UP_TLS_CERTIFICATE / JIT_STEP_UP_TLS_KEY,
// the policy naming no TLS file: jit serve serves the page with them, and logs neither value.
// One variable alone stops it at start, naming both.
TEST_F(CliTest, ServeTakesTheStepUpTLSIdentityFromTheVariables) {
  std::string text = servable_example();
  replace_once(text, "tls_certificate_file = \"" + page_crt + "\"\n", "");
  replace_once(text, "tls_key_file = \"" + page_key + "\"\n", "");
  const std::string config = write("jit.toml", text);
  const std::string certificate = read_text(page_crt), key = read_text(page_key);
  {
    const jit::testing::ScopedEnv env{{"JIT_STEP_UP_TLS_CERTIFICATE", certificate.c_str()},
                                      {"JIT_STEP_UP_TLS_KEY", key.c_str()}};
    JitProcess serve({"serve", "--config", config, "--store", db, "--ops-address", "127.0.0.1:0", "--no-slack",
                      "--log-level", "info"});
    ASSERT_TRUE(serve.wait_for(R"("event":"serving")")) << serve.log();
    EXPECT_THAT(serve.log(), HasSubstr(R"("event":"step_up_listening")"));
    EXPECT_THAT(serve.log(), HasSubstr(page_listen));
    EXPECT_THAT(serve.log(), Not(HasSubstr("PRIVATE KEY")));
    EXPECT_THAT(serve.log(), Not(HasSubstr("BEGIN CERTIFICATE")));
    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait_exit(), 0) << serve.log();
  }
  const jit::testing::ScopedEnv only_key{{"JIT_STEP_UP_TLS_CERTIFICATE", nullptr}, {"JIT_STEP_UP_TLS_KEY", key.c_str()}};
  JitProcess serve({"serve", "--config", config, "--store", db, "--ops-address", "127.0.0.1:0", "--no-slack"});
  EXPECT_NE(serve.wait_exit(), 0);
  serve.wait_for("JIT_STEP_UP_TLS_CERTIFICATE is not", std::chrono::seconds(1));
  EXPECT_THAT(serve.log(), HasSubstr("JIT_STEP_UP_TLS_KEY is set but JIT_STEP_UP_TLS_CERTIFICATE is not"));
  EXPECT_THAT(serve.log(), Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(CliTest, ServeReloadsOnSighupAndStopsOnSigterm) {
  const std::string config = write("jit.toml", servable_example());
  JitProcess serve({"serve", "--config", config, "--store", db, "--ops-address", "127.0.0.1:0", "--no-slack",
                    "--log-level", "info"});
  ASSERT_TRUE(serve.wait_for(R"("event":"serving")")) << serve.log();
  EXPECT_THAT(serve.log(), HasSubstr(R"("event":"step_up_listening")"));
  // No audit key: the log says the trail is unkeyed, and so does the ops channel (here the log).
  EXPECT_THAT(serve.log(), HasSubstr(R"("event":"audit_unkeyed")"));
  EXPECT_THAT(serve.log(), HasSubstr("The audit trail is unkeyed"));

  // Logs are JSON lines when stderr is not a terminal.
  std::istringstream lines(serve.log());
  std::string line;
  while (std::getline(lines, line)) {
    if (lines.eof()) break;  // a line still being written
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("event")) << line;
  }

  // The ops endpoint is up on the port it reports.
  const auto at = serve.log().find("\"ops\":\"http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << serve.log();
  const int port = std::atoi(serve.log().c_str() + at + std::string("\"ops\":\"http://127.0.0.1:").size());
  auto http = jit::net::make_http_client();
  const auto endpoint = *jit::net::Endpoint::parse("http://127.0.0.1:" + std::to_string(port));
  auto health = http->send(endpoint, {.method = "GET", .target = "/healthz"});
  ASSERT_TRUE(health) << health.error().message;
  EXPECT_EQ(health->status, 200);
  // The example policy names an Identity Center instance and there are no AWS credentials: the
  // service runs (its first reconcile failed) and readiness names the reason.
  ASSERT_TRUE(serve.wait_for(R"(Credentials)")) << serve.log();
  auto ready = http->send(endpoint, {.method = "GET", .target = "/readyz"});
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503) << ready->body;
  // (The reconcile lists assignments and prunes the cut-offs of the example's high roles; which
  // call failed last depends on their order.)
  EXPECT_THAT(ready->body, ::testing::ContainsRegex("aws: the last sso-admin (ListAccountAssignments|"
                                                    "GetInlinePolicyForPermissionSet) call failed: Credentials"));
  EXPECT_THAT(ready->body, Not(HasSubstr("store:")));
  auto metrics = http->send(endpoint, {.method = "GET", .target = "/metrics"});
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("jit_grants_active 0\n"));
  EXPECT_THAT(metrics->body, HasSubstr(R"(jit_aws_call_errors_total{service="sso-admin",operation="ListAccountAssignments",code="Credentials"})"));

  std::ofstream(config, std::ios::app) << "\nnot_a_setting = 1\n";
  serve.signal(SIGHUP);
  ASSERT_TRUE(serve.wait_for(R"("event":"config_reload_rejected")")) << serve.log();
  EXPECT_THAT(serve.log(), HasSubstr("not_a_setting"));

  // A good file: the policy and the settings a running service can take apply at once; a store
  // that changed needs a restart, and the log and the ops channel (here: the log, --no-slack)
  // say so by name.
  std::string example = servable_example();
  replace_once(example, "sweep_interval = \"30s\"", "sweep_interval = \"10s\"");
  replace_once(example, "url = \"sqlite:jit.db\"", "url = \"sqlite:other.db\"");
  example += "\n[audit]\nkey_file = \"/etc/jit/audit-keys\"\n";  // keys are read once, at start
  std::ofstream(config, std::ios::trunc) << example;
  serve.signal(SIGHUP);
  ASSERT_TRUE(serve.wait_for(R"("event":"config_reloaded")")) << serve.log();
  EXPECT_THAT(serve.log(), HasSubstr(R"("settings_applied":"sweep_interval")"));
  EXPECT_THAT(serve.log(), HasSubstr(R"("need_restart":"store.url,audit.key_file")"));
  ASSERT_TRUE(serve.wait_for("keep their running values until jit serve is restarted")) << serve.log();

  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait_exit(), 0) << serve.log();
  EXPECT_TRUE(serve.wait_for(R"("event":"stopped")")) << serve.log();
}

TEST_F(CliTest, ServeNamesTheCurrentAuditKey) {
  const std::string config = write("jit.toml", servable_example());
  const std::string secret = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";
  ::setenv("JIT_AUDIT_KEY", ("k2026:" + secret).c_str(), 1);  // inherited by the child only
  JitProcess serve({"serve", "--config", config, "--store", db, "--ops-address", "127.0.0.1:0", "--no-slack",
                    "--log-level", "info"});
  ::unsetenv("JIT_AUDIT_KEY");
  ASSERT_TRUE(serve.wait_for(R"("event":"serving")")) << serve.log();
  EXPECT_THAT(serve.log(), HasSubstr(R"("current_key":"k2026","event":"audit_keyed")"));
  EXPECT_THAT(serve.log(), Not(HasSubstr("audit_unkeyed")));
  EXPECT_THAT(serve.log(), Not(HasSubstr(secret.substr(0, 12))));
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait_exit(), 0) << serve.log();
}

TEST_F(CliTest, DemoKeepRunningPrintsHowToPlayAndStopsOnSigterm) {
  JitProcess demo({"demo", "--keep-running"});
  ASSERT_TRUE(demo.wait_for("Ctrl-C stops it all", std::chrono::seconds(60))) << demo.log();
  ASSERT_TRUE(demo.wait_for("/_emulator/assignments")) << demo.log();
  ASSERT_TRUE(demo.wait_for("/_emulator/role-sessions/")) << demo.log();
  EXPECT_THAT(demo.log(), Not(HasSubstr("FAILED")));
  for (const char* line : {"curl -s -XPOST http://127.0.0.1:", "/_emulator/slash -d '{\"user\":\"U0DANA\"",
                           "/_emulator/messages?channel=C0PROD", "/_emulator/click -d", "/_emulator/dm?user=U0DANA",
                           "request legacy admin 30m", "/_emulator/messages?channel=C0LEGACY", "/_emulator/iam\n",
                           "/_emulator/home_opened -d '{\"user\":\"U0DANA\"}'", "/_emulator/home?user=U0DANA",
                           "/_emulator/home_click -d '{\"user\":\"U0DANA\",\"action_id\":\"jit_extend\""})
    EXPECT_THAT(demo.log(), HasSubstr(line));
  demo.signal(SIGTERM);
  EXPECT_EQ(demo.wait_exit(), 0) << demo.log();
}

}  // namespace
