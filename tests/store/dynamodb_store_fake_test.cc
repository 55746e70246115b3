// DynamoDbStore's error mapping and retries, against a scripted AwsJsonApi: the cases an emulator
// cannot be made to produce on demand (throttling, lost head races, foreign cancellation reasons).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "fakes/manual_clock.h"
#include "store/dynamodb_api.h"
#include "store/dynamodb_store.h"

namespace jit {
namespace {

using dynamodb::Json;
using ::testing::HasSubstr;

// Answers each call with `handler`, and records the operations called.
class ScriptedApi final : public aws::AwsJsonApi {
 public:
  using Handler = std::function<std::expected<Json, aws::AwsError>(std::string_view, const Json&)>;
  explicit ScriptedApi(Handler handler) : handler_(std::move(handler)) {}

  std::expected<Json, aws::AwsError> call(std::string_view operation, const Json& input) override {
    std::lock_guard lock(mu_);
    calls_.emplace_back(operation);
    return handler_(operation, input);
  }
  int count(std::string_view operation) {
    std::lock_guard lock(mu_);
    return static_cast<int>(std::count(calls_.begin(), calls_.end(), operation));
  }

 private:
  Handler handler_;
  std::mutex mu_;
  std::vector<std::string> calls_;
};

std::unexpected<aws::AwsError> aws_error(std::string code, int status = 400, Json body = Json::object(),
                                         bool retryable = false) {
  return std::unexpected(aws::AwsError{.http_status = status,
                                       .code = "com.amazonaws.dynamodb.v20120810#" + code,
                                       .message = code + " message",
                                       .body = std::move(body),
                                       .retryable = retryable});
}

// A DescribeTable reply for a table with this store's shape, ACTIVE.
Json active_table() {
  Json table = dynamodb::create_table_input("t", true);
  table["TableStatus"] = "ACTIVE";
  for (auto& index : table["GlobalSecondaryIndexes"]) index["IndexStatus"] = "ACTIVE";
  return {{"Table", table}};
}

// Cancellation reasons: "None" except `failed` at the given positions.
Json cancelled(std::size_t size, std::vector<std::size_t> failed, Json item = nullptr) {
  Json reasons = Json::array();
  for (std::size_t i = 0; i < size; ++i) reasons.push_back({{"Code", "None"}});
  for (std::size_t i : failed) {
    reasons[i] = {{"Code", "ConditionalCheckFailed"}, {"Message", "The conditional request failed"}};
    if (!item.is_null()) reasons[i]["Item"] = item;
  }
  return {{"CancellationReasons", reasons}};
}

// Answers DescribeTable, GetItem (nothing) and hands TransactWriteItems to `transact`.
ScriptedApi::Handler table_with(std::function<std::expected<Json, aws::AwsError>(const Json&)> transact) {
  return [transact](std::string_view op, const Json& input) -> std::expected<Json, aws::AwsError> {
    if (op == "DescribeTable") return active_table();
    if (op == "GetItem") return Json::object();
    if (op == "TransactWriteItems") return transact(input);
    return aws_error("UnknownOperationException");
  };
}

std::unique_ptr<DynamoDbStore> open(ScriptedApi& api) {
  auto store = DynamoDbStore::open("t", api);
  EXPECT_TRUE(store) << store.error().message;
  return store ? std::move(*store) : nullptr;
}

AccessRequest pending(std::string id) {
  AccessRequest r;
  r.id = std::move(id);
  r.requester = "U1";
  r.account = "prod";
  r.role = "admin";
  return r;
}

const AuditEvent kSubmit{.actor = "U1", .action = "submit"};

TEST(DynamoStoreErrors, MissingTableSaysRunStoreInit) {
  ScriptedApi api([](std::string_view, const Json&) { return aws_error("ResourceNotFoundException"); });
  auto store = DynamoDbStore::open("jit-prod", api);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::unavailable);
  EXPECT_THAT(store.error().message, HasSubstr("table jit-prod does not exist: run `jit store init`"));
}

TEST(DynamoStoreErrors, StoreCanOwnItsClient) {
  auto api = std::make_shared<ScriptedApi>(table_with([](const Json&) { return Json::object(); }));
  std::weak_ptr<ScriptedApi> watch = api;
  auto store = DynamoDbStore::open("t", std::move(api));
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_FALSE(watch.expired());
  EXPECT_TRUE((*store)->append_audit({.actor = "system:test", .action = "tick"}));
  store->reset();
  EXPECT_TRUE(watch.expired());
}

TEST(DynamoStoreErrors, TableOfAnotherShapeIsInvalid) {
  ScriptedApi api([](std::string_view, const Json&) -> std::expected<Json, aws::AwsError> {
    Json table = active_table();
    table["Table"]["KeySchema"] = {{{"AttributeName", "id"}, {"KeyType", "HASH"}}};
    return table;
  });
  auto store = DynamoDbStore::open("t", api);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::invalid);
}

TEST(DynamoStoreErrors, ThrottlingAndServerErrorsAreUnavailableValidationIsInternal) {
  std::string next;
  ScriptedApi api([&](std::string_view op, const Json&) -> std::expected<Json, aws::AwsError> {
    if (op == "DescribeTable") return active_table();
    if (next == "throttle") return aws_error("ThrottlingException", 400, {}, true);
    if (next == "5xx") return aws_error("InternalServerError", 500, {}, true);
    if (next == "transport") return std::unexpected(aws::AwsError{.code = "Transport", .message = "refused"});
    return aws_error("ValidationException");
  });
  auto store = open(api);
  for (std::string kind : {"throttle", "5xx", "transport"}) {
    next = kind;
    auto got = store->get_request("r-1");
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, Errc::unavailable) << kind;
  }
  next = "validation";
  auto got = store->list_requests({});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::internal);
  EXPECT_THAT(got.error().message, HasSubstr("ValidationException message"));
}

TEST(DynamoStoreErrors, LostHeadRaceIsRetriedFromAFreshRead) {
  int attempts = 0;
  ScriptedApi api(table_with([&](const Json& input) -> std::expected<Json, aws::AwsError> {
    // request, lock, the extension slot's check, event, head: the head is the last item.
    if (++attempts < 3) return aws_error("TransactionCanceledException", 400, cancelled(input["TransactItems"].size(), {4}));
    return Json::object();
  }));
  auto store = open(api);
  auto created = store->create_request(pending("r-1"), kSubmit);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->version, 1);
  EXPECT_EQ(api.count("TransactWriteItems"), 3);
}

TEST(DynamoStoreErrors, EndlessHeadRaceEndsUnavailable) {
  ScriptedApi api(table_with([](const Json& input) {
    return aws_error("TransactionCanceledException", 400, cancelled(input["TransactItems"].size(), {1}));
  }));
  auto store = open(api);
  auto appended = store->append_audit({.actor = "system:test", .action = "tick"});
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().code, Errc::unavailable);
  EXPECT_EQ(api.count("TransactWriteItems"), DynamoDbStore::kMaxAttempts);
}

TEST(DynamoStoreErrors, LostRequestOrSlotRaceIsConflictAtOnce) {
  // The request failed together with the head: the request decides.
  ScriptedApi dup(table_with([](const Json& input) {
    return aws_error("TransactionCanceledException", 400, cancelled(input["TransactItems"].size(), {0, 4}));
  }));
  auto created = open(dup)->create_request(pending("r-1"), kSubmit);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, Errc::conflict);
  EXPECT_THAT(created.error().message, HasSubstr("request r-1 already exists"));
  EXPECT_EQ(dup.count("TransactWriteItems"), 1);

  ScriptedApi slot(table_with([](const Json& input) {
    return aws_error("TransactionCanceledException", 400,
                     cancelled(input["TransactItems"].size(), {1}, {{"request_id", {{"S", "r-0"}}}}));
  }));
  created = open(slot)->create_request(pending("r-1"), kSubmit);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, Errc::conflict);
  EXPECT_THAT(created.error().message, HasSubstr("U1 already has an open request (r-0)"));
}

TEST(DynamoStoreErrors, EventPastAHeldHeadIsCorruption) {
  ScriptedApi api(table_with([](const Json& input) {
    return aws_error("TransactionCanceledException", 400, cancelled(input["TransactItems"].size(), {0}));
  }));
  auto appended = open(api)->append_audit({.actor = "system:test", .action = "tick"});
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().code, Errc::internal);
  EXPECT_THAT(appended.error().message, HasSubstr("run audit verification"));
}

TEST(DynamoStoreErrors, TransactionsCarryATokenAndConditions) {
  Json seen;
  ScriptedApi api(table_with([&](const Json& input) -> std::expected<Json, aws::AwsError> {
    seen = input;
    return Json::object();
  }));
  ASSERT_TRUE(open(api)->create_request(pending("r-1"), kSubmit));
  EXPECT_EQ(seen["ClientRequestToken"].get<std::string>().size(), 32u);
  const Json& items = seen["TransactItems"];
  // request, lock, the extension slot's check, event, head (pending holds no access: no live grant)
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0]["Put"]["ConditionExpression"], "attribute_not_exists(pk)");
  EXPECT_EQ(items[1]["Put"]["Item"]["pk"]["S"], "OPEN#U1#prod#admin");
  // A fresh request enters the main slot only while no extension waits beside it.
  EXPECT_EQ(items[2]["ConditionCheck"]["Key"]["pk"]["S"], "OPEN#U1#prod#admin");
  EXPECT_EQ(items[2]["ConditionCheck"]["Key"]["sk"]["S"], "EXTEND");
  EXPECT_EQ(items[2]["ConditionCheck"]["ConditionExpression"], "attribute_not_exists(pk)");
  EXPECT_EQ(items[3]["Put"]["Item"]["sk"]["S"], "EVT#00000000000000000001");
  EXPECT_EQ(items[4]["Put"]["ConditionExpression"], "attribute_not_exists(pk)");  // the first head
}

TEST(DynamoStoreErrors, CreateTableIsIdempotent) {
  ScriptedApi api([](std::string_view op, const Json&) -> std::expected<Json, aws::AwsError> {
    if (op == "CreateTable") return aws_error("ResourceInUseException");
    if (op == "DescribeTable") return active_table();
    if (op == "DescribeTimeToLive")
      return Json{{"TimeToLiveDescription", {{"TimeToLiveStatus", "ENABLED"}, {"AttributeName", "ttl"}}}};
    return aws_error("UnexpectedCall");
  });
  ManualClock clock;
  auto created = DynamoDbStore::create_table("t", api, clock);
  EXPECT_TRUE(created) << created.error().message;
  EXPECT_EQ(api.count("UpdateTimeToLive"), 0);
}

TEST(DynamoStoreErrors, CreateTableGivesUpOnATableThatStaysCreating) {
  ScriptedApi api([](std::string_view op, const Json&) -> std::expected<Json, aws::AwsError> {
    if (op == "CreateTable") return Json::object();
    Json table = active_table();
    table["Table"]["TableStatus"] = "CREATING";
    return table;
  });
  ManualClock clock;
  auto created = DynamoDbStore::create_table("t", api, clock, {.max_polls = 3, .poll_interval = std::chrono::seconds{2}});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, Errc::unavailable);
  EXPECT_EQ(api.count("DescribeTable"), 3);
  EXPECT_EQ(clock.sleeps(), (std::vector<std::chrono::milliseconds>{std::chrono::seconds{2}, std::chrono::seconds{2}}));
}

}  // namespace
}  // namespace jit
