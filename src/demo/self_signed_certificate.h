// A throwaway TLS identity for the step-up page of `jit demo --step-up` and the browser test's
// world: a P-256 key and a self-signed certificate for localhost and 127.0.0.1, made with OpenSSL
// into a directory, and the pin a browser is started with so that it trusts exactly this key
// (Chromium's --ignore-certificate-errors-spki-list) and nothing else.
#pragma once

#include <string>

#include "core/error.h"

namespace jit::demo {

struct SelfSignedCertificate {
  std::string certificate_file;  // PEM
  std::string key_file;          // PEM (PKCS#8), mode 0600
  // base64 (standard, padded) of SHA-256 over the certificate's DER SubjectPublicKeyInfo.
  std::string spki_sha256;
};

// Writes `dir`/step-up.crt and `dir`/step-up.key: a new key, and a certificate for DNS:localhost
// and IP:127.0.0.1 valid from an hour ago for a day. Errc::unavailable when OpenSSL or the files
// fail (naming which).
Result<SelfSignedCertificate> make_self_signed_certificate(const std::string& dir);

// The pin of the first certificate in `certificate_pem` (SelfSignedCertificate::spki_sha256's
// form), e.g. of a page's certificate made elsewhere. Errc::invalid when it holds no certificate.
Result<std::string> spki_pin(const std::string& certificate_pem);

}  // namespace jit::demo
