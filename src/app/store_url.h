// Opening a Store from its URL: "sqlite:PATH" or "dynamodb:TABLE".
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "ports/store.h"

namespace jit {

// Errc::invalid for a malformed or unsupported URL (the message says what is accepted);
// the store's own error when it cannot be opened.
Result<std::unique_ptr<Store>> open_store(std::string_view url);

}  // namespace jit
