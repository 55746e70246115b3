// AWS credentials as the signer needs them. A later task adds the provider chain
// (environment, shared files, container/instance metadata) that fills this in.
#pragma once

#include <string>

namespace jit::aws {

// secret_access_key and session_token are secrets: never log them or put them in an error
// message. session_token is empty for long-term (IAM user) keys.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

}  // namespace jit::aws
