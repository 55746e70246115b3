#include "store/sqlite_store.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "audit/chain.h"
#include "contract/locks_contract.h"
#include "contract/step_up_store_contract.h"
#include "contract/store_contract.h"
#include "fakes/requests.h"
#include "store/sqlite_schema.h"

namespace jit {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// The database files of this test process live in one directory, removed when the process ends.
// (CTest runs every test in a process of its own, so each test's files are removed after it.)
class ScratchDirectory : public ::testing::Environment {
 public:
  static fs::path root() { return fs::path(::testing::TempDir()) / fmt::format("jit-store-test-{}", ::getpid()); }

  // A path no other test of this process uses.
  static fs::path new_database_path() {
    static std::atomic<int> counter = 0;
    fs::create_directories(root());
    return root() / fmt::format("store-{}.db", counter++);
  }

  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root(), ignored);
  }
};

[[maybe_unused]] const auto* const kScratch = ::testing::AddGlobalTestEnvironment(new ScratchDirectory);

std::unique_ptr<SqliteStore> open_store(const fs::path& path, const audit::Keyring& keys = audit::Keyring::unkeyed()) {
  auto store = SqliteStore::open(path.string(), keys);
  if (!store) {
    ADD_FAILURE() << store.error().message;
    return nullptr;
  }
  return std::move(*store);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract,
                         ::testing::Values(StoreBackend{"sqlite", [](const audit::Keyring& keys) -> std::unique_ptr<Store> {
                           return open_store(ScratchDirectory::new_database_path(), keys);
                         }}));

// Every handle is a store of its own on one file: another connection, as another process has.
INSTANTIATE_TEST_SUITE_P(Sqlite, LocksContract,
                         ::testing::Values(LocksBackend{"sqlite", [](const Clock& clock) {
                           const fs::path path = ScratchDirectory::new_database_path();
                           return [path, &clock]() -> std::unique_ptr<Locks> {
                             auto store = SqliteStore::open(path.string(), audit::Keyring::unkeyed(), &clock);
                             if (!store) {
                               ADD_FAILURE() << store.error().message;
                               return nullptr;
                             }
                             return std::move(*store);
                           };
                         }}));

// Every handle is a store of its own on one file, as for the locks.
INSTANTIATE_TEST_SUITE_P(Sqlite, StepUpStoreContract, ::testing::Values(StepUpBackend{"sqlite", [] {
                           const fs::path path = ScratchDirectory::new_database_path();
                           return [path]() -> std::shared_ptr<StepUpStore> { return open_store(path); };
                         }}));

// A plain SQLite connection, to look at the file from outside the store.
class RawDatabase {
 public:
  explicit RawDatabase(const fs::path& path) { EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK); }
  RawDatabase(const RawDatabase&) = delete;
  RawDatabase& operator=(const RawDatabase&) = delete;
  ~RawDatabase() { sqlite3_close(db_); }

  // The rows `sql` returns; NULL reads as "".
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    std::vector<std::vector<std::string>> out;
    char* error = nullptr;
    const int rc = sqlite3_exec(
        db_, sql.c_str(),
        [](void* rows, int columns, char** values, char**) {
          auto& row = static_cast<std::vector<std::vector<std::string>>*>(rows)->emplace_back();
          for (int i = 0; i < columns; ++i) row.emplace_back(values[i] != nullptr ? values[i] : "");
          return 0;
        },
        &out, &error);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
    return out;
  }

  std::string value(const std::string& sql) {
    auto result = rows(sql);
    return result.empty() || result[0].empty() ? "" : result[0][0];
  }

 private:
  sqlite3* db_ = nullptr;
};

const TimePoint kT0 = from_epoch(1'700'000'000);

AccessRequest sample_request(std::string id) {
  AccessRequest r;
  r.id = std::move(id);
  r.requester = "U1";
  r.account = "prod";
  r.role = "admin";
  r.created_at = kT0;
  r.updated_at = kT0;
  return r;
}

AuditEvent event_for(const AccessRequest& r, std::string action) {
  return {.at = r.updated_at, .actor = r.requester, .action = std::move(action), .request_id = r.id};
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  const fs::path path_ = ScratchDirectory::new_database_path();
};

TEST_F(SqliteStoreTest, ReopeningTheFileKeepsEverything) {
  AccessRequest stored;
  std::vector<AuditEvent> events;
  {
    auto store = open_store(path_);
    ASSERT_NE(store, nullptr);
    AccessRequest r = sample_request("r-1");
    r.decisions = {{.approver = "U2", .approved = true, .reason = "ok", .at = kT0}};
    r = store->create_request(r, event_for(r, "submit")).value();
    r.state = State::active;
    r.expires_at = kT0 + Seconds{3600};
    stored = store->update_request(r, event_for(r, "grant_succeeded")).value();
    ASSERT_TRUE(store->append_audit({.at = kT0, .actor = "system:test", .action = "note"}));
    events = store->audit_events({}).value();
  }
  auto reopened = open_store(path_);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->get_request("r-1").value(), stored);
  EXPECT_EQ(reopened->audit_events({}).value(), events);
  const AuditHead head = reopened->audit_head().value();
  EXPECT_EQ(head.seq, 3);
  EXPECT_TRUE(audit::verify(events, head, audit::Keyring::unkeyed()).ok);
  EXPECT_EQ(reopened->expired_grants(kT0 + Seconds{3600}, 10).value().size(), 1u);
}

// Two stores on one file behave like two processes sharing it.
TEST_F(SqliteStoreTest, TwoConnectionsToOneFileSeeEachOtherAndConflict) {
  auto a = open_store(path_);
  auto b = open_store(path_);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);

  const AccessRequest created = a->create_request(sample_request("r-1"), event_for(sample_request("r-1"), "submit")).value();
  AccessRequest seen_by_b = b->get_request("r-1").value();
  EXPECT_EQ(seen_by_b, created);

  seen_by_b.reason = "changed by b";
  ASSERT_TRUE(b->update_request(seen_by_b, event_for(seen_by_b, "edit")));
  auto stale = a->update_request(created, event_for(created, "edit"));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::conflict);

  const AccessRequest same_slot = sample_request("r-2");
  auto duplicate = b->create_request(same_slot, event_for(same_slot, "submit"));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, Errc::conflict);
  EXPECT_THAT(duplicate.error().message, HasSubstr("r-1"));

  // Writers on both connections at once still build one unbroken chain.
  constexpr int kEventsPerWriter = 40;
  std::vector<std::jthread> writers;
  for (SqliteStore* store : {a.get(), b.get()})
    writers.emplace_back([store] {
      for (int i = 0; i < kEventsPerWriter; ++i)
        EXPECT_TRUE(store->append_audit({.at = kT0, .actor = "system:test", .action = "tick"}));
    });
  writers.clear();
  const auto events = a->audit_events({}).value();
  EXPECT_EQ(events.size(), 2u + 2 * kEventsPerWriter);
  const auto report = audit::verify(events, b->audit_head().value(), audit::Keyring::unkeyed());
  EXPECT_TRUE(report.ok) << report.problem;
}

// The sweeps must read only the rows they return: each query runs on its index, never a full
// scan of a table, and none sorts its result.
TEST_F(SqliteStoreTest, QueriesUseTheirIndexes) {
  ASSERT_NE(open_store(path_), nullptr);  // creates the schema
  RawDatabase raw(path_);
  const std::pair<const char*, const char*> kQueries[] = {
      {sqlite::kExpiredGrants, "SEARCH requests USING INDEX requests_active_by_expiry"},
      {sqlite::kInFlight, "SCAN requests USING INDEX requests_in_flight"},  // the partial index holds only these
      {sqlite::kPendingBefore, "SEARCH requests USING INDEX requests_pending_by_created"},
      {sqlite::kHoldingAccess, "SCAN requests USING INDEX requests_holding_access"},
      {sqlite::kOpenRequestFor, "SEARCH requests USING INDEX requests_one_open_per_slot"},
      {sqlite::kListRequests, "SCAN requests USING INDEX requests_by_created"},
      {sqlite::kListRequestsOf, "SEARCH requests USING INDEX requests_by_requester"},
      {sqlite::kGetRequest, "SEARCH requests USING INDEX sqlite_autoindex_requests_1"},
      {sqlite::kUpdateRequest, "SEARCH requests USING INDEX sqlite_autoindex_requests_1"},
      {sqlite::kAuditEvents, "SEARCH audit USING INTEGER PRIMARY KEY"},
      {sqlite::kGetChallenge, "SEARCH step_up_challenges USING INDEX sqlite_autoindex_step_up_challenges_1"},
      {sqlite::kConsumeChallenge, "SEARCH step_up_challenges USING INDEX sqlite_autoindex_step_up_challenges_1"},
      {sqlite::kDeleteChallengesExpiredBefore, "SEARCH step_up_challenges USING INDEX step_up_challenges_by_expiry"},
      {sqlite::kGetCredential, "SEARCH webauthn_credentials USING INDEX sqlite_autoindex_webauthn_credentials_1"},
      {sqlite::kCredentialsOf, "SEARCH webauthn_credentials USING INDEX webauthn_credentials_by_user"},
      {sqlite::kAdvanceSignCount, "SEARCH webauthn_credentials USING INDEX sqlite_autoindex_webauthn_credentials_1"},
      {sqlite::kDeleteCredential, "SEARCH webauthn_credentials USING INDEX sqlite_autoindex_webauthn_credentials_1"},
  };
  for (const auto& [sql, expected] : kQueries) {
    std::string plan;
    for (const auto& row : raw.rows(std::string("EXPLAIN QUERY PLAN ") + sql)) plan += row.back() + "\n";
    EXPECT_THAT(plan, HasSubstr(expected)) << sql;
    EXPECT_THAT(plan, ::testing::Not(HasSubstr("SCAN requests\n"))) << sql;
    EXPECT_THAT(plan, ::testing::Not(HasSubstr("SCAN audit\n"))) << sql;
    EXPECT_THAT(plan, ::testing::Not(HasSubstr("SCAN step_up_challenges\n"))) << sql;
    EXPECT_THAT(plan, ::testing::Not(HasSubstr("SCAN webauthn_credentials\n"))) << sql;
    EXPECT_THAT(plan, ::testing::Not(HasSubstr("TEMP B-TREE"))) << sql;
  }
}

TEST_F(SqliteStoreTest, OpeningAnEmptyFileCreatesTheSchema) {
  std::ofstream(path_).flush();
  ASSERT_TRUE(fs::exists(path_));
  ASSERT_NE(open_store(path_), nullptr);
  RawDatabase raw(path_);
  EXPECT_EQ(raw.value("PRAGMA user_version"), std::to_string(sqlite::kSchemaVersion));
  EXPECT_EQ(raw.value("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.value("SELECT seq || ' ' || hash FROM audit_head"), "0 " + audit::kGenesisHash);
  // Opening again applies nothing more.
  ASSERT_NE(open_store(path_), nullptr);
  EXPECT_EQ(raw.value("SELECT count(*) FROM audit_head"), "1");
}

TEST_F(SqliteStoreTest, AVersion2DatabaseGainsTheRequesterEmailColumn) {
  {
    RawDatabase raw(path_);
    raw.rows(sqlite::kMigrations[0]);
    raw.rows(sqlite::kMigrations[1]);
    raw.rows("PRAGMA user_version = 2");
    raw.rows("INSERT INTO requests (id, version, requester, account, account_id, role, permission_set_arn, "
             "duration_seconds, reason, ticket, created_at, updated_at, state, decisions, principal, end_reason, "
             "lease_owner, chat_channel, chat_ts) VALUES ('r-old', 1, 'U1', 'prod', '123456789012', 'admin', 'arn', "
             "3600, 'old', '', 1700000000, 1700000000, 'pending', '[]', '', '', '', '', '')");
  }
  auto store = open_store(path_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(RawDatabase(path_).value("PRAGMA user_version"), std::to_string(sqlite::kSchemaVersion));
  AccessRequest old = store->get_request("r-old").value();
  EXPECT_EQ(old.requester_email, "");
  EXPECT_EQ(old.reason, "old");
  old.requester_email = "u1@example.com";
  ASSERT_TRUE(store->update_request(old, {.at = kT0, .actor = "system:test", .action = "note", .request_id = "r-old"}));
  EXPECT_EQ(store->get_request("r-old").value().requester_email, "u1@example.com");
}

TEST_F(SqliteStoreTest, AVersion4DatabaseGainsTheLocksTableAndKeepsItsRows) {
  {
    RawDatabase raw(path_);
    for (int step = 0; step < 4; ++step) raw.rows(sqlite::kMigrations[step]);
    raw.rows("PRAGMA user_version = 4");
    raw.rows("INSERT INTO requests (id, version, requester, account, account_id, role, permission_set_arn, "
             "duration_seconds, reason, ticket, created_at, updated_at, state, decisions, principal, end_reason, "
             "lease_owner, chat_channel, chat_ts, requester_email) VALUES ('r-four', 1, 'U1', 'prod', "
             "'123456789012', 'admin', 'arn', 3600, 'four', '', 1700000000, 1700000000, 'pending', '[]', '', '', "
             "'', '', '', 'u1@example.com')");
    EXPECT_EQ(raw.value("SELECT count(*) FROM sqlite_master WHERE name = 'locks'"), "0");
  }
  auto store = open_store(path_);
  ASSERT_NE(store, nullptr);
  RawDatabase raw(path_);
  EXPECT_EQ(raw.value("PRAGMA user_version"), std::to_string(sqlite::kSchemaVersion));
  EXPECT_EQ(store->get_request("r-four").value().requester_email, "u1@example.com");
  ASSERT_TRUE(store->try_lock("lock#ps-1", "instance-a", kT0 + std::chrono::seconds(60)).value_or(false));
  EXPECT_EQ(raw.value("SELECT owner || ' ' || until FROM locks WHERE name = 'lock#ps-1'"),
            fmt::format("instance-a {}", epoch_seconds(kT0) + 60));
}

// Issue 17: a version 6 database gains the reminder and escalation columns; its pending rows read
// as neither reminded nor escalated, and both are kept once written.
TEST_F(SqliteStoreTest, AVersion6DatabaseGainsTheReminderAndEscalationColumns) {
  {
    RawDatabase raw(path_);
    for (int step = 0; step < 6; ++step) raw.rows(sqlite::kMigrations[step]);
    raw.rows("PRAGMA user_version = 6");
    raw.rows("INSERT INTO requests (id, version, requester, account, account_id, role, permission_set_arn, "
             "duration_seconds, reason, ticket, created_at, updated_at, state, decisions, principal, end_reason, "
             "lease_owner, chat_channel, chat_ts, requester_email) VALUES ('r-six', 1, 'U1', 'prod', "
             "'123456789012', 'admin', 'arn', 3600, 'six', '', 1700000000, 1700000000, 'pending', '[]', '', '', "
             "'', 'C1', '1.2', 'u1@example.com')");
  }
  auto store = open_store(path_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(RawDatabase(path_).value("PRAGMA user_version"), std::to_string(sqlite::kSchemaVersion));
  AccessRequest six = store->get_request("r-six").value();
  EXPECT_FALSE(six.reminded_at);
  EXPECT_FALSE(six.escalated_at);
  six.reminded_at = kT0 + std::chrono::seconds(600);
  six.escalated_at = kT0 + std::chrono::seconds(1200);
  ASSERT_TRUE(store->update_request(six, {.at = kT0, .actor = "system:sweeper", .action = "escalated",
                                          .request_id = "r-six"}));
  const AccessRequest read = store->get_request("r-six").value();
  EXPECT_EQ(read.reminded_at, kT0 + std::chrono::seconds(600));
  EXPECT_EQ(read.escalated_at, kT0 + std::chrono::seconds(1200));
  EXPECT_EQ(store->pending_before(from_epoch(1800000000), 10).value().at(0).escalated_at, read.escalated_at);
}

// Forks `processes` children that each open the file at `path` and wait for the parent to close a
// pipe, so that all go at once; each then exits with `attempt(store, i)`: 1 won, 0 lost, 2 failed.
// The counts of winners and losers; every child that failed is a test failure.
struct RaceOutcome {
  int won = 0, lost = 0;
};
RaceOutcome race_processes(const fs::path& path, int processes, const std::function<int(SqliteStore&, int)>& attempt) {
  RaceOutcome outcome;
  int start[2];
  if (::pipe(start) != 0) {
    ADD_FAILURE() << "pipe failed";
    return outcome;
  }
  std::vector<pid_t> children;
  for (int i = 0; i < processes; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      ADD_FAILURE() << "fork failed";
      break;
    }
    if (pid == 0) {
      ::close(start[1]);
      auto store = SqliteStore::open(path.string());
      char byte;
      while (::read(start[0], &byte, 1) > 0) {
      }
      ::_exit(store ? attempt(**store, i) : 2);
    }
    children.push_back(pid);
  }
  ::close(start[0]);
  ::close(start[1]);  // go
  for (pid_t pid : children) {
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status));
    const int code = WEXITSTATUS(status);
    EXPECT_NE(code, 2) << "a child failed to open the store or to make its attempt";
    outcome.won += code == 1;
    outcome.lost += code == 0;
  }
  return outcome;
}

// Processes, not only threads: SQLite's file locks between processes are what serialise them.
TEST_F(SqliteStoreTest, OfRacingProcessesExactlyOneTakesTheLock) {
  ASSERT_NE(open_store(path_), nullptr);  // the schema exists before the race
  constexpr int kProcesses = 6;
  const RaceOutcome outcome = race_processes(path_, kProcesses, [](SqliteStore& store, int i) {
    auto took = store.try_lock("lock#ps-1", fmt::format("process-{}", i), from_epoch(4'000'000'000));
    return !took ? 2 : *took ? 1 : 0;
  });
  EXPECT_EQ(outcome.won, 1);
  EXPECT_EQ(outcome.lost, kProcesses - 1);
}

TEST_F(SqliteStoreTest, AVersion5DatabaseGainsTheStepUpTablesAndKeepsItsLocks) {
  {
    RawDatabase raw(path_);
    for (int step = 0; step < 5; ++step) raw.rows(sqlite::kMigrations[step]);
    raw.rows("PRAGMA user_version = 5");
    raw.rows("INSERT INTO locks (name, owner, until) VALUES ('lock#ps-1', 'instance-a', 4000000000)");
  }
  auto store = open_store(path_);
  ASSERT_NE(store, nullptr);
  RawDatabase raw(path_);
  EXPECT_EQ(raw.value("PRAGMA user_version"), std::to_string(sqlite::kSchemaVersion));
  EXPECT_EQ(raw.value("SELECT owner FROM locks WHERE name = 'lock#ps-1'"), "instance-a");
  ASSERT_TRUE(store->add_credential({.credential_id = "cred-1", .user_id = "U1", .public_key = "k", .created_at = kT0}));
  EXPECT_EQ(raw.value("SELECT user_id || ' ' || sign_count || ' ' || created_at || ' ' || "
                      "coalesce(last_used_at, 'null') FROM webauthn_credentials"),
            fmt::format("U1 0 {} null", epoch_seconds(kT0)));
}

// Version 8 (issue 17): a request stored before extensions extends nothing, and still holds its
// slot: a fresh request beside it is refused, an extension of it is not.
TEST_F(SqliteStoreTest, AVersion7DatabaseGainsExtensionsAndKeepsItsOpenSlots) {
  {
    RawDatabase raw(path_);
    for (int step = 0; step < 7; ++step) raw.rows(sqlite::kMigrations[step]);
    raw.rows("PRAGMA user_version = 7");
    raw.rows("INSERT INTO requests (id, version, requester, account, account_id, role, permission_set_arn, "
             "duration_seconds, reason, ticket, created_at, updated_at, state, decisions, principal, expires_at, "
             "end_reason, lease_owner, chat_channel, chat_ts) VALUES ('r-old', 3, 'U1', 'prod', '111111111111', "
             "'admin', 'arn:ps', 3600, 'why', '', 1700000000, 1700000000, 'active', '[]', 'p-1', 1700003600, '', "
             "'', '', '')");
  }
  auto store = open_store(path_);
  ASSERT_NE(store, nullptr);
  RawDatabase raw(path_);
  EXPECT_EQ(raw.value("PRAGMA user_version"), std::to_string(sqlite::kSchemaVersion));
  auto old = store->get_request("r-old");
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->extends, "");
  AccessRequest fresh = testing::new_request("r-fresh");
  EXPECT_FALSE(store->create_request(fresh, {.action = "submit", .request_id = "r-fresh"}));
  AccessRequest extension = testing::new_request("r-ext");
  extension.extends = "r-old";
  auto created = store->create_request(extension, {.action = "submit", .request_id = "r-ext"});
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(raw.value("SELECT extends FROM requests WHERE id = 'r-ext'"), "r-old");
}

// put_challenge drops what expired more than a day before the new challenge was made, and only that.
TEST_F(SqliteStoreTest, PuttingAChallengeDeletesThoseExpiredMoreThanADayAgo) {
  auto store = open_store(path_);
  ASSERT_NE(store, nullptr);
  const auto challenge = [](std::string id, TimePoint created) {
    return StepUpChallenge{.id = std::move(id), .user_id = "U1", .request_id = "r-1", .action = "approve",
                           .nonce = "n", .created_at = created, .expires_at = created + std::chrono::minutes(5)};
  };
  ASSERT_TRUE(store->put_challenge(challenge("tok-old", kT0)));
  ASSERT_TRUE(store->put_challenge(challenge("tok-recent", kT0 + std::chrono::hours(2))));
  const TimePoint old_expiry = kT0 + std::chrono::minutes(5);
  ASSERT_TRUE(store->put_challenge(challenge("tok-day", old_expiry + std::chrono::hours(24))));
  EXPECT_TRUE(store->get_challenge("tok-old")) << "expired exactly a day ago: kept";
  ASSERT_TRUE(store->put_challenge(challenge("tok-new", old_expiry + std::chrono::hours(24) + std::chrono::seconds(1))));
  EXPECT_EQ(store->get_challenge("tok-old").error().code, Errc::not_found);
  EXPECT_TRUE(store->get_challenge("tok-recent"));
  EXPECT_TRUE(store->get_challenge("tok-day"));
}

// Processes, not only threads, consume one link: exactly one wins, the others see a conflict.
TEST_F(SqliteStoreTest, OfRacingProcessesExactlyOneConsumesAChallenge) {
  {
    auto store = open_store(path_);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->put_challenge({.id = "tok-1", .user_id = "U1", .request_id = "r-1", .action = "approve",
                                      .nonce = "n", .created_at = kT0, .expires_at = kT0 + std::chrono::minutes(5)}));
  }
  constexpr int kProcesses = 6;
  const RaceOutcome outcome = race_processes(path_, kProcesses, [](SqliteStore& store, int i) {
    auto consumed = store.consume_challenge("tok-1", kT0 + std::chrono::seconds(i));
    return consumed ? 1 : consumed.error().code == Errc::conflict ? 0 : 2;
  });
  EXPECT_EQ(outcome.won, 1);
  EXPECT_EQ(outcome.lost, kProcesses - 1);
}

TEST_F(SqliteStoreTest, NewerSchemaVersionIsRefused) {
  const int newer = sqlite::kSchemaVersion + 1;
  RawDatabase(path_).rows(fmt::format("PRAGMA user_version = {}", newer));
  auto store = SqliteStore::open(path_.string());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::invalid);
  EXPECT_THAT(store.error().message, HasSubstr(path_.string()));
  EXPECT_THAT(store.error().message, HasSubstr(fmt::format("version {}", newer)));
  EXPECT_THAT(store.error().message, HasSubstr(fmt::format("up to {}", sqlite::kSchemaVersion)));
}

TEST_F(SqliteStoreTest, OpenFailureNamesThePath) {
  const std::string missing_dir = (path_.parent_path() / "no-such-dir" / "jit.db").string();
  auto store = SqliteStore::open(missing_dir);
  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message, HasSubstr(missing_dir));
}

}  // namespace
}  // namespace jit

namespace jit {
namespace {

TEST(SqliteAuditTrail, IsAppendOnlyInTheDatabase) {
  const fs::path path = ScratchDirectory::new_database_path();
  {
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->append_audit({.at = kT0, .actor = "system:test", .action = "note", .detail = "kept"}));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, "UPDATE audit SET detail = 'changed'", nullptr, nullptr, &error), SQLITE_CONSTRAINT);
  EXPECT_THAT(std::string(error ? error : ""), ::testing::HasSubstr("append-only"));
  sqlite3_free(error);
  EXPECT_EQ(sqlite3_exec(db, "DELETE FROM audit", nullptr, nullptr, nullptr), SQLITE_CONSTRAINT);
  sqlite3_close(db);
  auto reopened = open_store(path);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->audit_events({}).value().at(0).detail, "kept");
}

}  // namespace
}  // namespace jit
