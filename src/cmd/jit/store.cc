// `jit store init` and `jit store migrate`.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "app/migrate.h"
#include "app/runtime.h"
#include "app/store_url.h"
#include "cmd/jit/cli.h"
#include "cmd/jit/commands.h"

namespace jit {

namespace {

// The AWS clients when `url` is a DynamoDB store (null for SQLite).
Result<std::shared_ptr<AwsServices>> aws_for(Runtime& rt, std::string_view url) {
  auto parsed = parse_store_url(url);
  if (!parsed) return fail(parsed.error());
  if (parsed->kind != StoreUrl::Kind::dynamodb) return std::shared_ptr<AwsServices>();
  return rt.aws();
}

Result<std::unique_ptr<Store>> open(Runtime& rt, std::string_view url) {
  auto aws = aws_for(rt, url);
  if (!aws) return fail(aws.error());
  return open_store(url, *aws, rt.audit_keys().keys);
}

}  // namespace

int cmd_store_init(const std::string& config, const std::string& store) {
  auto rt = Runtime::build({.config_flag = config, .store_flag = store, .open_store = false});
  if (!rt) return report(rt.error());
  auto aws = aws_for(**rt, (*rt)->store_url());
  if (!aws) return report(aws.error());
  auto done = init_store((*rt)->store_url(), *aws);
  if (!done) return report(done.error());
  fmt::print("{}\n", *done);
  return kExitOk;
}

int cmd_store_migrate(const std::string& config, const std::string& from_url, const std::string& to_url) {
  auto rt = Runtime::build({.config_flag = config, .open_store = false});
  if (!rt) return report(rt.error());
  // Opening a missing SQLite file would create an empty one, and "migrate" nothing from a typo.
  if (auto from = parse_store_url(from_url);
      from && from->kind == StoreUrl::Kind::sqlite && !std::filesystem::exists(from->name)) {
    std::cerr << fmt::format("jit: --from {}: no such file: name an existing SQLite store\n", from_url);
    return kExitUsage;
  }
  auto from = open(**rt, from_url);
  if (!from) return report(from.error());
  auto to = open(**rt, to_url);
  if (!to) return report(to.error());
  auto done = migrate(**from, **to, (*rt)->audit_keys().keys);
  if (!done) {
    // Whatever went wrong, the migration did not happen: a failure, not a usage error.
    std::cerr << fmt::format("jit: migrating from {} to {}: {}\n", from_url, to_url, done.error().message);
    return kExitFailure;
  }
  fmt::print("migrated {} requests and {} audit events from {} to {}; audit chain verified (head #{} {})\n",
             done->requests, done->audit_events, from_url, to_url, done->head.seq, done->head.hash);
  return kExitOk;
}

}  // namespace jit
