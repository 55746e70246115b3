// Hashes and MACs, all by OpenSSL.
#pragma once

#include <string>
#include <string_view>

namespace jit::crypto {

// Lower-case hex of SHA-256(data).
std::string sha256_hex(std::string_view data);
// Raw 32-byte SHA-256(data).
std::string sha256(std::string_view data);
// Raw 32-byte HMAC-SHA256(key, data).
std::string hmac_sha256(std::string_view key, std::string_view data);
// Lower-case hex of arbitrary bytes.
std::string hex(std::string_view bytes);
// `n` bytes from OpenSSL's CSPRNG.
std::string random_bytes(std::size_t n);

}  // namespace jit::crypto
