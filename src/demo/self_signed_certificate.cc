#include "demo/self_signed_certificate.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>

#include "crypto/digest.h"

namespace jit::demo {

namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

// What a PEM writer put into a memory BIO.
std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

bool add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

Result<> write_file(const std::string& path, const std::string& text, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return fail(Error::Unavailable("cannot write " + path));
  }
  if (::chmod(path.c_str(), mode) != 0) return fail(Error::Unavailable("cannot chmod " + path));
  return {};
}

// base64 SHA-256 of the certificate's DER SubjectPublicKeyInfo; "" when OpenSSL fails.
std::string pin_of(X509* cert) {
  unsigned char* der = nullptr;
  const int der_length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (der_length <= 0) return "";
  const std::string digest = crypto::sha256(std::string_view(reinterpret_cast<const char*>(der), der_length));
  OPENSSL_free(der);
  std::string pin(4 * ((digest.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(pin.data()), reinterpret_cast<const unsigned char*>(digest.data()),
                  static_cast<int>(digest.size()));
  return pin;
}

}  // namespace

Result<std::string> spki_pin(const std::string& certificate_pem) {
  Owned<BIO> bio(BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())));
  Owned<X509> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return fail(Error::Invalid("no PEM certificate to pin"));
  std::string pin = pin_of(cert.get());
  if (pin.empty()) return fail(Error::Invalid("the certificate's public key cannot be encoded"));
  return pin;
}

Result<SelfSignedCertificate> make_self_signed_certificate(const std::string& dir) {
  auto failed = [](const char* what) {
    return fail(Error::Unavailable(std::string("self-signed certificate: ") + what + " failed"));
  };
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return failed("EVP_EC_gen(P-256)");
  Owned<X509> cert(X509_new());
  if (!cert) return failed("X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (!add_extension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") ||
      !add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), NID_ext_key_usage, "serverAuth"))
    return failed("X509V3_EXT_conf_nid");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return failed("X509_sign");

  Owned<BIO> cert_pem(BIO_new(BIO_s_mem())), key_pem(BIO_new(BIO_s_mem()));
  if (!cert_pem || !key_pem || PEM_write_bio_X509(cert_pem.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return failed("PEM_write_bio");

  const std::string pin = pin_of(cert.get());
  if (pin.empty()) return failed("i2d_X509_PUBKEY");

  SelfSignedCertificate out{dir + "/step-up.crt", dir + "/step-up.key", pin};
  if (auto w = write_file(out.certificate_file, bio_text(cert_pem.get()), 0644); !w) return fail(w.error());
  if (auto w = write_file(out.key_file, bio_text(key_pem.get()), 0600); !w) return fail(w.error());
  return out;
}

}  // namespace jit::demo
