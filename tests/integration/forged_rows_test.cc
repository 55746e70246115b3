// The two attacks of issue 13 on the requests table, on real stores: a SQLite file written with
// SQL behind the service's back, and a DynamoDB table (moto_server) written with PutItem. The
// real engine (memory access provider) must not grant a request inserted as approved, and must
// revoke a grant whose expiry was moved a year ahead at the expiry its grant event fixed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <filesystem>

#include "audit/chain.h"
#include "aws/json_client.h"
#include "engine/engine.h"
#include "fakes/manual_clock.h"
#include "fakes/memory_chat.h"
#include "fakes/memory_provider.h"
#include "net/https_client.h"
#include "store/dynamodb_items.h"
#include "store/dynamodb_store.h"
#include "store/sqlite_store.h"
#include "support/moto.h"

namespace jit {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

const std::string kPs = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-1111111111111111";
constexpr std::int64_t kYear = 365 * 86400;

// A store, and a way to write its requests behind the engine's back, as someone holding the file
// or the table would.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Store& store() = 0;
  // Inserts `r` as a bare row: no audit event, no check.
  virtual void insert_raw(const AccessRequest& r) = 0;
  // Moves the stored expiry of request `id` by `seconds`, nothing else.
  virtual void move_expiry(const std::string& id, std::int64_t seconds) = 0;
};

class SqliteBackend final : public Backend {
 public:
  SqliteBackend() {
    path_ = std::filesystem::path(::testing::TempDir()) / ("jit-forged-rows-" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path_);
    store_ = SqliteStore::open(path_.string()).value();
  }
  ~SqliteBackend() override { std::filesystem::remove(path_); }
  Store& store() override { return *store_; }

  void insert_raw(const AccessRequest& r) override {
    const auto t = epoch_seconds(r.created_at);
    exec(fmt::format(
        "INSERT INTO requests (id, version, requester, account, account_id, role, permission_set_arn, "
        "duration_seconds, reason, ticket, created_at, updated_at, state, decisions, principal, granted_at, "
        "expires_at, ended_at, end_reason, lease_owner, lease_until, chat_channel, chat_ts, requester_email) "
        "VALUES ('{}', 1, '{}', '{}', '{}', '{}', '{}', {}, '{}', '', {}, {}, '{}', "
        "'[{{\"approver\":\"U0ALICE\",\"approved\":true,\"reason\":\"\",\"at\":{}}}]', '{}', NULL, NULL, NULL, '', "
        "'', NULL, 'C0PROD', '', '{}')",
        r.id, r.requester, r.account, r.account_id, r.role, r.permission_set_arn, r.duration.count(), r.reason, t, t,
        state_name(r.state), t, r.principal, r.requester_email));
  }
  void move_expiry(const std::string& id, std::int64_t seconds) override {
    exec(fmt::format("UPDATE requests SET expires_at = expires_at + {} WHERE id = '{}'", seconds, id));
  }

 private:
  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "") << sql;
    sqlite3_free(error);
    sqlite3_close(db);
  }
  std::filesystem::path path_;
  std::unique_ptr<SqliteStore> store_;
};

class DynamoBackend final : public Backend {
 public:
  DynamoBackend() {
    auto moto = testing::MotoServer::start();
    EXPECT_TRUE(moto) << moto.error().message;
    if (!moto) return;
    moto_ = std::make_unique<testing::MotoServer>(std::move(*moto));
    auto config = aws::AwsJsonClientConfig::for_service(aws::AwsService::dynamodb, *net::Endpoint::parse(moto_->url()),
                                                        "us-east-1");
    ddb_ = std::make_unique<aws::AwsJsonClient>(config, keys_, *http_, clock_);
    EXPECT_TRUE(DynamoDbStore::create_table(kTable, *ddb_, clock_,
                                            {.max_polls = 50, .poll_interval = std::chrono::milliseconds(100)}));
    store_ = DynamoDbStore::open(kTable, *ddb_).value();
  }
  Store& store() override { return *store_; }

  void insert_raw(const AccessRequest& r) override { put(r); }
  void move_expiry(const std::string& id, std::int64_t seconds) override {
    AccessRequest r = store_->get_request(id).value();
    *r.expires_at += Seconds{seconds};
    put(r);
  }

 private:
  void put(const AccessRequest& r) {
    auto put = ddb_->call("PutItem", {{"TableName", kTable}, {"Item", dynamodb::request_item(r)}});
    EXPECT_TRUE(put) << put.error().message;
  }
  static constexpr char kTable[] = "jit-forged";
  std::unique_ptr<testing::MotoServer> moto_;
  SystemClock clock_;
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client();
  aws::StaticCredentialsProvider keys_{{"AKIDMOTO", "moto-secret", ""}};
  std::unique_ptr<aws::AwsJsonClient> ddb_;
  std::unique_ptr<DynamoDbStore> store_;
};

class ForgedRows : public ::testing::TestWithParam<std::string> {
 protected:
  ForgedRows() {
    spdlog::set_level(spdlog::level::off);
    if (GetParam() == "sqlite") backend = std::make_unique<SqliteBackend>();
    else backend = std::make_unique<DynamoBackend>();
    AccountPolicy prod{.name = "prod", .id = "123456789012", .owner_channel = "C0PROD", .approvers = {"U0ALICE"}};
    prod.roles.push_back({.name = "admin", .permission_set_arn = kPs, .max_duration = std::chrono::hours{2},
                          .requesters = {"*"}});
    config->policy.accounts.push_back(prod);
    engine = make_engine();
  }

  std::unique_ptr<Engine> make_engine() {
    return std::make_unique<Engine>(config, backend->store(), provider, chat, directory, clock,
                                    EngineOptions{.instance_id = "it-1", .lease = Seconds{60}});
  }
  AccessRequest read(const std::string& id) { return backend->store().get_request(id).value(); }
  std::vector<std::string> alerts() {
    std::vector<std::string> out;
    for (const auto& line : chat.transcript())
      if (line.kind == ChatLine::Kind::alert) out.push_back(line.text);
    return out;
  }
  void expect_chain_intact() {
    auto events = backend->store().audit_events({});
    ASSERT_TRUE(events);
    auto report = audit::verify(*events, backend->store().audit_head().value(), audit::Keyring::unkeyed());
    EXPECT_TRUE(report.ok) << report.problem;
  }

  std::unique_ptr<Backend> backend;
  std::shared_ptr<Config> config = std::make_shared<Config>();
  MemoryAccessProvider provider;
  MemoryChat chat;
  MemoryDirectory directory;
  ManualClock clock{TimePoint{Seconds{SystemClock().now().time_since_epoch() / Seconds{1}}}};
  std::unique_ptr<Engine> engine;
};

TEST_P(ForgedRows, ARequestInsertedAsApprovedIsNeverGranted) {
  const AccessRequest forged{.id = "r-forged", .requester = "U0EVE", .account = "prod", .account_id = "123456789012",
                             .role = "admin", .permission_set_arn = kPs, .duration = std::chrono::hours{1},
                             .reason = "trust me", .created_at = clock.now(), .updated_at = clock.now(),
                             .state = State::approved, .decisions = {{"U0ALICE", true, "", clock.now()}},
                             .requester_email = "u0eve@example.com", .principal = "p-u0eve"};
  backend->insert_raw(forged);
  ASSERT_EQ(read("r-forged").state, State::approved);
  engine->sweep();  // before the chain was checked, this sweep granted it
  const AccessRequest after = read("r-forged");
  EXPECT_EQ(after.state, State::failed);
  EXPECT_THAT(after.end_reason, HasSubstr("submit: no submit event"));
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 0);
  EXPECT_TRUE(provider.assignments().empty());
  EXPECT_THAT(alerts(), Contains(HasSubstr("Refused to grant r-forged")));
  const auto events = backend->store().audit_events({.request_id = "r-forged"}).value();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "grant_failed");
  EXPECT_THAT(events[0].facts, HasSubstr("refused, nothing granted"));
  expect_chain_intact();
}

TEST_P(ForgedRows, AnExpiryMovedAYearAheadEndsAtTheChainsExpiry) {
  auto submitted = engine->submit({"U0DANA", "prod", "admin", "15m", "integration test", ""});
  ASSERT_TRUE(submitted) << submitted.error().message;
  const AccessRequest active = engine->approve(submitted->id, "U0ALICE").value();
  ASSERT_EQ(active.state, State::active) << active.end_reason;
  const TimePoint genuine = *active.expires_at;
  backend->move_expiry(active.id, kYear);
  ASSERT_EQ(*read(active.id).expires_at, genuine + Seconds{kYear});
  // A restart: the timers come from the chain, and the column is put back.
  engine = make_engine();
  engine->recover();
  EXPECT_EQ(*read(active.id).expires_at, genuine);
  EXPECT_THAT(alerts(), Contains(HasSubstr("was edited in the store")));
  // Moved again after that check: the revocation still goes by the chain.
  backend->move_expiry(active.id, kYear);
  clock.set(genuine);
  engine->fire_due_timers();
  const AccessRequest after = read(active.id);
  EXPECT_EQ(after.state, State::revoked);
  EXPECT_EQ(after.ended_at, genuine);
  EXPECT_TRUE(provider.assignments().empty());
  const auto events = backend->store().audit_events({.request_id = active.id}).value();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const AuditEvent& e) { return e.action == "expiry_mismatch"; }));
  expect_chain_intact();
}

INSTANTIATE_TEST_SUITE_P(Stores, ForgedRows, ::testing::Values("sqlite", "dynamodb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace jit
