// `jit audit report` as a user runs it, on an SQLite store that the engine filled (on fake
// Slack and AWS, simulated time): the three formats, the window and account filters, a tampered
// trail, and the flag errors, each naming the flag and the fix.
#include <gmock/gmock.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "audit/credentials.h"
#include "audit/facts.h"
#include "cmd/run_jit.h"
#include "engine/engine_fixture.h"
#include "store/sqlite_store.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AuditReportCli : public ::testing::Test {
 protected:
  // Two grants on 2026-11-24: r1 (admin, approved by U0ALICE, released after 10 minutes) and r2
  // (glass: two approvals, U0ALICE and U0BOB, still active).
  void SetUp() override {
    spdlog::set_level(spdlog::level::off);
    dir = std::filesystem::path(::testing::TempDir()) /
          (fmt::format("jit-report-{}-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), ::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    file = (dir / "state.db").string();
    db = "sqlite:" + file;
    auto store = SqliteStore::open(file);
    ASSERT_TRUE(store) << store.error().message;
    MemoryAccessProvider provider;
    MemoryChat chat;
    MemoryDirectory directory;
    ManualClock clock{kStart};
    EngineOptions o;
    o.instance_id = "i-1";
    Engine engine(test_config(), **store, provider, chat, directory, clock, o);
    auto r1 = engine.submit({"U0DEV", "prod", "admin", "1h", "investigating INC-1", ""});
    ASSERT_TRUE(r1) << r1.error().message;
    ASSERT_TRUE(engine.approve(r1->id, "U0ALICE"));
    clock.advance(std::chrono::minutes{10});
    ASSERT_TRUE(engine.release(r1->id, "U0DEV"));
    auto r2 = engine.submit({"U0DEV", "prod", "glass", "30m", "break glass, INC-2", ""});
    ASSERT_TRUE(r2) << r2.error().message;
    ASSERT_TRUE(engine.approve(r2->id, "U0ALICE"));
    ASSERT_TRUE(engine.approve(r2->id, "U0BOB"));
    ASSERT_EQ(engine.list_requests({}).value().size(), 2u);
    id1 = r1->id;
    id2 = r2->id;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  Outcome report(const std::string& flags) { return run("audit report --store " + db + " " + flags); }

  std::filesystem::path dir;
  std::string file, db, id1, id2;
};

TEST_F(AuditReportCli, CsvInAFileWithTheSummaryOnStderr) {
  const auto csv_path = dir / "report.csv";
  Outcome r = report("--since 2026-11-24 --until 2026-11-25 --output " + csv_path.string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("report: 2 grants from 2026-11-24T00:00:00Z to 2026-11-25T00:00:00Z; audit chain "
                               "verified: "));
  EXPECT_THAT(r.out, HasSubstr("checkpoints: not checked"));
  const std::string csv = read_text(csv_path);
  EXPECT_TRUE(csv.starts_with("request_id,requester,requester_email,account,")) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3) << csv;
  EXPECT_THAT(csv, HasSubstr(id1 + ",U0DEV,"));
  EXPECT_THAT(csv, HasSubstr(",U0ALICE 2026-11-24T10:00:00Z,"));
  EXPECT_THAT(csv, HasSubstr(",released,U0DEV,"));
  EXPECT_THAT(csv, HasSubstr(id2 + ",U0DEV,"));
  EXPECT_THAT(csv, HasSubstr("U0ALICE 2026-11-24T10:10:00Z; U0BOB 2026-11-24T10:10:00Z"));
}

TEST_F(AuditReportCli, JsonLinesOnStdoutAndHtmlInAFile) {
  Outcome jsonl = report("--since 2026-11-24T10:00:00Z --until 2026-11-24T11:00:00Z --format jsonl");
  ASSERT_EQ(jsonl.code, 0) << jsonl.out;
  std::istringstream lines(jsonl.out);
  std::string line;
  std::vector<nlohmann::json> objects;
  while (std::getline(lines, line))
    if (line.starts_with("{")) objects.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objects.size(), 3u) << jsonl.out;
  EXPECT_EQ(objects[0]["type"], "report");
  EXPECT_EQ(objects[0]["chain"]["verified"], true);
  EXPECT_EQ(objects[1]["request_id"], id1);
  EXPECT_EQ(objects[1]["outcome"], "released");
  EXPECT_EQ(objects[2]["request_id"], id2);
  EXPECT_EQ(objects[2]["outcome"], "active");
  EXPECT_EQ(objects[2]["approvals"].size(), 2u);

  const auto html_path = dir / "report.html";
  Outcome html = report("--since 2026-11-24 --until 2026-11-25 --format html --output " + html_path.string());
  ASSERT_EQ(html.code, 0) << html.out;
  const std::string page = read_text(html_path);
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  EXPECT_THAT(page, HasSubstr("<tr data-request=\"" + id1 + "\">"));
  EXPECT_THAT(page, HasSubstr("<tr data-request=\"" + id2 + "\">"));
  EXPECT_THAT(page, HasSubstr("<dd id=\"chain\" class=\"ok\">verified: "));
}

TEST_F(AuditReportCli, TheWindowAndTheAccountFilterRows) {
  Outcome later = report("--since 2026-11-24T10:20:00Z --until 2026-11-25 --format jsonl");
  ASSERT_EQ(later.code, 0) << later.out;
  EXPECT_THAT(later.out, HasSubstr("report: 1 grant from"));  // r1 ended at 10:10
  EXPECT_THAT(later.out, HasSubstr(id2));
  EXPECT_THAT(later.out, Not(HasSubstr(id1)));
  Outcome other = report("--since 2026-11-24 --until 2026-11-25 --account staging");
  ASSERT_EQ(other.code, 0) << other.out;
  EXPECT_THAT(other.out, HasSubstr("report: 0 grants from 2026-11-24T00:00:00Z to 2026-11-25T00:00:00Z on staging"));
}

TEST_F(AuditReportCli, ATamperedTrailIsReportedAndExitsOne) {
  const std::string sql = "DROP TRIGGER IF EXISTS audit_append_only_update; "
                          "UPDATE audit SET detail = 'nothing to see' WHERE seq = 3;";
  ASSERT_EQ(jit::testing::run_sqlite(file, sql).code, 0);
  const auto html_path = dir / "report.html";
  Outcome r = report("--since 2026-11-24 --until 2026-11-25 --format html --output " + html_path.string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("audit chain NOT verified: broken after #2"));
  EXPECT_THAT(read_text(html_path), HasSubstr("<dd id=\"chain\" class=\"bad\">NOT verified: broken after #2"));
}

TEST_F(AuditReportCli, TheHeaderStatesTheCheckpointsGivenAndAFailedOneExitsOne) {
  const auto sql = [&](const std::string& q) {
    std::string out = jit::testing::run_sqlite(file, q).out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  };
  const std::string head_hash = sql("SELECT hash FROM audit_head");
  const std::string head_seq = sql("SELECT seq FROM audit_head");
  Outcome held = report("--since 2026-11-24 --until 2026-11-25 --format jsonl --checkpoint " + head_seq + ":" +
                        head_hash);
  ASSERT_EQ(held.code, 0) << held.out;
  EXPECT_THAT(held.out, HasSubstr("\"checked\":true"));
  EXPECT_THAT(held.out, HasSubstr("1 checkpoint held, the latest at event " + head_seq));

  Outcome wrong = report("--since 2026-11-24 --until 2026-11-25 --format jsonl --checkpoint " + head_seq + ":" +
                         std::string(64, 'a'));
  EXPECT_EQ(wrong.code, 1) << wrong.out;
  EXPECT_THAT(wrong.out, HasSubstr("FAILED"));
}

TEST_F(AuditReportCli, FlagErrorsNameTheFlagAndTheFix) {
  Outcome bad_time = report("--since yesterday --until 2026-11-25");
  EXPECT_EQ(bad_time.code, 2);
  EXPECT_THAT(bad_time.out, HasSubstr("--since \"yesterday\": expected a UTC time like 2026-11-24T10:00:00Z"));
  Outcome bad_until = report("--since 2026-11-24 --until 11/25/2026");
  EXPECT_EQ(bad_until.code, 2);
  EXPECT_THAT(bad_until.out, HasSubstr("--until \"11/25/2026\": expected a UTC time"));
  Outcome backwards = report("--since 2026-11-25 --until 2026-11-24");
  EXPECT_EQ(backwards.code, 2);
  EXPECT_THAT(backwards.out, HasSubstr("--until 2026-11-24T00:00:00Z is not after --since 2026-11-25T00:00:00Z: give "
                                       "a window whose end comes after its start"));
  Outcome format = report("--since 2026-11-24 --until 2026-11-25 --format pdf");
  EXPECT_EQ(format.code, 2);
  EXPECT_THAT(format.out, HasSubstr("--format \"pdf\": expected csv, jsonl or html"));
  Outcome missing = report("--until 2026-11-25");
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.out, HasSubstr("--since is required"));
  Outcome unwritable = report("--since 2026-11-24 --until 2026-11-25 --output " + (dir / "no/such/dir/r.csv").string());
  EXPECT_EQ(unwritable.code, 1);
  EXPECT_THAT(unwritable.out, HasSubstr("cannot write the file: check the directory exists"));
}

// Issue 15: a security key's enrolment and removal are in the same trail under a "cred-" id; the
// trail still verifies, the cross-check sees no request in them, and the report has the same rows.
TEST_F(AuditReportCli, CredentialEventsInTheTrailStillVerifyAndReportTheSameRows) {
  const auto csv_of = [&](const std::string& name) {
    const auto path = dir / name;
    Outcome r = report("--since 2026-11-24 --until 2026-11-25 --output " + path.string());
    EXPECT_EQ(r.code, 0) << r.out;
    return read_text(path);
  };
  const std::string before = csv_of("before.csv");
  {
    auto store = SqliteStore::open(file);
    ASSERT_TRUE(store) << store.error().message;
    const std::string trail = audit::credential_trail_id("Y3JlZA");
    ASSERT_TRUE((*store)->append_audit({.at = kStart, .actor = "U0ALICE", .action = "credential_enrolled",
                                        .request_id = trail, .detail = "security key \"yubikey\" enrolled by U0ALICE",
                                        .facts = audit::facts::of_credential_enrolled("Y3JlZA", -7, "a2V5", "U0ALICE")}));
    ASSERT_TRUE((*store)->append_audit({.at = kStart, .actor = "U0ADMIN", .action = "credential_removed",
                                        .request_id = trail,
                                        .facts = audit::facts::of_credential_removed("Y3JlZA", "U0ALICE")}));
  }
  Outcome verify = run("audit verify --store " + db);
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("0 mismatches"));
  EXPECT_THAT(verify.out, Not(HasSubstr("cred-")));
  EXPECT_EQ(csv_of("after.csv"), before);
}

}  // namespace
}  // namespace jit::testing
