#include "app/store_url.h"

#include <fmt/format.h>

#include "app/aws_services.h"
#include "store/dynamodb_store.h"
#include "store/sqlite_store.h"

namespace jit {

Result<StoreUrl> parse_store_url(std::string_view url) {
  if (url.starts_with("sqlite:")) {
    if (url.size() == 7)
      return fail(Error::Invalid("store URL \"sqlite:\" has no path: use sqlite:PATH, e.g. sqlite:jit.db"));
    return StoreUrl{StoreUrl::Kind::sqlite, std::string(url.substr(7))};
  }
  if (url.starts_with("dynamodb:")) {
    if (url.size() == 9)
      return fail(Error::Invalid("store URL \"dynamodb:\" has no table name: use dynamodb:TABLE, e.g. dynamodb:jit"));
    return StoreUrl{StoreUrl::Kind::dynamodb, std::string(url.substr(9))};
  }
  return fail(Error::Invalid(
      fmt::format("store URL \"{}\": expected sqlite:PATH (e.g. sqlite:jit.db) or dynamodb:TABLE", url)));
}

namespace {
Error no_aws(std::string_view url) {
  return Error::Internal(fmt::format("store {}: the AWS clients were not made before opening it", url));
}
}  // namespace

Result<std::unique_ptr<Store>> open_store(std::string_view url, std::shared_ptr<AwsServices> aws,
                                          const audit::Keyring& keys) {
  auto parsed = parse_store_url(url);
  if (!parsed) return fail(parsed.error());
  if (parsed->kind == StoreUrl::Kind::sqlite) {
    auto store = SqliteStore::open(parsed->name, keys);
    if (!store) return fail(store.error());
    return std::unique_ptr<Store>(std::move(*store));
  }
  if (!aws) return fail(no_aws(url));
  auto store = DynamoDbStore::open(parsed->name, AwsServices::dynamodb_handle(std::move(aws)), keys);
  if (!store) return fail(store.error());
  return std::unique_ptr<Store>(std::move(*store));
}

Result<std::string> init_store(std::string_view url, std::shared_ptr<AwsServices> aws) {
  auto parsed = parse_store_url(url);
  if (!parsed) return fail(parsed.error());
  if (parsed->kind == StoreUrl::Kind::sqlite) {
    auto store = SqliteStore::open(parsed->name);
    if (!store) return fail(store.error());
    return fmt::format("SQLite store {} is ready", parsed->name);
  }
  if (!aws) return fail(no_aws(url));
  if (auto created = DynamoDbStore::create_table(parsed->name, aws->dynamodb(), aws->clock()); !created)
    return fail(created.error());
  return fmt::format("DynamoDB table {} is ready (region {}): indexes active, TTL on attribute ttl", parsed->name,
                     aws->region());
}

}  // namespace jit
