// stepup::verify_registration / verify_assertion (stepup/webauthn.h) on whatever a page could send:
// never crashes, throws or leaks a libfido2 object; every refusal is Errc::invalid or
// Errc::denied with a short, printable message; what it accepts is well formed. The relying
// party, challenges and enrolled keys are those of tests/data/webauthn/vector.json, so the seeds
// (fuzz/corpus/webauthn, made from it) reach libfido2 and the signature checks.
//
// Input: one byte of mode (bit 0: assertion, else registration; bit 1: the Ed25519 credential,
// else ES256; bit 2: fields are base64url text as sent, else raw bytes the target encodes), then
// the fields (id, clientDataJSON, authenticatorData[, signature]) separated by the bytes FF FE.
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "fuzz_support.h"
#include "stepup/webauthn.h"

namespace {

using namespace jit;

const stepup::RelyingParty kRp{"https://jit.example.test", "jit.example.test"};

StepUpChallenge challenge(StepUpPurpose purpose) {
  StepUpChallenge c;
  c.purpose = purpose;
  c.user_id = "U0FIXED";
  c.nonce = "fixed-nonce-made-once";
  c.request_id = purpose == StepUpPurpose::approve ? "req-fixed" : "";
  c.action = purpose == StepUpPurpose::approve ? "approve" : "enroll";
  return c;
}

WebAuthnCredential credential(bool eddsa) {
  WebAuthnCredential c;
  c.user_id = "U0FIXED";
  if (eddsa) {
    c.credential_id = "lY3avVyaRuR5zESHYdNG8w";
    c.cose_alg = -8;
    c.public_key = "nUnTK5EHYsrDZe67Bn8cJd90MU6qTBk142SMOlNBxgM";
  } else {
    c.credential_id = "m8v6AefO_NkBG3kLbrcu3w";
    c.cose_alg = -7;
    c.public_key = "PayuRiPaqcR3_E3BB4AL5Sfw6bFqeKHW87nnlgjuUGDT-9b9VniJd9uQMKL5cQQvSOcbXvZkxF-pQPtgVvw8PA";
  }
  return c;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> fields;
  for (;;) {
    auto at = text.find("\xff\xfe");
    fields.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 2);
  }
  fields.resize(4);
  return fields;
}

void check_refusal(const Error& e) {
  fuzz::check(e.code == Errc::invalid || e.code == Errc::denied, "a refusal is invalid or denied");
  fuzz::check(e.message.size() <= 400, "a refusal's message is short");
  for (unsigned char ch : e.message) fuzz::check(ch >= 0x20 && ch != 0x7f, "a refusal's message has no control bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  auto fields = split(fuzz::as_text(data + 1, size - 1));
  if (!(mode & 4)) {
    for (auto& f : fields) f = crypto::base64url(f);
  }
  const bool eddsa = mode & 2;
  try {
    if (mode & 1) {
      auto c = credential(eddsa);
      auto r = stepup::verify_assertion(kRp, challenge(StepUpPurpose::approve), c,
                                        {fields[0], fields[1], fields[2], fields[3]});
      if (r) {
        fuzz::check(r->assertion_sha256.size() == 64, "assertion_sha256 is 64 hex digits");
        fuzz::check(fields[0] == c.credential_id, "an accepted assertion is by the claimed credential");
      } else {
        check_refusal(r.error());
      }
    } else {
      auto r = stepup::verify_registration(kRp, challenge(StepUpPurpose::enroll),
                                           {fields[0], fields[1], fields[2], eddsa ? -8 : -7});
      if (r) {
        fuzz::check(r->credential_id == crypto::base64url(*crypto::from_base64url(fields[0])),
                    "an accepted credential keeps the page's id");
        fuzz::check(crypto::from_base64url(r->public_key)->size() == (eddsa ? 32u : 64u), "the key is of its kind");
      } else {
        check_refusal(r.error());
      }
    }
  } catch (...) {
    fuzz::violated("an exception escaped");
  }
  return 0;
}
