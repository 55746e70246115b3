// Reading secrets written as text: base64 (as `openssl rand -base64 32` prints) or hex.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jit::crypto {

// The bytes of standard base64 `text` (RFC 4648, "=" padding required when the length calls for
// it); nullopt when `text` is not base64.
std::optional<std::string> from_base64(std::string_view text);
// The bytes of hex `text` (either case, an even number of digits); nullopt when it is not hex.
std::optional<std::string> from_hex(std::string_view text);

}  // namespace jit::crypto
