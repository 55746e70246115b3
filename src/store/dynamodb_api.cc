#include "store/dynamodb_api.h"

#include <fmt/format.h>

#include <algorithm>

namespace jit::dynamodb {

namespace {

bool is_one_of(std::string_view code, std::initializer_list<std::string_view> codes) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

}  // namespace

std::string error_code(const aws::AwsError& e) {
  const auto hash = e.code.rfind('#');
  return hash == std::string::npos ? e.code : e.code.substr(hash + 1);
}

Error to_error(const aws::AwsError& e, std::string_view table, std::string_view operation) {
  const std::string code = error_code(e);
  if (code == "ResourceNotFoundException")
    return Error::Unavailable(fmt::format("dynamodb {} on table {}: table {} does not exist: run `jit store init`",
                                          operation, table, table));
  if (is_one_of(code, {"ConditionalCheckFailedException", "TransactionCanceledException"}))
    return Error::Conflict(fmt::format("dynamodb {} on table {}: a condition failed: {}", operation, table, e.message));
  if (e.retryable || e.http_status == 0 || e.http_status >= 500 ||
      is_one_of(code, {"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
                       "InternalServerError", "ServiceUnavailable", "TransactionInProgressException", "Transport"}))
    return Error::Unavailable(
        fmt::format("dynamodb {} on table {}: {} ({}): try again later", operation, table, code, e.message));
  if (is_one_of(code, {"AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
                       "ExpiredTokenException", "MissingAuthenticationTokenException", "IncompleteSignatureException"}))
    return Error::Unavailable(fmt::format("dynamodb {} on table {}: {} ({}): check the AWS credentials and their "
                                          "permissions on the table",
                                          operation, table, code, e.message));
  return Error::Internal(fmt::format("dynamodb {} on table {}: {}: {}", operation, table, code, e.message));
}

Result<std::optional<Json>> get_item(aws::AwsJsonApi& api, const std::string& table, const Json& key) {
  auto out = api.call("GetItem", {{"TableName", table}, {"Key", key}, {"ConsistentRead", true}});
  if (!out) return fail(to_error(out.error(), table, "GetItem"));
  if (!out->contains("Item")) return std::nullopt;
  return std::optional<Json>((*out)["Item"]);
}

Result<std::vector<Json>> query(aws::AwsJsonApi& api, const std::string& table, const QuerySpec& spec) {
  // Without a filter, Limit asks for exactly what is missing; with one, DynamoDB applies Limit
  // before the filter, so pages are left at their natural size.
  constexpr std::size_t kMaxPage = 1000;
  std::vector<Json> items;
  if (spec.limit == 0) return items;
  Json input = {{"TableName", table},
                {"KeyConditionExpression", spec.key_condition},
                {"ExpressionAttributeValues", spec.values},
                {"ScanIndexForward", spec.forward}};
  if (spec.index) input["IndexName"] = std::string(spec.index->name);
  if (!spec.names.empty()) input["ExpressionAttributeNames"] = spec.names;
  if (!spec.filter.empty()) input["FilterExpression"] = spec.filter;
  if (spec.consistent) input["ConsistentRead"] = true;
  for (;;) {
    const std::size_t missing = spec.limit - items.size();
    if (spec.filter.empty() && missing <= kMaxPage) input["Limit"] = missing;
    auto out = api.call("Query", input);
    if (!out) return fail(to_error(out.error(), table, "Query"));
    if (out->contains("Items"))
      for (auto& item : (*out)["Items"]) {
        items.push_back(std::move(item));
        if (items.size() == spec.limit) return items;
      }
    if (!out->contains("LastEvaluatedKey")) return items;
    input["ExclusiveStartKey"] = (*out)["LastEvaluatedKey"];
  }
}

Json create_table_input(const std::string& table, bool server_side_encryption) {
  Json attributes = Json::array();
  attributes.push_back({{"AttributeName", kPartitionKey}, {"AttributeType", "S"}});
  attributes.push_back({{"AttributeName", kSortKey}, {"AttributeType", "S"}});
  Json indexes = Json::array();
  for (const IndexSpec& index : kAllIndexes) {
    attributes.push_back({{"AttributeName", index.partition_key}, {"AttributeType", "S"}});
    attributes.push_back({{"AttributeName", index.sort_key}, {"AttributeType", "S"}});
    indexes.push_back({{"IndexName", index.name},
                       {"KeySchema",
                        {{{"AttributeName", index.partition_key}, {"KeyType", "HASH"}},
                         {{"AttributeName", index.sort_key}, {"KeyType", "RANGE"}}}},
                       {"Projection", {{"ProjectionType", "ALL"}}}});
  }
  Json input = {{"TableName", table},
                {"AttributeDefinitions", attributes},
                {"KeySchema",
                 {{{"AttributeName", kPartitionKey}, {"KeyType", "HASH"}},
                  {{"AttributeName", kSortKey}, {"KeyType", "RANGE"}}}},
                {"GlobalSecondaryIndexes", indexes},
                {"BillingMode", "PAY_PER_REQUEST"}};
  if (server_side_encryption) input["SSESpecification"] = {{"Enabled", true}};
  return input;
}

namespace {

// Whether `schema` (a KeySchema array) is exactly HASH `hash`, RANGE `range`.
bool has_key_schema(const Json& schema, std::string_view hash, std::string_view range) {
  if (!schema.is_array() || schema.size() != 2) return false;
  bool hash_ok = false, range_ok = false;
  for (const Json& k : schema) {
    const std::string name = k.value("AttributeName", ""), type = k.value("KeyType", "");
    hash_ok |= type == "HASH" && name == hash;
    range_ok |= type == "RANGE" && name == range;
  }
  return hash_ok && range_ok;
}

}  // namespace

Result<> check_table_shape(const Json& description, const std::string& table) {
  if (!has_key_schema(description.value("KeySchema", Json::array()), kPartitionKey, kSortKey))
    return fail(Error::Invalid(fmt::format(
        "dynamodb table {} does not have the key this store needs (pk HASH, sk RANGE, both strings): "
        "use another table name, or create it with `jit store init` (deploy/dynamodb-table.yaml)",
        table)));
  const Json indexes = description.value("GlobalSecondaryIndexes", Json::array());
  for (const IndexSpec& wanted : kAllIndexes) {
    const bool found = std::any_of(indexes.begin(), indexes.end(), [&](const Json& index) {
      return index.value("IndexName", "") == wanted.name &&
             has_key_schema(index.value("KeySchema", Json::array()), wanted.partition_key, wanted.sort_key);
    });
    if (!found)
      return fail(Error::Invalid(fmt::format(
          "dynamodb table {} lacks the global secondary index {} ({} HASH, {} RANGE): add it (see "
          "deploy/dynamodb-table.yaml) or create a new table with `jit store init`",
          table, wanted.name, wanted.partition_key, wanted.sort_key)));
  }
  return {};
}

Result<Json> describe_table(aws::AwsJsonApi& api, const std::string& table) {
  auto out = api.call("DescribeTable", {{"TableName", table}});
  if (!out) return fail(to_error(out.error(), table, "DescribeTable"));
  if (!out->contains("Table") || !(*out)["Table"].is_object())
    return fail(Error::Internal(fmt::format("dynamodb DescribeTable on table {}: the reply has no Table", table)));
  return (*out)["Table"];
}

bool table_is_active(const Json& description) {
  if (description.value("TableStatus", "") != "ACTIVE") return false;
  for (const Json& index : description.value("GlobalSecondaryIndexes", Json::array()))
    if (index.value("IndexStatus", "ACTIVE") != "ACTIVE") return false;
  return true;
}

}  // namespace jit::dynamodb

namespace jit {

Result<> DynamoDbStore::create_table(const std::string& table, aws::AwsJsonApi& api, const Clock& clock,
                                     const DynamoDbTableOptions& options) {
  using namespace dynamodb;
  if (auto created = api.call("CreateTable", create_table_input(table, true));
      !created && error_code(created.error()) != "ResourceInUseException")  // it exists already: fine
    return fail(to_error(created.error(), table, "CreateTable"));

  Json description;
  for (int poll = 0;; ++poll) {
    auto described = describe_table(api, table);
    if (!described) return fail(described.error());
    description = std::move(*described);
    if (table_is_active(description)) break;
    if (poll + 1 >= options.max_polls)
      return fail(Error::Unavailable(fmt::format(
          "dynamodb table {} is still {} after {} checks: run `jit store init` again later", table,
          description.value("TableStatus", "not active"), options.max_polls)));
    clock.sleep_for(options.poll_interval);
  }
  if (auto shape = check_table_shape(description, table); !shape) return fail(shape.error());
  if (!options.time_to_live) return {};

  auto ttl = api.call("DescribeTimeToLive", {{"TableName", table}});
  if (!ttl) return fail(to_error(ttl.error(), table, "DescribeTimeToLive"));
  const Json status = ttl->value("TimeToLiveDescription", Json::object());
  const std::string ttl_status = status.value("TimeToLiveStatus", "DISABLED");
  if (ttl_status == "ENABLED" || ttl_status == "ENABLING") {
    if (status.value("AttributeName", "") == kTtlAttribute) return {};
    return fail(Error::Invalid(fmt::format(
        "dynamodb table {} has TTL on attribute {}, but this store expires live grants by `{}`: "
        "disable TTL on the table, wait for it to be disabled, and run `jit store init` again",
        table, status.value("AttributeName", ""), kTtlAttribute)));
  }
  auto enabled = api.call("UpdateTimeToLive",
                          {{"TableName", table},
                           {"TimeToLiveSpecification", {{"Enabled", true}, {"AttributeName", kTtlAttribute}}}});
  if (!enabled) return fail(to_error(enabled.error(), table, "UpdateTimeToLive"));
  return {};
}

Result<std::unique_ptr<DynamoDbStore>> DynamoDbStore::open(std::string table, aws::AwsJsonApi& api, audit::Keyring keys,
                                                            const Clock* clock) {
  using namespace dynamodb;
  auto description = describe_table(api, table);
  if (!description) return fail(description.error());
  if (!table_is_active(*description))
    return fail(Error::Unavailable(fmt::format("dynamodb table {} is {}, not ACTIVE yet: try again in a minute",
                                               table, description->value("TableStatus", "not active"))));
  if (auto shape = check_table_shape(*description, table); !shape) return fail(shape.error());
  return std::unique_ptr<DynamoDbStore>(new DynamoDbStore(std::move(table), api, nullptr, std::move(keys), clock));
}

Result<std::unique_ptr<DynamoDbStore>> DynamoDbStore::open(std::string table, std::shared_ptr<aws::AwsJsonApi> api,
                                                            audit::Keyring keys, const Clock* clock) {
  if (!api) return fail(Error::Invalid("DynamoDbStore::open: no AWS client given"));
  auto store = open(std::move(table), *api, std::move(keys), clock);
  if (!store) return fail(store.error());
  (*store)->owned_api_ = std::move(api);
  return store;
}

}  // namespace jit
