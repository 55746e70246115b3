// The DynamoDB calls DynamoDbStore makes, over aws::AwsJsonApi: error mapping, GetItem, paginated
// Query, and the table's definition (CreateTable, DescribeTable checks, TTL).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/json_api.h"
#include "core/error.h"
#include "store/dynamodb_items.h"
#include "store/dynamodb_store.h"

namespace jit::dynamodb {

// "ConditionalCheckFailedException" from either that or
// "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException".
std::string error_code(const aws::AwsError& e);

// The Error for a failed call of `operation` on `table` (see DynamoDbStore for the mapping).
Error to_error(const aws::AwsError& e, std::string_view table, std::string_view operation);

// The item with `key`, read strongly consistently; nullopt when there is none.
Result<std::optional<Json>> get_item(aws::AwsJsonApi& api, const std::string& table, const Json& key);

struct QuerySpec {
  std::optional<IndexSpec> index;  // nullopt: the table itself
  std::string key_condition;       // KeyConditionExpression
  std::string filter;              // FilterExpression ("" for none)
  Json names = Json::object();     // ExpressionAttributeNames
  Json values = Json::object();    // ExpressionAttributeValues
  bool forward = true;             // ScanIndexForward
  bool consistent = false;         // ConsistentRead (the table only: indexes are eventually consistent)
  std::size_t limit = 0;           // items wanted; 0 returns nothing without a call
};

// Up to spec.limit items, following LastEvaluatedKey as long as more are wanted.
Result<std::vector<Json>> query(aws::AwsJsonApi& api, const std::string& table, const QuerySpec& spec);

// The CreateTable input for `table` (exposed for tests and for deploy/dynamodb-table.yaml's checks).
Json create_table_input(const std::string& table, bool server_side_encryption);

// Errc::invalid when DescribeTable's `Table` lacks this store's key or one of its indexes.
Result<> check_table_shape(const Json& description, const std::string& table);

// DescribeTable's `Table`; Errc::unavailable (with the `jit store init` hint) when it is missing.
Result<Json> describe_table(aws::AwsJsonApi& api, const std::string& table);

// Whether the table and all its indexes are ACTIVE.
bool table_is_active(const Json& description);

}  // namespace jit::dynamodb
