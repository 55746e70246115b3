// AWS credentials as the signer needs them. A later task adds the provider chain
// (environment, shared files, container/instance metadata) that fills this in.
#pragma once

#include <string>
#include <utility>

namespace jit::aws {

// secret_access_key and session_token are secrets: never log them or put them in an error
// message. session_token is empty for long-term (IAM user) keys.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

}  // namespace jit::aws

#include "core/error.h"

namespace jit::aws {

// Where credentials come from (environment, shared files, web identity, container or instance
// metadata). Thread-safe; may block on the network; temporary credentials are cached and
// refreshed before they expire. Errc::unavailable when no source has credentials, with a message
// that lists what was tried and never contains a secret.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual Result<Credentials> get() = 0;
};

}  // namespace jit::aws

namespace jit::aws {

// Fixed credentials (tests, emulators, or keys handed over explicitly).
class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials credentials) : credentials_(std::move(credentials)) {}
  Result<Credentials> get() override { return credentials_; }

 private:
  Credentials credentials_;
};

}  // namespace jit::aws
