#include "crypto/ed25519.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>

#include "crypto/digest.h"

namespace jit::crypto {

namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kSignatureBytes = 64;

std::shared_ptr<void> own(EVP_PKEY* key) {
  return std::shared_ptr<void>(key, [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
}
EVP_PKEY* pkey(const std::shared_ptr<void>& key) { return static_cast<EVP_PKEY*>(key.get()); }

// The PEM text as an OpenSSL memory BIO (read-only, no copy).
std::unique_ptr<BIO, decltype(&BIO_free)> bio_of(std::string_view pem) {
  return {BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free};
}

Result<std::string> raw_public_of(EVP_PKEY* key) {
  std::string raw(kKeyBytes, '\0');
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &len) != 1 || len != kKeyBytes)
    return fail(Error::Internal("cannot read the Ed25519 public key"));
  return raw;
}

}  // namespace

Result<Ed25519PublicKey> Ed25519PublicKey::from_raw(std::string_view raw) {
  if (raw.size() != kKeyBytes)
    return fail(Error::Invalid("an Ed25519 public key is 32 bytes, not " + std::to_string(raw.size())));
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  if (!key) return fail(Error::Invalid("not an Ed25519 public key"));
  return Ed25519PublicKey(own(key));
}

Result<Ed25519PublicKey> Ed25519PublicKey::from_pem(std::string_view pem) {
  auto bio = bio_of(pem);
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!key)
    return fail(Error::Invalid("not a PEM public key (expected -----BEGIN PUBLIC KEY-----, as `jit audit public-key` "
                               "prints it)"));
  auto owned = own(key);
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519)
    return fail(Error::Invalid("the public key is not an Ed25519 key"));
  return Ed25519PublicKey(std::move(owned));
}

bool Ed25519PublicKey::verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != kSignatureBytes || !key_) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey(key_)) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

std::string Ed25519PublicKey::raw() const {
  auto raw = raw_public_of(pkey(key_));
  return raw ? *raw : std::string();
}

std::string Ed25519PublicKey::pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey(key_)) != 1) return {};
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string Ed25519PublicKey::key_id() const { return hex(sha256(raw()).substr(0, 8)); }

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_raw(std::string_view seed) {
  if (seed.size() != kKeyBytes) return fail(Error::Invalid("an Ed25519 private key is a 32-byte seed"));
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  if (!key) return fail(Error::Invalid("not an Ed25519 private key"));
  auto owned = own(key);
  auto raw = raw_public_of(key);
  if (!raw) return fail(raw.error());
  auto pub = Ed25519PublicKey::from_raw(*raw);
  if (!pub) return fail(pub.error());
  return Ed25519PrivateKey(std::move(owned), std::move(*pub));
}

Result<std::string> Ed25519PrivateKey::generate_pem() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!key) return fail(Error::Internal("OpenSSL could not make an Ed25519 key"));
  auto owned = own(key);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return fail(Error::Internal("OpenSSL could not write an Ed25519 key as PEM"));
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_pem(std::string_view pem) {
  auto bio = bio_of(pem);
  // No passphrase callback: an encrypted key fails here instead of prompting on a terminal.
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr)
                      : nullptr;
  if (!key)
    return fail(Error::Invalid("not an unencrypted PEM private key (expected -----BEGIN PRIVATE KEY-----, as "
                               "`openssl genpkey -algorithm ed25519` writes it)"));
  auto owned = own(key);
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519)
    return fail(Error::Invalid("the private key is not an Ed25519 key (make one with `openssl genpkey -algorithm "
                               "ed25519`)"));
  auto raw = raw_public_of(key);
  if (!raw) return fail(raw.error());
  auto pub = Ed25519PublicKey::from_raw(*raw);
  if (!pub) return fail(pub.error());
  return Ed25519PrivateKey(std::move(owned), std::move(*pub));
}

Result<std::string> Ed25519PrivateKey::sign(std::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::string signature(kSignatureBytes, '\0');
  std::size_t len = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey(key_)) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != kSignatureBytes)
    return fail(Error::Internal("Ed25519 signing failed in OpenSSL"));
  return signature;
}

namespace {
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}  // namespace

std::string base64url(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const auto at = kAlphabet.find(c);
    if (at == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 255));
    }
  }
  // Leftover bits must be zero, so that each byte string has exactly one encoding.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace jit::crypto
