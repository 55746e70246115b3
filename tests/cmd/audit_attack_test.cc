// Issue 13's "full rewrite" against the real `jit` binary: a SQLite store file written with an
// audit key, rewritten by someone who holds the file but not the key (the append-only triggers
// dropped, one event edited, it and every later event resealed with the unkeyed compute, the head
// moved), then `jit audit verify` with the key configured. And the "before": the same rewrite of
// a store written without a key passes.
#include <gmock/gmock.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "audit/chain.h"
#include "cmd/run_jit.h"
#include "store/sqlite_store.h"

namespace jit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kSecret1 = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";  // openssl rand -base64 32
const std::string kSecret2(64, '7');                                        // openssl rand -hex 32
const TimePoint kT0 = from_epoch(1'700'000'000);

using testing::Outcome;
using testing::run;

class AuditAttack : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (fmt::format("jit-attack-{}-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), ::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    file_ = (dir_ / "state.db").string();
    store_ = "sqlite:" + file_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Six events written by the store itself, sealing with `keys`: two requests (denied, so that
  // verify's cross-check of requests that may hold access has nothing to say) and two stray events.
  void write_trail(const audit::Keyring& keys) {
    auto store = SqliteStore::open(file_, keys);
    ASSERT_TRUE(store) << store.error().message;
    for (const char* id : {"r-1", "r-2"}) {
      AccessRequest r{.id = id, .requester = "U0ALICE", .account = "prod", .role = id, .reason = "deploy",
                      .created_at = kT0, .updated_at = kT0, .state = State::pending};
      auto created = (*store)->create_request(r, {.at = kT0, .actor = "U0ALICE", .action = "submit", .request_id = id,
                                                   .to_state = "pending", .facts = R"({"requester":"U0ALICE"})"});
      ASSERT_TRUE(created) << created.error().message;
      r = *created;
      r.state = State::denied;
      r.updated_at = kT0 + Seconds{60};
      ASSERT_TRUE((*store)->update_request(r, {.at = r.updated_at, .actor = "U0BOB", .action = "deny",
                                               .request_id = id, .from_state = "pending", .to_state = "denied"}));
    }
    for (int i = 0; i < 2; ++i)
      ASSERT_TRUE((*store)->append_audit({.at = kT0 + Seconds{120 + i}, .actor = "system:reconciler",
                                          .action = "stray_assignment", .detail = "none"}));
  }

  // What someone with the file and without the key can do: drop the triggers, edit event `first`,
  // reseal it and every later event with the unkeyed compute (SHA-256, key_id ""), move the head.
  void rewrite_from(std::int64_t first) {
    auto reader = SqliteStore::open(file_);
    ASSERT_TRUE(reader) << reader.error().message;
    auto events = (*reader)->audit_events({});
    ASSERT_TRUE(events) << events.error().message;
    reader->reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER audit_append_only_update", nullptr, nullptr, nullptr), SQLITE_OK);
    AuditHead head{0, audit::kGenesisHash};
    for (AuditEvent& e : *events) {
      if (e.seq >= first) {
        if (e.seq == first) e.detail = "nothing to see here";
        audit::seal(e, head, audit::Keyring::unkeyed());
        sqlite3_stmt* update = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE audit SET detail = ?1, key_id = ?2, prev_hash = ?3, hash = ?4 "
                                         "WHERE seq = ?5", -1, &update, nullptr), SQLITE_OK);
        sqlite3_bind_text(update, 1, e.detail.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(update, 2, e.key_id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(update, 3, e.prev_hash.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(update, 4, e.hash.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(update, 5, e.seq);
        EXPECT_EQ(sqlite3_step(update), SQLITE_DONE) << sqlite3_errmsg(db);
        sqlite3_finalize(update);
      }
      head = {e.seq, e.hash};
    }
    const std::string move_head =
        "UPDATE audit_head SET seq = " + std::to_string(head.seq) + ", hash = '" + head.hash + "' WHERE id = 1";
    EXPECT_EQ(sqlite3_exec(db, move_head.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  std::filesystem::path dir_;
  std::string file_, store_;
};

const std::string kKeyEnv = "JIT_AUDIT_KEY=k1:" + kSecret1;

TEST_F(AuditAttack, FullRewriteOfAKeyedTrailIsCaughtAndTheFirstForgedEventNamed) {
  write_trail(audit::Keyring::parse_env("k1:" + kSecret1, "test").value());
  Outcome intact = run("audit verify --store " + store_, kKeyEnv);
  ASSERT_EQ(intact.code, 0) << intact.out;
  EXPECT_THAT(intact.out, HasSubstr("audit trail verified: 6 events"));
  EXPECT_THAT(intact.out, HasSubstr("sealed by key k1; keys configured: k1 from JIT_AUDIT_KEY"));

  rewrite_from(3);
  Outcome forged = run("audit verify --store " + store_, kKeyEnv);
  EXPECT_EQ(forged.code, 1) << forged.out;
  EXPECT_THAT(forged.out, HasSubstr("audit trail BROKEN at event 3: event 3 is not keyed but follows keyed event 2"));
  // Without the key, the keyed events cannot be checked at all: verify fails, naming the key.
  Outcome keyless = run("audit verify --store " + store_);
  EXPECT_EQ(keyless.code, 1) << keyless.out;
  EXPECT_THAT(keyless.out, HasSubstr("sealed by key k1, which this keyring lacks (no key is configured)"));
  EXPECT_THAT(intact.out + forged.out + keyless.out, Not(HasSubstr(kSecret1.substr(0, 12))));
}

TEST_F(AuditAttack, RewriteFromTheFirstEventIsCaughtToo) {
  write_trail(audit::Keyring::parse_env("k1:" + kSecret1, "test").value());
  rewrite_from(1);
  Outcome forged = run("audit verify --store " + store_, kKeyEnv);
  EXPECT_EQ(forged.code, 1) << forged.out;
  EXPECT_THAT(forged.out, HasSubstr("BROKEN at event 1: events 1 to 6 are not keyed although a key is configured"));
}

TEST_F(AuditAttack, BeforeKeysTheSameRewritePasses) {
  write_trail(audit::Keyring::unkeyed());
  rewrite_from(3);
  Outcome forged = run("audit verify --store " + store_);
  EXPECT_EQ(forged.code, 0) << forged.out;
  EXPECT_THAT(forged.out, HasSubstr("audit trail verified: 6 events"));
  EXPECT_THAT(forged.out, HasSubstr("sealed by no key (every event unkeyed); no key configured"));
}

// A rotation through the configuration: events under k1, then under k2 with k1 kept in the key file.
TEST_F(AuditAttack, RotatedKeysFromTheKeyFileVerifyAndAMissingOldKeyFails) {
  write_trail(audit::Keyring::parse_env("k1:" + kSecret1, "test").value());
  {
    auto store = SqliteStore::open(file_, audit::Keyring::parse_env("k2:" + kSecret2 + ",k1:" + kSecret1, "t").value());
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->append_audit({.at = kT0 + Seconds{200}, .actor = "system:test", .action = "tick"}));
  }
  const std::string keys = (dir_ / "audit-keys").string();
  std::ofstream(keys) << "# rotated\nk2 " << kSecret2 << "\nk1 " << kSecret1 << "\n";
  std::filesystem::permissions(keys, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::string config = "[audit]\nkey_file = \"" + keys + "\"\n";
  {
    std::ifstream example(std::string(JIT_EXAMPLES_DIR) + "/jit.toml");
    std::stringstream text;
    text << example.rdbuf();
    config = text.str() + "\n" + config;
  }
  const std::string config_file = (dir_ / "jit.toml").string();
  std::ofstream(config_file) << config;
  Outcome both = run("audit verify --config " + config_file + " --store " + store_);
  EXPECT_EQ(both.code, 0) << both.out;
  EXPECT_THAT(both.out, HasSubstr("sealed by keys k1, k2; keys configured: k1, k2 from key file " + keys));
  EXPECT_THAT(both.out, Not(HasSubstr("warning")));

  Outcome new_only = run("audit verify --store " + store_, "JIT_AUDIT_KEY=k2:" + kSecret2);
  EXPECT_EQ(new_only.code, 1) << new_only.out;
  EXPECT_THAT(new_only.out, HasSubstr("BROKEN at event 1: audit event 1 was sealed by key k1, which this keyring lacks "
                                      "(it holds k2)"));

  // check-config reads the key file too; a readable-by-others file is a warning; a bad line is
  // named by file and line, never shown.
  Outcome checked = run("check-config " + config_file);
  EXPECT_EQ(checked.code, 0) << checked.out;
  EXPECT_THAT(checked.out, HasSubstr("audit keyed by k2 from key file " + keys));
  std::filesystem::permissions(keys, std::filesystem::perms::group_read | std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  EXPECT_THAT(run("check-config " + config_file).out, HasSubstr("may be read by group or others (mode 0644)"));
  std::ofstream(keys, std::ios::app) << "k3 " << kSecret1.substr(0, 20) << "\n";
  Outcome bad = run("check-config " + config_file);
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr(keys + ":4: the secret of key k3"));
  EXPECT_THAT(bad.out, Not(HasSubstr(kSecret1.substr(0, 12))));
}

// A service started without the key on a keyed trail would append events that never verify: it
// refuses to start, naming the key and where to configure it.
TEST_F(AuditAttack, ServeRefusesToStartUnkeyedOnAKeyedTrail) {
  write_trail(audit::Keyring::parse_env("k1:" + kSecret1, "test").value());
  const std::string config = std::string(JIT_EXAMPLES_DIR) + "/jit.toml";
  Outcome refused = run("serve --no-slack --dry-run --ops-address 127.0.0.1:0 --config " + config + " --store " + store_);
  EXPECT_EQ(refused.code, 2) << refused.out;
  EXPECT_THAT(refused.out, HasSubstr("the audit trail is keyed (its last event, 6, was sealed by key k1) but no audit "
                                     "key is configured: set JIT_AUDIT_KEY"));
  const auto events = SqliteStore::open(file_).value()->audit_events({});
  ASSERT_TRUE(events);
  EXPECT_EQ(events->size(), 6u) << "nothing was written";
}

}  // namespace
}  // namespace jit
