#include "app/store_url.h"

#include <fmt/format.h>

#include "app/aws_services.h"
#include "store/dynamodb_store.h"
#include "store/sqlite_store.h"

namespace jit {

namespace {

struct ParsedUrl {
  enum class Kind { sqlite, dynamodb } kind;
  std::string name;  // path or table
};

Result<ParsedUrl> parse(std::string_view url) {
  if (url.starts_with("sqlite:")) {
    if (url.size() == 7)
      return fail(Error::Invalid("store URL \"sqlite:\" has no path: use sqlite:PATH, e.g. sqlite:jit.db"));
    return ParsedUrl{ParsedUrl::Kind::sqlite, std::string(url.substr(7))};
  }
  if (url.starts_with("dynamodb:")) {
    if (url.size() == 9)
      return fail(Error::Invalid("store URL \"dynamodb:\" has no table name: use dynamodb:TABLE, e.g. dynamodb:jit"));
    return ParsedUrl{ParsedUrl::Kind::dynamodb, std::string(url.substr(9))};
  }
  return fail(Error::Invalid(
      fmt::format("store URL \"{}\": expected sqlite:PATH (e.g. sqlite:jit.db) or dynamodb:TABLE", url)));
}

}  // namespace

Result<std::unique_ptr<Store>> open_store(std::string_view url, const AwsSettings& aws,
                                          std::shared_ptr<AwsServices> services) {
  auto parsed = parse(url);
  if (!parsed) return fail(parsed.error());
  if (parsed->kind == ParsedUrl::Kind::sqlite) {
    auto store = SqliteStore::open(parsed->name);
    if (!store) return fail(store.error());
    return std::unique_ptr<Store>(std::move(*store));
  }
  if (!services) {
    auto created = AwsServices::create(aws);
    if (!created) return fail(created.error());
    services = *created;
  }
  auto store = DynamoDbStore::open(parsed->name, AwsServices::dynamodb_handle(std::move(services)));
  if (!store) return fail(store.error());
  return std::unique_ptr<Store>(std::move(*store));
}

Result<std::string> init_store(std::string_view url, const AwsSettings& aws) {
  auto parsed = parse(url);
  if (!parsed) return fail(parsed.error());
  if (parsed->kind == ParsedUrl::Kind::sqlite) {
    auto store = SqliteStore::open(parsed->name);
    if (!store) return fail(store.error());
    return fmt::format("SQLite store {} is ready", parsed->name);
  }
  auto services = AwsServices::create(aws);
  if (!services) return fail(services.error());
  if (auto created = DynamoDbStore::create_table(parsed->name, (*services)->dynamodb()); !created)
    return fail(created.error());
  return fmt::format("DynamoDB table {} is ready (region {}): indexes active, TTL on attribute ttl", parsed->name,
                     (*services)->region());
}

}  // namespace jit
