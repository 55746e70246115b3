// Ed25519 signatures (RFC 8032), by OpenSSL's EVP interface: the signing key of audit
// checkpoints and the public key an auditor verifies them with, offline.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace jit::crypto {

// A public key: verifies signatures. Cheap to copy (the OpenSSL key is shared, immutable).
class Ed25519PublicKey {
 public:
  // From a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) block, as `openssl pkey -pubout` writes it;
  // text before the BEGIN line is skipped. Errc::invalid when it is not an Ed25519 public key.
  static Result<Ed25519PublicKey> from_pem(std::string_view pem);
  // From the 32 raw bytes of RFC 8032. Errc::invalid for another length.
  static Result<Ed25519PublicKey> from_raw(std::string_view raw);

  // True when `signature` (64 raw bytes) is this key's signature of `message`. Never throws.
  bool verify(std::string_view message, std::string_view signature) const;
  // The 32 raw bytes.
  std::string raw() const;
  // The PEM "PUBLIC KEY" block, ending in a newline.
  std::string pem() const;
  // A short fingerprint naming the key in checkpoints: the first 8 bytes of SHA-256(raw()), in hex.
  std::string key_id() const;

 private:
  explicit Ed25519PublicKey(std::shared_ptr<void> key) : key_(std::move(key)) {}
  std::shared_ptr<void> key_;  // EVP_PKEY
};

// A private key: signs. Its bytes never leave the object (no accessor prints or returns them).
class Ed25519PrivateKey {
 public:
  // From a PEM "PRIVATE KEY" (PKCS#8) block, as `openssl genpkey -algorithm ed25519` writes it.
  // Errc::invalid when it is not an unencrypted Ed25519 private key; the message never quotes
  // the text.
  static Result<Ed25519PrivateKey> from_pem(std::string_view pem);
  // From the 32-byte seed of RFC 8032.
  static Result<Ed25519PrivateKey> from_raw(std::string_view seed);
  // A new key, as the PEM that from_pem reads (what `openssl genpkey -algorithm ed25519` writes),
  // for whoever must write a key file (`jit demo`). Errc::internal if OpenSSL fails.
  static Result<std::string> generate_pem();

  // The 64-byte signature of `message` (deterministic, RFC 8032). Errc::internal if OpenSSL fails.
  Result<std::string> sign(std::string_view message) const;
  // Its public half.
  const Ed25519PublicKey& public_key() const { return public_; }

 private:
  Ed25519PrivateKey(std::shared_ptr<void> key, Ed25519PublicKey pub) : key_(std::move(key)), public_(std::move(pub)) {}
  std::shared_ptr<void> key_;  // EVP_PKEY
  Ed25519PublicKey public_;
};

// Base64url without padding (RFC 4648 section 5), as signatures appear in text.
std::string base64url(std::string_view bytes);
// The inverse; nullopt for a character outside the alphabet or an impossible length.
std::optional<std::string> from_base64url(std::string_view text);

}  // namespace jit::crypto
