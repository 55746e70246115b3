// The two attacks on the audit trail that only a checkpoint kept outside the store catches, made
// on real stores the way someone holding the database file or the table would: plain verification
// passes after each (the "before"), and verification against a signed checkpoint fails (the
// "after"). SQLite: the append-only triggers dropped and rows changed with SQL. DynamoDB (moto):
// items deleted and put with the API, as a writer of the table can.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "app/migrate.h"
#include "audit/anchors.h"
#include "audit/chain.h"
#include "audit/checkpoint.h"
#include "store/dynamodb_items.h"
#include "store/dynamodb_peers.h"
#include "store/dynamodb_store.h"
#include "store/sqlite_store.h"
#include "support/moto.h"

namespace jit {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A store and the raw writes an attacker would make to it.
struct Backend {
  std::unique_ptr<Store> store;
  // Deletes every event after `keep` and sets the head to event `keep`.
  std::function<void(std::int64_t keep, const AuditHead& head)> truncate;
  // Overwrites these events (same seq) and sets the head.
  std::function<void(const std::vector<AuditEvent>& events, const AuditHead& head)> rewrite;
};

void sql(sqlite3* db, const std::string& statement) {
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
}

std::string quoted(const std::string& text) {
  char* q = sqlite3_mprintf("%Q", text.c_str());
  std::string out(q);
  sqlite3_free(q);
  return out;
}

Backend sqlite_backend() {
  static int n = 0;
  const fs::path path =
      fs::path(::testing::TempDir()) / ("jit-checkpoint-attack-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".db");
  fs::remove(path);
  auto store = SqliteStore::open(path.string());
  EXPECT_TRUE(store) << store.error().message;
  // The attacker's own connection to the file: triggers dropped first, as they would.
  auto with_db = [path](const std::function<void(sqlite3*)>& body) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sql(db, "DROP TRIGGER IF EXISTS audit_append_only_update; DROP TRIGGER IF EXISTS audit_append_only_delete;");
    body(db);
    sqlite3_close(db);
  };
  auto set_head = [](sqlite3* db, const AuditHead& head) {
    sql(db, "UPDATE audit_head SET seq = " + std::to_string(head.seq) + ", hash = " + quoted(head.hash));
  };
  return Backend{
      store ? std::unique_ptr<Store>(std::move(*store)) : nullptr,
      [with_db, set_head](std::int64_t keep, const AuditHead& head) {
        with_db([&](sqlite3* db) {
          sql(db, "DELETE FROM audit WHERE seq > " + std::to_string(keep));
          set_head(db, head);
        });
      },
      [with_db, set_head](const std::vector<AuditEvent>& events, const AuditHead& head) {
        with_db([&](sqlite3* db) {
          for (const auto& e : events)
            sql(db, "UPDATE audit SET detail = " + quoted(e.detail) + ", prev_hash = " + quoted(e.prev_hash) +
                        ", hash = " + quoted(e.hash) + " WHERE seq = " + std::to_string(e.seq));
          set_head(db, head);
        });
      }};
}

Backend dynamodb_backend(aws::AwsJsonApi& api) {
  const std::string table = testing::fresh_table_name();
  SystemClock real_time;
  auto created = DynamoDbStore::create_table(table, api, real_time);
  EXPECT_TRUE(created) << created.error().message;
  auto store = DynamoDbStore::open(table, api);
  EXPECT_TRUE(store) << store.error().message;
  auto call = [&api, table](const std::string& operation, dynamodb::Json input) {
    input["TableName"] = table;
    auto done = api.call(operation, input);
    ASSERT_TRUE(done) << operation << ": " << done.error().message;
  };
  return Backend{
      store ? std::unique_ptr<Store>(std::move(*store)) : nullptr,
      [call](std::int64_t keep, const AuditHead& head) {
        for (std::int64_t seq = keep + 1; seq <= keep + 3; ++seq)
          call("DeleteItem", {{"Key", dynamodb::audit_event_key(seq)}});
        call("PutItem", {{"Item", dynamodb::audit_head_item(head)}});
      },
      [call](const std::vector<AuditEvent>& events, const AuditHead& head) {
        for (const auto& e : events) call("PutItem", {{"Item", dynamodb::audit_event_item(e)}});
        call("PutItem", {{"Item", dynamodb::audit_head_item(head)}});
      }};
}

class CheckpointAttack : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      backend_ = sqlite_backend();
    } else {
      moto_ = std::make_unique<Result<testing::MotoServer>>(testing::MotoServer::start());
      ASSERT_TRUE(*moto_) << "cannot start moto_server: " << (*moto_).error().message;
      api_ = testing::one_call_at_a_time(testing::dynamodb_client((*moto_)->url()));
      backend_ = dynamodb_backend(*api_);
    }
    ASSERT_NE(backend_.store, nullptr);
    // Ten events, as the engine would append them, and the checkpoint the service published.
    for (int i = 1; i <= 10; ++i) {
      auto appended = backend_.store->append_audit(
          {.at = from_epoch(1'800'000'000 + i), .actor = "system:engine", .action = "step", .request_id = "r1",
           .from_state = "a", .to_state = "b", .detail = "step " + std::to_string(i)});
      ASSERT_TRUE(appended) << appended.error().message;
    }
    auto head = backend_.store->audit_head();
    ASSERT_TRUE(head);
    ASSERT_EQ(head->seq, 10);
    auto checkpoint = audit::make_checkpoint(*head, from_epoch(1'800'000'100), key_);
    ASSERT_TRUE(checkpoint);
    // Through its text form, as an auditor reads it back from Slack or the log.
    const auto scanned = audit::scan_checkpoints("posted: `" + audit::to_line(*checkpoint) + "`");
    ASSERT_EQ(scanned.found.size(), 1u);
    ASSERT_TRUE(audit::signature_valid(scanned.found[0], key_.public_key()));
    anchor_ = {scanned.found[0].seq, scanned.found[0].head, "checkpoint seq=10"};
  }

  std::vector<AuditEvent> events() {
    auto all = all_audit_events(*backend_.store);
    EXPECT_TRUE(all) << all.error().message;
    return all ? *all : std::vector<AuditEvent>{};
  }
  AuditHead head() { return backend_.store->audit_head().value_or(AuditHead{}); }

  crypto::Ed25519PrivateKey key_ = *crypto::Ed25519PrivateKey::from_raw(std::string(32, 'k'));
  std::unique_ptr<Result<testing::MotoServer>> moto_;
  std::unique_ptr<aws::AwsJsonApi> api_;
  Backend backend_;
  audit::Anchor anchor_;
};

TEST_P(CheckpointAttack, IntactTrailPassesBoth) {
  const auto trail = events();
  EXPECT_TRUE(audit::verify(trail, head(), audit::Keyring::unkeyed()).ok);
  EXPECT_TRUE(audit::check_anchors(trail, head(), {anchor_}).empty());
}

TEST_P(CheckpointAttack, TailTruncationWithTheHeadMovedIsCaughtOnlyByTheCheckpoint) {
  const auto before = events();
  backend_.truncate(7, {7, before[6].hash});
  const auto trail = events();
  ASSERT_EQ(trail.size(), 7u);
  // Before: the chain and the stored head agree, so plain verification passes.
  const auto plain = audit::verify(trail, head(), audit::Keyring::unkeyed());
  EXPECT_TRUE(plain.ok) << plain.problem;
  // After: the checkpoint names event 10, which is gone.
  const auto problems = audit::check_anchors(trail, head(), {anchor_});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0].problem, HasSubstr("event 10 is not in the trail, which ends at event 7"));
}

TEST_P(CheckpointAttack, FullRewriteWithRecomputedHashesIsCaughtOnlyByTheCheckpoint) {
  auto trail = events();
  ASSERT_EQ(trail.size(), 10u);
  trail[2].detail = "nothing happened here";
  for (std::size_t i = 2; i < trail.size(); ++i) {
    trail[i].prev_hash = trail[i - 1].hash;
    trail[i].hash = *audit::compute_hash(trail[i], audit::Keyring::unkeyed());
  }
  backend_.rewrite({trail.begin() + 2, trail.end()}, {10, trail.back().hash});
  const auto rewritten = events();
  ASSERT_EQ(rewritten[2].detail, "nothing happened here");
  const auto plain = audit::verify(rewritten, head(), audit::Keyring::unkeyed());
  EXPECT_TRUE(plain.ok) << plain.problem;
  const auto problems = audit::check_anchors(rewritten, head(), {anchor_});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0].problem, HasSubstr("event 10 has hash " + trail.back().hash + ", not " + anchor_.hash));
}

INSTANTIATE_TEST_SUITE_P(Stores, CheckpointAttack, ::testing::Values("sqlite", "dynamodb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace jit
