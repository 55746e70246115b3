// DynamoDbStore against moto_server (started by this test process on a free loopback port, one
// fresh table per test): the whole Store contract, the table's setup, the items it writes, and
// those items as Debian's awscli v2 sees them.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <mutex>
#include <thread>

#include "contract/locks_contract.h"
#include "contract/step_up_store_contract.h"
#include "contract/store_contract.h"
#include "audit/chain.h"
#include "store/dynamodb_api.h"
#include "store/dynamodb_items.h"
#include "store/dynamodb_peers.h"
#include "store/dynamodb_store.h"
#include "support/moto.h"

namespace jit {
namespace {

using dynamodb::Json;
using ::testing::HasSubstr;

const TimePoint kT0 = from_epoch(1'700'000'000);

// The moto_server of this test process and a client for it, started on first use and stopped
// when the tests end. A missing moto_server fails every test that needs it, naming the fix.
struct Moto {
  testing::MotoServer server;
  std::unique_ptr<aws::AwsJsonApi> api;
};

class MotoEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { instance().reset(); }

  static std::unique_ptr<Moto>& instance() {
    static std::unique_ptr<Moto> moto;
    return moto;
  }
  static std::string& start_error() {
    static std::string error;
    return error;
  }
};
[[maybe_unused]] const auto* const kMotoEnvironment = ::testing::AddGlobalTestEnvironment(new MotoEnvironment);

Moto* moto() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto server = testing::MotoServer::start();
    if (!server) {
      MotoEnvironment::start_error() = server.error().message;
      return;
    }
    auto api = testing::one_call_at_a_time(testing::checked_against_model(testing::dynamodb_client(server->url())));
    MotoEnvironment::instance() = std::make_unique<Moto>(Moto{std::move(*server), std::move(api)});
  });
  if (!MotoEnvironment::instance()) ADD_FAILURE() << "cannot start moto_server: " << MotoEnvironment::start_error();
  return MotoEnvironment::instance().get();
}

aws::AwsJsonApi* moto_api() {
  Moto* m = moto();
  return m != nullptr ? m->api.get() : nullptr;
}

// A new table with this store's shape, and the store on it.
std::unique_ptr<DynamoDbStore> fresh_store(std::string* table_name = nullptr,
                                           const audit::Keyring& keys = audit::Keyring::unkeyed()) {
  aws::AwsJsonApi* api = moto_api();
  if (api == nullptr) return nullptr;
  const std::string table = testing::fresh_table_name();
  SystemClock real_time;  // create_table waits for moto_server, another process
  if (auto created = DynamoDbStore::create_table(table, *api, real_time); !created) {
    ADD_FAILURE() << "create_table: " << created.error().message;
    return nullptr;
  }
  auto store = DynamoDbStore::open(table, *api, keys);
  if (!store) {
    ADD_FAILURE() << "open: " << store.error().message;
    return nullptr;
  }
  if (table_name) *table_name = table;
  return std::move(*store);
}

INSTANTIATE_TEST_SUITE_P(Moto, StoreContract,
                         ::testing::Values(StoreBackend{"moto", [](const audit::Keyring& keys) -> std::unique_ptr<Store> {
                           return fresh_store(nullptr, keys);
                         }}));

// Each handle is a store of its own on one fresh table (moto_server's calls are serialized: see
// one_call_at_a_time; dynalite below races them for real).
INSTANTIATE_TEST_SUITE_P(Moto, LocksContract, ::testing::Values(LocksBackend{"moto", [](const Clock& clock) {
                           std::string table;
                           auto first = fresh_store(&table);
                           return [table, &clock]() -> std::unique_ptr<Locks> {
                             aws::AwsJsonApi* api = moto_api();
                             if (api == nullptr || table.empty()) return nullptr;
                             auto store = DynamoDbStore::open(table, *api, audit::Keyring::unkeyed(), &clock);
                             if (!store) {
                               ADD_FAILURE() << "open: " << store.error().message;
                               return nullptr;
                             }
                             return std::move(*store);
                           };
                         }}));

// The step-up items, each handle a store of its own on one fresh table.
INSTANTIATE_TEST_SUITE_P(Moto, StepUpStoreContract, ::testing::Values(StepUpBackend{"moto", [] {
                           std::string table;
                           auto first = fresh_store(&table);
                           return [table]() -> std::shared_ptr<StepUpStore> {
                             aws::AwsJsonApi* api = moto_api();
                             if (api == nullptr || table.empty()) return nullptr;
                             auto store = DynamoDbStore::open(table, *api);
                             if (!store) {
                               ADD_FAILURE() << "open: " << store.error().message;
                               return nullptr;
                             }
                             return std::move(*store);
                           };
                         }}));

AccessRequest request(std::string id, State state) {
  AccessRequest r;
  r.id = std::move(id);
  r.requester = "U1";
  r.account = "prod";
  r.account_id = "123456789012";
  r.role = "admin";
  r.created_at = r.updated_at = kT0;
  r.state = state;
  if (holds_access(state)) r.expires_at = kT0 + Seconds{3600};
  return r;
}

AuditEvent event_for(const AccessRequest& r) {
  return {.at = r.updated_at, .actor = "U1", .action = "edit", .request_id = r.id,
          .to_state = std::string(state_name(r.state))};
}

// The item at `key`, or nullopt.
std::optional<Json> item_at(const std::string& table, const Json& key) {
  auto item = dynamodb::get_item(*moto_api(), table, key);
  EXPECT_TRUE(item) << item.error().message;
  return item ? *item : std::nullopt;
}

// `api`, running `before` once, just ahead of the first call of `operation` whose key's pk starts
// with `pk_prefix`: to put another writer's change between two calls of the store.
class InterleavingApi : public aws::AwsJsonApi {
 public:
  InterleavingApi(aws::AwsJsonApi& api, std::string operation, std::string pk_prefix, std::function<void()> before)
      : api_(api), operation_(std::move(operation)), pk_prefix_(std::move(pk_prefix)), before_(std::move(before)) {}
  std::expected<Json, aws::AwsError> call(std::string_view operation, const Json& input) override {
    const std::string pk = input.value("Key", Json::object()).value("pk", Json::object()).value("S", "");
    if (before_ && operation == operation_ && pk.starts_with(pk_prefix_)) std::exchange(before_, nullptr)();
    return api_.call(operation, input);
  }

 private:
  aws::AwsJsonApi& api_;
  std::string operation_, pk_prefix_;
  std::function<void()> before_;
};

// The user enrols a credential again while a removal of it is between its two deletes: the new
// enrolment keeps its claim, so it is found (before the claim carried a token, the removal's
// claim delete, conditioned on the user only, took the new enrolment's claim and find said
// not_found while credentials_of listed it).
TEST(DynamoMoto, AnEnrolmentRacingARemovalOfTheSameCredentialKeepsItsClaim) {
  std::string table;
  auto store = fresh_store(&table);
  ASSERT_NE(store, nullptr);
  const WebAuthnCredential c{.credential_id = "cred-1", .user_id = "U1", .public_key = "k", .created_at = kT0};
  ASSERT_TRUE(store->add_credential(c));
  InterleavingApi interleaved(*moto_api(), "DeleteItem", "WEBAUTHN#", [&] {
    auto again = store->add_credential(c);  // through the plain client: the removal waits meanwhile
    EXPECT_TRUE(again) << again.error().message;
  });
  auto remover = DynamoDbStore::open(table, interleaved);
  ASSERT_TRUE(remover) << remover.error().message;
  ASSERT_TRUE((*remover)->remove_credential("U1", "cred-1"));
  auto found = store->find_credential("cred-1");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(*found, c);
  EXPECT_EQ(store->credentials_of("U1").value().size(), 1u);
}

TEST(DynamoMoto, CreateTableIsIdempotentAndTurnsTtlOn) {
  std::string table;
  ASSERT_NE(fresh_store(&table), nullptr);
  auto again = DynamoDbStore::create_table(table, *moto_api(), SystemClock());
  EXPECT_TRUE(again) << again.error().message;
  auto ttl = moto_api()->call("DescribeTimeToLive", {{"TableName", table}});
  ASSERT_TRUE(ttl) << ttl.error().message;
  EXPECT_EQ((*ttl)["TimeToLiveDescription"]["TimeToLiveStatus"], "ENABLED");
  EXPECT_EQ((*ttl)["TimeToLiveDescription"]["AttributeName"], "ttl");
  auto described = dynamodb::describe_table(*moto_api(), table);
  ASSERT_TRUE(described);
  EXPECT_EQ((*described)["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
}

TEST(DynamoMoto, RequestsAreCheckedAgainstTheModel) {
  ASSERT_NE(moto_api(), nullptr);
  EXPECT_NONFATAL_FAILURE(
      {
        auto got = moto_api()->call("Query", {{"TableName", "t"}, {"ScanIndexForward", "yes"}, {"Bogus", 1}});
        EXPECT_FALSE(got);
      },
      "Query: unknown member Bogus");
}

TEST(DynamoMoto, MissingTableIsUnavailableNamingStoreInit) {
  ASSERT_NE(moto_api(), nullptr);
  auto store = DynamoDbStore::open("jit-no-such-table", *moto_api());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::unavailable);
  EXPECT_THAT(store.error().message, HasSubstr("table jit-no-such-table does not exist: run `jit store init`"));
}

// Issue 13's full rewrite on DynamoDB, by someone who may write the table but cannot read the audit
// key: event 3 edited, it and every later event resealed with the unkeyed compute, the head item
// moved, all with plain PutItem. Read back through the Store port, the trail verifies when the
// store was unkeyed (the "before") and is caught at event 3 when it was keyed.
void rewrite_table_from(aws::AwsJsonApi& api, const std::string& table, std::vector<AuditEvent> events,
                        std::int64_t first) {
  AuditHead head{0, audit::kGenesisHash};
  for (AuditEvent& e : events) {
    if (e.seq >= first) {
      if (e.seq == first) e.detail = "nothing to see here";
      audit::seal(e, head, audit::Keyring::unkeyed());
      auto put = api.call("PutItem", {{"TableName", table}, {"Item", dynamodb::audit_event_item(e)}});
      ASSERT_TRUE(put) << put.error().message;
    }
    head = {e.seq, e.hash};
  }
  auto put = api.call("PutItem", {{"TableName", table}, {"Item", dynamodb::audit_head_item(head)}});
  ASSERT_TRUE(put) << put.error().message;
}

TEST(DynamoMoto, FullRewriteWithUnkeyedHashesIsCaughtOnlyWhenTheTrailIsKeyed) {
  const auto keys = audit::Keyring::parse_env("k1:" + std::string(64, 'c'), "test").value();
  for (const bool keyed : {false, true}) {
    std::string table;
    auto store = fresh_store(&table, keyed ? keys : audit::Keyring::unkeyed());
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(store->append_audit({.at = kT0 + Seconds{i}, .actor = "system:test", .action = "tick",
                                       .detail = "event " + std::to_string(i)}));
    auto events = store->audit_events({});
    ASSERT_TRUE(events) << events.error().message;
    rewrite_table_from(*moto_api(), table, *events, 3);

    auto read = store->audit_events({});
    auto head = store->audit_head();
    ASSERT_TRUE(read && head);
    ASSERT_EQ(read->at(2).detail, "nothing to see here");
    const auto report = audit::verify(*read, *head, keyed ? keys : audit::Keyring::unkeyed());
    if (!keyed) {
      EXPECT_TRUE(report.ok) << "before keys, a rewrite goes unnoticed: " << report.problem;
      continue;
    }
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.first_bad_seq, 3);
    EXPECT_THAT(report.problem, HasSubstr("event 3 is not keyed but follows keyed event 2"));
  }
}

TEST(DynamoMoto, LockAndLiveGrantItemsFollowTheRequest) {
  std::string table;
  auto store = fresh_store(&table);
  ASSERT_NE(store, nullptr);
  AccessRequest r = request("r-1", State::granting);
  r = *store->create_request(r, event_for(r));
  auto grant = item_at(table, dynamodb::live_grant_key("r-1"));
  ASSERT_TRUE(grant);
  EXPECT_EQ((*grant)["ttl"]["N"], std::to_string(epoch_seconds(*r.expires_at)));
  EXPECT_TRUE(item_at(table, dynamodb::open_lock_key(r)));

  r.state = State::active;
  r = *store->update_request(r, event_for(r));
  EXPECT_EQ((*item_at(table, dynamodb::live_grant_key("r-1")))["state"]["S"], "active");

  r.state = State::revoked;
  ASSERT_TRUE(store->update_request(r, event_for(r)));
  EXPECT_FALSE(item_at(table, dynamodb::live_grant_key("r-1")));
  EXPECT_FALSE(item_at(table, dynamodb::open_lock_key(r)));
  EXPECT_TRUE(item_at(table, dynamodb::request_key("r-1")));  // the history stays
}

TEST(DynamoMoto, ChangingRequesterMovesTheOpenSlot) {
  std::string table;
  auto store = fresh_store(&table);
  ASSERT_NE(store, nullptr);
  AccessRequest r = request("r-1", State::pending);
  r = *store->create_request(r, event_for(r));
  const Json old_lock = dynamodb::open_lock_key(r);
  r.requester = "U2";
  r = *store->update_request(r, event_for(r));
  EXPECT_FALSE(item_at(table, old_lock));
  EXPECT_TRUE(item_at(table, dynamodb::open_lock_key(r)));
  // The old slot is free again; the new one is taken.
  AccessRequest other = request("r-2", State::pending);
  EXPECT_TRUE(store->create_request(other, event_for(other)));
  other = request("r-3", State::pending);
  other.requester = "U2";
  EXPECT_EQ(store->create_request(other, event_for(other)).error().code, Errc::conflict);
}

// Runs /usr/bin/aws (Debian's awscli v2; an `aws` earlier on PATH may be another version) and
// returns what it printed, waiting (polling, bounded) for it to exit.
std::string run_awscli(const std::vector<std::string>& args) {
  const std::string aws = "/usr/bin/aws";
  if (!std::filesystem::exists(aws)) {
    ADD_FAILURE() << aws << " is missing: install Debian's awscli (scripts/setup does)";
    return {};
  }
  std::vector<std::string> argv = {aws};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string output = fmt::format("{}/awscli-{}.out", ::testing::TempDir(), ::getpid());
  auto process = ChildProcess::spawn(argv, {.env = {{"AWS_ACCESS_KEY_ID", "AKIDTEST"},
                                                    {"AWS_SECRET_ACCESS_KEY", "secret"},
                                                    {"AWS_SESSION_TOKEN", ""},
                                                    {"AWS_DEFAULT_REGION", "us-east-1"},
                                                    {"AWS_REGION", "us-east-1"},
                                                    {"AWS_PAGER", ""},
                                                    {"AWS_CONFIG_FILE", "/dev/null"},
                                                    {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"}},
                                            .output_file = output});
  if (!process) {
    ADD_FAILURE() << process.error().message;
    return {};
  }
  (*process)->wait_exit(std::chrono::seconds(60));
  const int status = (*process)->stop();
  std::ifstream in(output);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(status, 0) << "aws " << fmt::format("{}", fmt::join(args, " ")) << ":\n" << text.str();
  return text.str();
}

TEST(DynamoAwscli, ScanShowsTtlOnTheLiveGrantAndNoneOnAuditItems) {
  std::string table;
  auto store = fresh_store(&table);
  ASSERT_NE(store, nullptr);
  AccessRequest live = request("r-live", State::active);
  ASSERT_TRUE(store->create_request(live, event_for(live)));
  AccessRequest ended = request("r-ended", State::revoked);
  ended.requester = "U2";
  ASSERT_TRUE(store->create_request(ended, event_for(ended)));
  ASSERT_TRUE(store->append_audit({.at = kT0, .actor = "system:test", .action = "tick"}));

  const std::string text = run_awscli({"dynamodb", "scan", "--table-name", table, "--endpoint-url",
                                       moto()->server.url(), "--output", "json"});
  const Json scan = Json::parse(text, nullptr, false);
  ASSERT_TRUE(scan.is_object() && scan.contains("Items")) << text;
  int grants = 0, events = 0, requests = 0, request_events = 0;
  for (const Json& item : scan["Items"]) {
    const std::string pk = item["pk"]["S"], sk = item["sk"]["S"];
    if (pk.starts_with("GRANT#")) {
      ++grants;
      EXPECT_EQ(pk, "GRANT#r-live");
      ASSERT_TRUE(item.contains("ttl")) << item.dump();
      EXPECT_EQ(item["ttl"]["N"], std::to_string(epoch_seconds(*live.expires_at)));
    } else {
      EXPECT_FALSE(item.contains("ttl")) << item.dump();
    }
    if (pk == "AUDIT" && sk.starts_with("EVT#")) ++events;
    if (pk.starts_with("REQ#") && sk == "REQ") ++requests;
    if (pk.starts_with("REQ#") && sk.starts_with("EVT#")) ++request_events;  // each request's copy
  }
  EXPECT_EQ(grants, 1);
  EXPECT_EQ(events, 3);
  EXPECT_EQ(requests, 2);
  EXPECT_EQ(request_events, 2);  // the two submits; the tick is about no request
}

}  // namespace
}  // namespace jit
