// A throwaway certificate authority and server certificates, made at test time with OpenSSL's C
// API (P-256 keys, valid from an hour ago for a day).
#pragma once

#include <string>
#include <vector>

namespace jit::testing {

struct TestCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

class TestCa {
 public:
  TestCa();  // a self-signed CA ("jit test CA"); throws on OpenSSL failure
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& certificate_pem() const { return certificate_pem_; }
  // A server certificate signed by this CA for these names: "DNS:localhost", "IP:127.0.0.1".
  TestCertificate issue(const std::vector<std::string>& subject_alt_names) const;

 private:
  void* key_ = nullptr;   // EVP_PKEY*
  void* cert_ = nullptr;  // X509*
  std::string certificate_pem_;
};

// Writes `text` to a new file under the temp dir and returns its path.
std::string write_temp_file(const std::string& text, const std::string& suffix);

}  // namespace jit::testing
