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
// Lower-case hex of HMAC-SHA256(key, data).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// Whether `a` and `b` are equal, in time that depends on their length only (CRYPTO_memcmp): for
// comparing a MAC with the one expected without telling an attacker how many bytes matched.
bool equal_constant_time(std::string_view a, std::string_view b);
// Lower-case hex of arbitrary bytes.
std::string hex(std::string_view bytes);
// `n` bytes from OpenSSL's CSPRNG.
std::string random_bytes(std::size_t n);

}  // namespace jit::crypto
