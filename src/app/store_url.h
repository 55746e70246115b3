// Opening a Store from its URL: "sqlite:PATH" or "dynamodb:TABLE".
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "audit/keyring.h"
#include "core/error.h"
#include "core/policy.h"
#include "ports/store.h"

namespace jit {

class AwsServices;

// A store URL, parsed: "sqlite:PATH" or "dynamodb:TABLE".
struct StoreUrl {
  enum class Kind { sqlite, dynamodb } kind;
  std::string name;  // the path or the table
};
// Errc::invalid for anything else, saying what is accepted.
Result<StoreUrl> parse_store_url(std::string_view url);

// Opens the store. Errc::invalid for a malformed URL (the message says what is accepted), or a
// dynamodb: URL without `aws` (the process's AWS clients); the store's own error when it cannot
// be opened. The store seals audit events with `keys`.
Result<std::unique_ptr<Store>> open_store(std::string_view url, std::shared_ptr<AwsServices> aws = nullptr,
                                          const audit::Keyring& keys = audit::Keyring::unkeyed());

// `jit store init`: creates what the store needs (the DynamoDB table with its indexes and TTL;
// for SQLite, the file and its schema). Idempotent. Returns a line saying what was done.
Result<std::string> init_store(std::string_view url, std::shared_ptr<AwsServices> aws = nullptr);

}  // namespace jit
