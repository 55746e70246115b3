// Opening a Store from its URL: "sqlite:PATH" or "dynamodb:TABLE".
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/policy.h"
#include "ports/store.h"

namespace jit {

class AwsServices;

// Errc::invalid for a malformed URL (the message says what is accepted); the store's own error
// when it cannot be opened. `aws` (region and so on) is used by dynamodb: only, which calls
// DynamoDB through `services` when given (one AWS layer for the whole process), else through
// clients made from `aws`.
Result<std::unique_ptr<Store>> open_store(std::string_view url, const AwsSettings& aws = {},
                                          std::shared_ptr<AwsServices> services = nullptr);

// `jit store init`: creates what the store needs (the DynamoDB table with its indexes and TTL;
// for SQLite, the file and its schema). Idempotent. Returns a line saying what was done.
Result<std::string> init_store(std::string_view url, const AwsSettings& aws = {});

}  // namespace jit
