#include "stepup/webauthn.h"

#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>

#include <memory>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>

#include "core/user_text.h"
#include "crypto/digest.h"
#include "crypto/ed25519.h"

namespace jit::stepup {
namespace {

constexpr int kCoseEs256 = -7;
constexpr int kCoseEdDsa = -8;
// Authenticator data flags (WebAuthn §6.1).
constexpr unsigned char kFlagUserPresent = 0x01;
constexpr unsigned char kFlagUserVerified = 0x04;
constexpr unsigned char kFlagAttestedCredential = 0x40;
// rpIdHash (32) ‖ flags (1) ‖ signCount (4).
constexpr std::size_t kAuthenticatorDataHeader = 37;
// How much of an attacker's text an error message quotes.
constexpr std::size_t kExcerptBytes = 100;

void init_fido() {
  static std::once_flag once;
  std::call_once(once, [] { fido_init(0); });
}

struct CredFree {
  void operator()(fido_cred_t* p) const { fido_cred_free(&p); }
};
struct AssertFree {
  void operator()(fido_assert_t* p) const { fido_assert_free(&p); }
};
struct Es256Free {
  void operator()(es256_pk_t* p) const { es256_pk_free(&p); }
};
struct EdDsaFree {
  void operator()(eddsa_pk_t* p) const { eddsa_pk_free(&p); }
};

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// A short, printable, quoted excerpt of untrusted text for an error message.
std::string excerpt(std::string_view text) {
  return "\"" + user_text::printable_excerpt(text, kExcerptBytes) + "\"";
}

// The bytes of base64url `text`, refused when longer than `max_bytes` decode to (checked first).
Result<std::string> decode(std::string_view field, std::string_view text, std::size_t max_bytes) {
  if (text.size() > (max_bytes * 4 + 2) / 3) {
    return fail(Error::Invalid(std::string(field) + " is longer than " + std::to_string(max_bytes) + " bytes"));
  }
  auto raw = crypto::from_base64url(text);
  if (!raw) return fail(Error::Invalid(std::string(field) + " is not base64url"));
  if (raw->empty()) return fail(Error::Invalid(std::string(field) + " is empty"));
  return std::move(*raw);
}

// A member of a JSON object as a string; absent when missing or of another type.
std::optional<std::string> string_member(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Our checks of clientDataJSON (WebAuthn §7.1 steps 7-10 and §7.2 steps 11-14).
Result<> check_client_data(const RelyingParty& rp, const StepUpChallenge& challenge, std::string_view expected_type,
                           std::string_view client_data_json) {
  auto parsed = nlohmann::json::parse(client_data_json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return fail(Error::Invalid("clientDataJSON is not a JSON object"));
  }
  auto type = string_member(parsed, "type");
  if (type != expected_type) {
    return fail(Error::Denied("the clientData type was " + (type ? excerpt(*type) : std::string("absent")) +
                              ", expected \"" + std::string(expected_type) + "\""));
  }
  auto signed_challenge = string_member(parsed, "challenge");
  if (signed_challenge != crypto::base64url(challenge_bytes(challenge))) {
    return fail(Error::Denied("the challenge signed is not this link's (it answers another request, approver or "
                              "action)"));
  }
  auto origin = string_member(parsed, "origin");
  if (origin != rp.origin) {
    return fail(Error::Denied("the page's origin was " + (origin ? excerpt(*origin) : std::string("absent")) +
                              ", expected " + excerpt(rp.origin)));
  }
  auto cross_origin = parsed.find("crossOrigin");
  if (cross_origin != parsed.end() && cross_origin->is_boolean() && cross_origin->get<bool>()) {
    return fail(Error::Denied("the page was embedded in another origin's frame (crossOrigin true)"));
  }
  return {};
}

struct AuthenticatorHeader {
  unsigned char flags = 0;
  std::uint32_t sign_count = 0;
};

// Our checks of the authenticator data's fixed header: rpIdHash, UP, UV (and AT when asked).
Result<AuthenticatorHeader> check_authenticator_data(const RelyingParty& rp, std::string_view data,
                                                     bool attested) {
  if (data.size() < kAuthenticatorDataHeader) {
    return fail(Error::Invalid("authenticatorData is shorter than its 37-byte header"));
  }
  if (!crypto::equal_constant_time(data.substr(0, 32), crypto::sha256(rp.rp_id))) {
    return fail(Error::Denied("the authenticator data is for another relying party (rpIdHash is not SHA-256 of " +
                              excerpt(rp.rp_id) + ")"));
  }
  AuthenticatorHeader header;
  header.flags = static_cast<unsigned char>(data[32]);
  for (std::size_t i = 33; i < kAuthenticatorDataHeader; ++i) {
    header.sign_count = (header.sign_count << 8) | static_cast<unsigned char>(data[i]);
  }
  if (!(header.flags & kFlagUserPresent)) {
    return fail(Error::Denied("the authenticator did not see the user (flag UP absent): touch the key"));
  }
  if (!(header.flags & kFlagUserVerified)) {
    return fail(Error::Denied("the authenticator did not verify the user (flag UV absent): a PIN or biometric "
                              "is required"));
  }
  if (attested && !(header.flags & kFlagAttestedCredential)) {
    return fail(Error::Invalid("the authenticator data carries no new credential (flag AT absent)"));
  }
  return header;
}

// Moves `at` past one CBOR item of `data` (RFC 8949) when it is well formed and every length and
// count it declares fits in the bytes that remain; false otherwise, and for indefinite lengths
// (CTAP2's canonical CBOR has none) or nesting deeper than `depth`. libcbor, under libfido2, sizes
// its allocations by the declared counts before reading them, so nothing reaches it unchecked.
bool skip_cbor_item(std::string_view data, std::size_t& at, int depth) {
  if (depth <= 0 || at >= data.size()) return false;
  const auto initial = static_cast<unsigned char>(data[at++]);
  const unsigned major = initial >> 5;
  const unsigned info = initial & 0x1f;
  std::uint64_t argument = info;
  if (info >= 24 && info <= 27) {
    const std::size_t width = std::size_t{1} << (info - 24);
    if (data.size() - at < width) return false;
    argument = 0;
    for (std::size_t i = 0; i < width; ++i) argument = (argument << 8) | static_cast<unsigned char>(data[at++]);
  } else if (info > 27) {
    return false;  // reserved, or an indefinite length
  }
  const std::size_t remaining = data.size() - at;
  switch (major) {
    case 2:  // byte string
    case 3:  // text string
      if (argument > remaining) return false;
      at += argument;
      return true;
    case 4:  // array: every element takes at least one byte
    case 5:  // map: every key and value too
      if (argument > remaining || (major == 5 && argument > remaining / 2)) return false;
      for (std::uint64_t i = 0; i < (major == 5 ? argument * 2 : argument); ++i) {
        if (!skip_cbor_item(data, at, depth - 1)) return false;
      }
      return true;
    case 6:  // tag
      return skip_cbor_item(data, at, depth - 1);
    default:  // integers and simple values: the argument was the whole item
      return true;
  }
}

// Nesting deep enough for a COSE key and the extensions an authenticator returns.
constexpr int kMaxCborDepth = 8;
constexpr unsigned char kFlagExtensions = 0x80;

// What follows the 37-byte header: the attested credential (AAGUID, id length, id, COSE key) when
// `attested`, then the extensions map when flag ED is set, and nothing else; each CBOR item bounded
// as skip_cbor_item checks, before libfido2 parses any of it.
Result<> check_authenticator_data_body(std::string_view data, unsigned char flags, bool attested) {
  std::size_t at = kAuthenticatorDataHeader;
  if (attested) {
    constexpr std::size_t kAaguidAndLength = 18;
    if (data.size() - at < kAaguidAndLength) {
      return fail(Error::Invalid("authenticatorData ends inside its attested credential data"));
    }
    const std::size_t id_length = (static_cast<unsigned char>(data[at + 16]) << 8) |
                                  static_cast<unsigned char>(data[at + 17]);
    at += kAaguidAndLength;
    if (data.size() - at < id_length) {
      return fail(Error::Invalid("authenticatorData's credential id is longer than the data that remains"));
    }
    at += id_length;
    if (!skip_cbor_item(data, at, kMaxCborDepth)) {
      return fail(Error::Invalid("authenticatorData's public key is not well-formed CBOR (a length or count "
                                 "past the end, an indefinite length, or too deep)"));
    }
  }
  if (flags & kFlagExtensions) {
    if (!skip_cbor_item(data, at, kMaxCborDepth)) {
      return fail(Error::Invalid("authenticatorData's extensions are not well-formed CBOR (a length or count "
                                 "past the end, an indefinite length, or too deep)"));
    }
  }
  if (at != data.size()) {
    return fail(Error::Invalid("authenticatorData has " + std::to_string(data.size() - at) +
                               " bytes after its last field"));
  }
  return {};
}

Result<> check_alg(int cose_alg) {
  if (cose_alg == kCoseEs256 || cose_alg == kCoseEdDsa) return {};
  return fail(Error::Denied("the key's algorithm COSE " + std::to_string(cose_alg) +
                            " is not supported: ES256 (-7) or EdDSA (-8) only"));
}

void append_length_prefixed(std::string& out, std::string_view field) {
  auto n = static_cast<std::uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(field);
}

// fido_assert_verify on one assertion under the stored key; true when the signature holds (and
// libfido2's own rpIdHash and UP/UV checks pass).
Result<bool> signature_holds(fido_assert_t* assertion, int cose_alg, std::string_view key) {
  if (cose_alg == kCoseEs256) {
    std::unique_ptr<es256_pk_t, Es256Free> pk(es256_pk_new());
    if (!pk) return fail(Error::Internal("es256_pk_new failed"));
    if (es256_pk_from_ptr(pk.get(), key.data(), key.size()) != FIDO_OK) {
      return fail(Error::Invalid("the enrolled public key is not an ES256 key"));
    }
    return fido_assert_verify(assertion, 0, COSE_ES256, pk.get()) == FIDO_OK;
  }
  std::unique_ptr<eddsa_pk_t, EdDsaFree> pk(eddsa_pk_new());
  if (!pk) return fail(Error::Internal("eddsa_pk_new failed"));
  if (eddsa_pk_from_ptr(pk.get(), key.data(), key.size()) != FIDO_OK) {
    return fail(Error::Invalid("the enrolled public key is not an Ed25519 key"));
  }
  return fido_assert_verify(assertion, 0, COSE_EDDSA, pk.get()) == FIDO_OK;
}

}  // namespace

std::string challenge_bytes(const StepUpChallenge& challenge) {
  std::string input = "jit-step-up-v1";
  append_length_prefixed(input, challenge.purpose == StepUpPurpose::enroll ? "enroll" : "approve");
  append_length_prefixed(input, challenge.user_id);
  append_length_prefixed(input, challenge.request_id);
  append_length_prefixed(input, challenge.action);
  append_length_prefixed(input, challenge.nonce);
  return crypto::sha256(input);
}

Result<NewCredential> verify_registration(const RelyingParty& rp, const StepUpChallenge& challenge,
                                          const Registration& registration) {
  auto id = decode("credential id", registration.credential_id, kMaxCredentialIdBytes);
  if (!id) return fail(id.error());
  auto client_data = decode("clientDataJSON", registration.client_data_json, kMaxClientDataBytes);
  if (!client_data) return fail(client_data.error());
  auto authenticator_data = decode("authenticatorData", registration.authenticator_data, kMaxAuthenticatorDataBytes);
  if (!authenticator_data) return fail(authenticator_data.error());
  if (auto ok = check_alg(registration.cose_alg); !ok) return fail(ok.error());
  if (auto ok = check_client_data(rp, challenge, "webauthn.create", *client_data); !ok) return fail(ok.error());
  auto header = check_authenticator_data(rp, *authenticator_data, /*attested=*/true);
  if (!header) return fail(header.error());
  if (auto ok = check_authenticator_data_body(*authenticator_data, header->flags, /*attested=*/true); !ok) {
    return fail(ok.error());
  }

  init_fido();
  std::unique_ptr<fido_cred_t, CredFree> cred(fido_cred_new());
  if (!cred) return fail(Error::Internal("fido_cred_new failed"));
  // The type first: libfido2 reads the attested key as a key of that type.
  if (fido_cred_set_type(cred.get(), registration.cose_alg) != FIDO_OK) {
    return fail(Error::Internal("fido_cred_set_type refused COSE " + std::to_string(registration.cose_alg)));
  }
  if (int r = fido_cred_set_authdata_raw(cred.get(), bytes(*authenticator_data), authenticator_data->size());
      r != FIDO_OK) {
    return fail(Error::Invalid(std::string("authenticatorData holds no readable credential with a COSE ") +
                               std::to_string(registration.cose_alg) + " key (libfido2: " + fido_strerr(r) + ")"));
  }
  if (fido_cred_set_rp(cred.get(), rp.rp_id.c_str(), nullptr) != FIDO_OK ||
      fido_cred_set_clientdata(cred.get(), bytes(*client_data), client_data->size()) != FIDO_OK ||
      fido_cred_set_uv(cred.get(), FIDO_OPT_TRUE) != FIDO_OK || fido_cred_set_fmt(cred.get(), "none") != FIDO_OK) {
    return fail(Error::Internal("libfido2 refused the relying party or clientDataJSON"));
  }
  // Attestation "none" carries no statement, so fido_cred_verify has nothing to verify (it answers
  // FIDO_ERR_INVALID_ARGUMENT): the rpIdHash and flags were checked above, the id is checked here.
  std::string_view parsed_id(reinterpret_cast<const char*>(fido_cred_id_ptr(cred.get())), fido_cred_id_len(cred.get()));
  if (parsed_id != *id) {
    return fail(Error::Denied("the credential id in the authenticator data is not the one the page sent"));
  }
  if (fido_cred_type(cred.get()) != registration.cose_alg || fido_cred_pubkey_ptr(cred.get()) == nullptr ||
      fido_cred_pubkey_len(cred.get()) == 0) {
    return fail(Error::Invalid("authenticatorData's key is not a COSE " + std::to_string(registration.cose_alg) +
                               " key"));
  }
  NewCredential out;
  out.credential_id = crypto::base64url(*id);
  out.cose_alg = registration.cose_alg;
  out.public_key = crypto::base64url(std::string_view(
      reinterpret_cast<const char*>(fido_cred_pubkey_ptr(cred.get())), fido_cred_pubkey_len(cred.get())));
  out.sign_count = fido_cred_sigcount(cred.get());
  return out;
}

Result<VerifiedAssertion> verify_assertion(const RelyingParty& rp, const StepUpChallenge& challenge,
                                           const WebAuthnCredential& credential, const Assertion& assertion) {
  auto id = decode("credential id", assertion.credential_id, kMaxCredentialIdBytes);
  if (!id) return fail(id.error());
  if (crypto::base64url(*id) != credential.credential_id) {
    return fail(Error::Denied("the assertion is by another credential than the one claimed"));
  }
  auto client_data = decode("clientDataJSON", assertion.client_data_json, kMaxClientDataBytes);
  if (!client_data) return fail(client_data.error());
  auto authenticator_data = decode("authenticatorData", assertion.authenticator_data, kMaxAuthenticatorDataBytes);
  if (!authenticator_data) return fail(authenticator_data.error());
  auto signature = decode("signature", assertion.signature, kMaxSignatureBytes);
  if (!signature) return fail(signature.error());
  if (auto ok = check_alg(credential.cose_alg); !ok) return fail(ok.error());
  if (auto ok = check_client_data(rp, challenge, "webauthn.get", *client_data); !ok) return fail(ok.error());
  auto header = check_authenticator_data(rp, *authenticator_data, /*attested=*/false);
  if (!header) return fail(header.error());
  if (auto ok = check_authenticator_data_body(*authenticator_data, header->flags, /*attested=*/false); !ok) {
    return fail(ok.error());
  }
  auto key = crypto::from_base64url(credential.public_key);
  if (!key) return fail(Error::Invalid("the enrolled public key is not base64url"));

  init_fido();
  std::unique_ptr<fido_assert_t, AssertFree> fa(fido_assert_new());
  if (!fa) return fail(Error::Internal("fido_assert_new failed"));
  if (fido_assert_set_count(fa.get(), 1) != FIDO_OK) return fail(Error::Internal("fido_assert_set_count failed"));
  if (int r = fido_assert_set_authdata_raw(fa.get(), 0, bytes(*authenticator_data), authenticator_data->size());
      r != FIDO_OK) {
    return fail(Error::Invalid(std::string("authenticatorData is not readable (libfido2: ") + fido_strerr(r) + ")"));
  }
  if (fido_assert_set_clientdata(fa.get(), bytes(*client_data), client_data->size()) != FIDO_OK ||
      fido_assert_set_rp(fa.get(), rp.rp_id.c_str()) != FIDO_OK ||
      fido_assert_set_up(fa.get(), FIDO_OPT_TRUE) != FIDO_OK || fido_assert_set_uv(fa.get(), FIDO_OPT_TRUE) != FIDO_OK ||
      fido_assert_set_sig(fa.get(), 0, bytes(*signature), signature->size()) != FIDO_OK) {
    return fail(Error::Internal("libfido2 refused the assertion's relying party, clientDataJSON or signature"));
  }
  auto holds = signature_holds(fa.get(), credential.cose_alg, *key);
  if (!holds) return fail(holds.error());
  if (!*holds) return fail(Error::Denied("the signature does not verify under the enrolled key"));

  std::uint32_t count = fido_assert_sigcount(fa.get(), 0);
  bool keeps_none = count == 0 && credential.sign_count == 0;
  if (!keeps_none && count <= credential.sign_count) {
    return fail(Error::Denied("the sign count went from " + std::to_string(credential.sign_count) + " to " +
                              std::to_string(count) + ": the key may have been cloned"));
  }
  VerifiedAssertion out;
  out.sign_count = count;
  out.assertion_sha256 = crypto::sha256_hex(*client_data + *authenticator_data + *signature);
  return out;
}

}  // namespace jit::stepup
