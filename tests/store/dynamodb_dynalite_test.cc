// DynamoDbStore's table creation and read paths against dynalite (npm; DynamoDB on LevelDB with
// faithful request validation). dynalite has no TransactWriteItems and no UpdateTimeToLive, so
// the items are written here with PutItem through the store's own mapping, and the store only
// reads them back: GetItem, Query on the table and on every index. The named locks (conditional
// PutItem and DeleteItem) run the whole Locks contract here, each handle with its own client, and
// so does the StepUpStore contract (single-item PutItem, UpdateItem and DeleteItem only).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "audit/chain.h"
#include "contract/locks_contract.h"
#include "contract/step_up_store_contract.h"
#include "store/dynamodb_api.h"
#include "store/dynamodb_items.h"
#include "store/dynamodb_peers.h"
#include "store/dynamodb_store.h"

namespace jit {
namespace {

using dynamodb::Json;
using ::testing::HasSubstr;

const TimePoint kT0 = from_epoch(1'700'000'000);

class DynamoDynalite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = testing::DynaliteServer::start();
    if (!server) {
      start_error_ = server.error().message;
      return;
    }
    server_ = new testing::DynaliteServer(std::move(*server));
    api_ = testing::checked_against_model(testing::dynamodb_client(server_->url())).release();
  }
  static void TearDownTestSuite() {
    delete api_;
    delete server_;  // stops dynalite
    api_ = nullptr;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(api_, nullptr) << "cannot start dynalite: " << start_error_;
    table_ = testing::fresh_table_name();
    // dynalite has no UpdateTimeToLive; it reports CREATING for a moment only when asked to.
    auto created = DynamoDbStore::create_table(
        table_, *api_, real_time_,
        {.max_polls = 250, .poll_interval = std::chrono::milliseconds{20}, .time_to_live = false});
    ASSERT_TRUE(created) << created.error().message;
    auto store = DynamoDbStore::open(table_, *api_);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
  }

  void put_item(const Json& item) {
    auto put = api_->call("PutItem", {{"TableName", table_}, {"Item", item}});
    ASSERT_TRUE(put) << put.error().code << ": " << put.error().message;
  }

  AccessRequest put_request(std::string id, State state, int created, std::optional<int> expires = std::nullopt) {
    AccessRequest r;
    r.id = std::move(id);
    r.version = 1;
    r.requester = r.id.starts_with("u2-") ? "U2" : "U1";
    r.account = "prod";
    r.role = r.id;
    r.created_at = kT0 + Seconds{created};
    r.updated_at = kT0 + Seconds{created + 1};
    r.state = state;
    if (expires) r.expires_at = kT0 + Seconds{*expires};
    put_item(dynamodb::request_item(r));
    return r;
  }

  static std::vector<std::string> ids(const Result<std::vector<AccessRequest>>& requests) {
    EXPECT_TRUE(requests) << requests.error().message;
    std::vector<std::string> out;
    if (requests)
      for (const auto& r : *requests) out.push_back(r.id);
    return out;
  }

  static inline testing::DynaliteServer* server_ = nullptr;
  static inline aws::AwsJsonApi* api_ = nullptr;
  static inline std::string start_error_;
  SystemClock real_time_;  // create_table waits for dynalite, another process
  std::string table_;
  std::unique_ptr<DynamoDbStore> store_;
};

TEST_F(DynamoDynalite, CreateTableIsIdempotentAndTheTableHasItsIndexes) {
  auto again = DynamoDbStore::create_table(table_, *api_, real_time_, {.time_to_live = false});
  EXPECT_TRUE(again) << again.error().message;
  auto described = dynamodb::describe_table(*api_, table_);
  ASSERT_TRUE(described) << described.error().message;
  EXPECT_EQ((*described)["GlobalSecondaryIndexes"].size(), std::size(dynamodb::kAllIndexes));
  EXPECT_TRUE(dynamodb::check_table_shape(*described, table_));
}

TEST_F(DynamoDynalite, MissingTableIsUnavailableNamingStoreInit) {
  auto store = DynamoDbStore::open("jit-no-such-table", *api_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::unavailable);
  EXPECT_THAT(store.error().message, HasSubstr("run `jit store init`"));
}

TEST_F(DynamoDynalite, EmptyTableReadsAsAnEmptyStore) {
  auto missing = store_->get_request("r-1");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  auto head = store_->audit_head();
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->seq, 0);
  EXPECT_EQ(head->hash, audit::kGenesisHash);
  EXPECT_TRUE(ids(store_->list_requests({})).empty());
  EXPECT_TRUE(ids(store_->holding_access(10)).empty());
  auto events = store_->audit_events({});
  ASSERT_TRUE(events) << events.error().message;
  EXPECT_TRUE(events->empty());
}

TEST_F(DynamoDynalite, GetReadsEveryFieldBack) {
  AccessRequest r = put_request("r-1", State::active, 0, 3600);
  r.decisions = {{.approver = "U2", .approved = true, .reason = "", .at = kT0 + Seconds{5}}};
  r.ticket = "";
  r.lease_until = kT0 + Seconds{9};
  put_item(dynamodb::request_item(r));
  auto got = store_->get_request("r-1");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, r);
}

TEST_F(DynamoDynalite, SweepsAndListsQueryTheIndexes) {
  put_request("due-10", State::active, 0, 990);
  put_request("due-now", State::active, 1, 1000);
  put_request("later", State::active, 2, 1001);
  put_request("granting", State::granting, 3, 500);
  put_request("revoking", State::revoking, 4, 2000);
  put_request("approved", State::approved, 5);
  put_request("u2-pending-old", State::pending, 6);
  put_request("u2-pending-new", State::pending, 30);
  put_request("revoked", State::revoked, 7, 100);

  using Ids = std::vector<std::string>;
  const TimePoint now = kT0 + Seconds{1000};
  EXPECT_EQ(ids(store_->expired_grants(now, 10)), (Ids{"due-10", "due-now"}));
  EXPECT_EQ(ids(store_->expired_grants(now, 1)), (Ids{"due-10"}));
  EXPECT_EQ(ids(store_->holding_access(10)), (Ids{"granting", "due-10", "due-now", "later", "revoking"}));
  EXPECT_EQ(ids(store_->holding_access(2)), (Ids{"granting", "due-10"}));
  EXPECT_EQ(ids(store_->in_flight(10)), (Ids{"granting", "revoking", "approved"}));  // by updated_at
  EXPECT_EQ(ids(store_->pending_before(kT0 + Seconds{30}, 10)), (Ids{"u2-pending-old"}));
  EXPECT_EQ(ids(store_->list_requests({.limit = 3})), (Ids{"u2-pending-new", "revoked", "u2-pending-old"}));
  EXPECT_EQ(ids(store_->list_requests({.requester = "U2"})), (Ids{"u2-pending-new", "u2-pending-old"}));
  EXPECT_EQ(ids(store_->list_requests({.states = {State::approved, State::revoked}})), (Ids{"revoked", "approved"}));
  EXPECT_TRUE(ids(store_->list_requests({.limit = 0})).empty());
}

TEST_F(DynamoDynalite, AuditEventsAndHeadReadBack) {
  AuditHead head{0, audit::kGenesisHash};
  std::vector<AuditEvent> written;
  for (int i = 0; i < 4; ++i) {
    AuditEvent e{.at = kT0 + Seconds{10 * i}, .actor = "system:test", .action = "tick"};
    audit::seal(e, head, audit::Keyring::unkeyed());
    head = {e.seq, e.hash};
    put_item(dynamodb::audit_event_item(e));
    written.push_back(e);
  }
  put_item(dynamodb::audit_head_item(head));

  auto all = store_->audit_events({});
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(*all, written);
  auto stored_head = store_->audit_head();
  ASSERT_TRUE(stored_head);
  EXPECT_TRUE(audit::verify(*all, *stored_head, audit::Keyring::unkeyed()).ok);
  auto some = store_->audit_events({.since = kT0 + Seconds{10}, .until = kT0 + Seconds{30}, .after_seq = 2, .limit = 5});
  ASSERT_TRUE(some) << some.error().message;
  ASSERT_EQ(some->size(), 1u);
  EXPECT_EQ((*some)[0].seq, 3);
}

}  // namespace
}  // namespace jit

namespace jit {
namespace {

// The dynalite of the Locks and StepUpStore contracts, started on first use and stopped when the tests end.
class LocksDynalite : public ::testing::Environment {
 public:
  void TearDown() override { server().reset(); }
  static std::unique_ptr<testing::DynaliteServer>& server() {
    static std::unique_ptr<testing::DynaliteServer> s;
    return s;
  }
  // The URL of the running dynalite; "" (and a test failure) when it cannot start.
  static std::string url() {
    static std::once_flag once;
    static std::string error;
    std::call_once(once, [] {
      auto started = testing::DynaliteServer::start();
      if (started) server() = std::make_unique<testing::DynaliteServer>(std::move(*started));
      else error = started.error().message;
    });
    if (!server()) ADD_FAILURE() << "cannot start dynalite: " << error;
    return server() ? server()->url() : "";
  }
};
[[maybe_unused]] const auto* const kLocksDynalite = ::testing::AddGlobalTestEnvironment(new LocksDynalite);

// A store with a client of its own on `table`: as another process would have.
std::unique_ptr<DynamoDbStore> own_client_store(const std::string& table, const Clock& clock) {
  const std::string url = LocksDynalite::url();
  if (url.empty()) return nullptr;
  std::shared_ptr<aws::AwsJsonApi> api = testing::checked_against_model(testing::dynamodb_client(url));
  auto store = DynamoDbStore::open(table, std::move(api), audit::Keyring::unkeyed(), &clock);
  if (!store) {
    ADD_FAILURE() << "open: " << store.error().message;
    return nullptr;
  }
  return std::move(*store);
}

// A fresh table on the shared dynalite (its name; the table is missing, and a test failed, when
// dynalite did not start).
std::string fresh_dynalite_table() {
  const std::string url = LocksDynalite::url();
  const std::string table = testing::fresh_table_name();
  if (!url.empty()) {
    auto api = testing::dynamodb_client(url);
    SystemClock real_time;  // create_table waits for dynalite, another process
    auto created = DynamoDbStore::create_table(
        table, *api, real_time,
        {.max_polls = 250, .poll_interval = std::chrono::milliseconds{20}, .time_to_live = false});
    EXPECT_TRUE(created) << created.error().message;
  }
  return table;
}

INSTANTIATE_TEST_SUITE_P(Dynalite, LocksContract, ::testing::Values(LocksBackend{"dynalite", [](const Clock& clock) {
                           const std::string table = fresh_dynalite_table();
                           return [table, &clock]() -> std::unique_ptr<Locks> {
                             return own_client_store(table, clock);
                           };
                         }}));

// The step-up items race for real here: every handle has its own client.
INSTANTIATE_TEST_SUITE_P(Dynalite, StepUpStoreContract, ::testing::Values(StepUpBackend{"dynalite", [] {
                           const std::string table = fresh_dynalite_table();
                           return [table]() -> std::shared_ptr<StepUpStore> {
                             static const SystemClock clock;
                             return own_client_store(table, clock);
                           };
                         }}));

}  // namespace
}  // namespace jit
