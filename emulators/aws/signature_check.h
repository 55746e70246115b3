// Server-side SigV4 verification: recomputes a request's signature with aws/sigv4.h from the
// headers its Authorization says it signed, and refuses it the way AWS does.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "net/http.h"

namespace jit::emulators {

// Why a request was refused, as AWS reports it: HTTP status, error code, message.
struct AuthFailure {
  int status = 403;
  std::string code;  // "InvalidSignatureException", "UnrecognizedClientException", ...
  std::string message;
};

// Who signed, and for which scope.
struct SignedBy {
  std::string access_key_id;
  std::string region;
  std::string service;  // the scope's service: "sso", "identitystore", "sts"
};

// The scope's service name in the Authorization header, if there is a readable one (routing).
std::optional<std::string> authorization_service(const net::HttpRequest& request);

// Verifies the Authorization header of `request` against `accepted` key pairs:
// - no Authorization: 400 MissingAuthenticationTokenException;
// - Authorization or X-Amz-Date garbled or missing parts: 400 IncompleteSignatureException;
// - unknown access key, or a session token that does not match the key's: 403
//   UnrecognizedClientException "The security token included in the request is invalid.";
// - X-Amz-Date more than 15 minutes from `now`: 403 InvalidSignatureException "Signature expired"
//   / "Signature not yet current";
// - wrong region, service or date in the scope, or a wrong signature: 403 InvalidSignatureException.
// `expected_service` is the signing name the request's route needs ("sso", ...).
std::expected<SignedBy, AuthFailure> verify_sigv4(const net::HttpRequest& request,
                                                  const std::vector<aws::Credentials>& accepted,
                                                  std::string_view region, std::string_view expected_service,
                                                  std::chrono::system_clock::time_point now);

}  // namespace jit::emulators
