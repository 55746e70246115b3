#include "support/soft_authenticator.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <stdexcept>

#include "crypto/digest.h"
#include "crypto/ed25519.h"

namespace jit::testing {
namespace {

EVP_PKEY* pkey_of(const std::shared_ptr<void>& key) { return static_cast<EVP_PKEY*>(key.get()); }

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("soft authenticator: ") + what);
}

// CBOR (RFC 8949) heads for the few items a COSE_Key needs.
std::string cbor_int(int value) {  // -24 <= value < 24
  return std::string(1, static_cast<char>(value >= 0 ? value : 0x20 | (-1 - value)));
}
std::string cbor_bytes32(std::string_view bytes) { return std::string("\x58\x20", 2) + std::string(bytes); }

std::string big_endian(std::uint32_t value, int width) {
  std::string out;
  for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
  return out;
}

std::string bn_param(EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  require(EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, "EVP_PKEY_get_bn_param");
  std::string out(32, '\0');
  int n = BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_free(bn);
  require(n == 32, "BN_bn2binpad");
  return out;
}

}  // namespace

SoftAuthenticator::SoftAuthenticator(int cose_alg, std::uint32_t counter)
    : cose_alg_(cose_alg), counter_(counter), credential_id_(crypto::random_bytes(16)) {
  EVP_PKEY* pkey = nullptr;
  if (cose_alg == -7) {
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else if (cose_alg == -8) {
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else {
    throw std::invalid_argument("soft authenticator: COSE alg -7 or -8 only");
  }
  require(pkey != nullptr, "EVP_PKEY_Q_keygen");
  key_ = std::shared_ptr<void>(pkey, [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
}

SoftAuthenticator::~SoftAuthenticator() = default;
SoftAuthenticator::SoftAuthenticator(SoftAuthenticator&&) noexcept = default;

std::string SoftAuthenticator::credential_id() const { return crypto::base64url(credential_id_); }

std::string SoftAuthenticator::cose_key() const {
  EVP_PKEY* pkey = pkey_of(key_);
  if (cose_alg_ == -7) {  // EC2 {1: 2, 3: -7, -1: 1 (P-256), -2: x, -3: y}
    return "\xa5" + cbor_int(1) + cbor_int(2) + cbor_int(3) + cbor_int(-7) + cbor_int(-1) + cbor_int(1) +
           cbor_int(-2) + cbor_bytes32(bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X)) + cbor_int(-3) +
           cbor_bytes32(bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y));
  }
  std::string x(32, '\0');  // OKP {1: 1, 3: -8, -1: 6 (Ed25519), -2: x}
  std::size_t len = x.size();
  require(EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(x.data()), &len) == 1 && len == 32,
          "EVP_PKEY_get_raw_public_key");
  return "\xa4" + cbor_int(1) + cbor_int(1) + cbor_int(3) + cbor_int(-8) + cbor_int(-1) + cbor_int(6) +
         cbor_int(-2) + cbor_bytes32(x);
}

std::string SoftAuthenticator::sign(std::string_view data) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  require(ctx != nullptr, "EVP_MD_CTX_new");
  require(EVP_DigestSignInit(ctx.get(), nullptr, cose_alg_ == -7 ? EVP_sha256() : nullptr, nullptr,
                             pkey_of(key_)) == 1,
          "EVP_DigestSignInit");
  auto in = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t len = 0;
  require(EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) == 1, "EVP_DigestSign (length)");
  std::string out(len, '\0');
  require(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in, data.size()) == 1,
          "EVP_DigestSign");
  out.resize(len);
  return out;
}

std::string SoftAuthenticator::client_data(std::string_view default_type, const stepup::RelyingParty& rp,
                                           const StepUpChallenge& challenge, const SoftAnswerOptions& options) const {
  if (options.client_data_json) return *options.client_data_json;
  nlohmann::json object = {
      {"type", options.type.value_or(std::string(default_type))},
      {"challenge", options.challenge.value_or(crypto::base64url(stepup::challenge_bytes(challenge)))},
      {"origin", options.origin.value_or(rp.origin)},
  };
  if (options.cross_origin) object["crossOrigin"] = *options.cross_origin;
  return object.dump();
}

std::string SoftAuthenticator::authenticator_header(const stepup::RelyingParty& rp, const SoftAnswerOptions& options,
                                                    unsigned char extra_flags) {
  unsigned char flags = extra_flags;
  if (options.user_present) flags |= 0x01;
  if (options.user_verified) flags |= 0x04;
  std::uint32_t count = options.sign_count.value_or(counter_);
  if (!options.sign_count && counter_ != 0) ++counter_;
  return crypto::sha256(options.rp_id.value_or(rp.rp_id)) + std::string(1, static_cast<char>(flags)) +
         big_endian(count, 4);
}

stepup::Registration SoftAuthenticator::registration(const stepup::RelyingParty& rp, const StepUpChallenge& challenge,
                                                     const SoftAnswerOptions& options) {
  std::string attested = std::string(16, '\0') + big_endian(static_cast<std::uint32_t>(credential_id_.size()), 2) +
                         credential_id_ + cose_key();
  std::string authenticator_data = authenticator_header(rp, options, 0x40) + attested;
  stepup::Registration out;
  out.credential_id = credential_id();
  out.client_data_json = crypto::base64url(client_data("webauthn.create", rp, challenge, options));
  out.authenticator_data = crypto::base64url(authenticator_data);
  out.cose_alg = cose_alg_;
  return out;
}

stepup::Assertion SoftAuthenticator::assertion(const stepup::RelyingParty& rp, const StepUpChallenge& challenge,
                                               const SoftAnswerOptions& options) {
  std::string client_data_json = client_data("webauthn.get", rp, challenge, options);
  std::string authenticator_data = authenticator_header(rp, options, 0);
  stepup::Assertion out;
  out.credential_id = credential_id();
  out.client_data_json = crypto::base64url(client_data_json);
  out.authenticator_data = crypto::base64url(authenticator_data);
  out.signature = crypto::base64url(sign(authenticator_data + crypto::sha256(client_data_json)));
  return out;
}

nlohmann::json finish_body(const std::string& token, const stepup::Assertion& assertion) {
  return {{"token", token},
          {"assertion",
           {{"id", assertion.credential_id},
            {"clientDataJSON", assertion.client_data_json},
            {"authenticatorData", assertion.authenticator_data},
            {"signature", assertion.signature}}},
          {"registration", nullptr}};
}

nlohmann::json finish_body(const std::string& token, const stepup::Registration& registration,
                           const std::string& name) {
  return {{"token", token},
          {"assertion", nullptr},
          {"registration",
           {{"id", registration.credential_id},
            {"clientDataJSON", registration.client_data_json},
            {"authenticatorData", registration.authenticator_data},
            {"publicKeyAlgorithm", registration.cose_alg},
            {"name", name}}}};
}

}  // namespace jit::testing
