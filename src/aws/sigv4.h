// AWS Signature Version 4 (AWS4-HMAC-SHA256), by header (Authorization) or by query string
// (presigned URL). Checked against the official SigV4 test suite (tests/aws/sigv4_suite_test.cc).
//
// Every function is pure: time comes in SigningParams, nothing is read from the clock or the
// environment, and nothing is logged. Error messages name the field at fault, never the secret
// access key or the session token.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.h"
#include "core/error.h"
#include "core/time.h"
#include "net/http.h"

namespace jit::aws {

inline constexpr std::string_view kSigv4Algorithm = "AWS4-HMAC-SHA256";
// AWS rejects presigned URLs valid for longer than 7 days.
inline constexpr Seconds kMaxPresignExpiry{7 * 24 * 3600};

// The request to sign: the project's one HTTP request type. It must carry a Host header.
using HttpRequest = net::HttpRequest;

struct SigningParams {
  std::string region;      // "us-east-1"
  std::string service;     // the signing name: "dynamodb", "sso" (for sso-admin), "identitystore"
  TimePoint time;          // the signing time; the signature is valid for 15 minutes around it
  bool sign_body = false;  // also send (and sign) X-Amz-Content-Sha256
  bool normalize_path = true;  // remove dot segments and duplicate slashes (all but S3)
};

// A canonical request and the list of headers it signs ("host;x-amz-date").
struct CanonicalRequest {
  std::string text;
  std::string signed_headers;
};

// What one signing produced, for tests and debugging. canonical_request contains the session
// token when there is one: do not log it.
struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
};

// "20150830T123600Z"
std::string amz_date(TimePoint time);
// "20150830/us-east-1/service/aws4_request"
std::string credential_scope(const SigningParams& params);

// The canonical request for `request` exactly as it stands: every header is signed except
// Authorization, User-Agent, X-Amzn-Trace-Id and Expect (which proxies and SDKs rewrite).
// Errc::invalid when the method, target or a header is malformed or Host is missing.
Result<CanonicalRequest> canonical_request(const HttpRequest& request, const SigningParams& params);

// "AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256 of the canonical request>"
std::string string_to_sign(std::string_view canonical_request, const SigningParams& params);

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
// Raw 32 bytes: a secret, like the key it comes from.
std::string signing_key(std::string_view secret_access_key, const SigningParams& params);

// Lower-case hex HMAC(signing_key, string_to_sign).
std::string signature(const Credentials& credentials, const SigningParams& params,
                      std::string_view string_to_sign);

// Signs by header: sets X-Amz-Security-Token (when credentials have a session token; it is
// signed), X-Amz-Date, X-Amz-Content-Sha256 (when params.sign_body) and Authorization, replacing
// any earlier values of these, so re-signing a retried request is safe.
// On error `request` is unchanged.
Result<SigningResult> sign_headers(HttpRequest& request, const Credentials& credentials,
                                   const SigningParams& params);

// Signs by query string (a presigned URL valid for `expires`, 1 s to 7 days): appends
// X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Expires,
// X-Amz-Security-Token (when present) and X-Amz-Signature to request.target. Headers are left
// as they are; the ones the request has are signed. On error `request` is unchanged.
Result<SigningResult> presign_query(HttpRequest& request, const Credentials& credentials,
                                    const SigningParams& params, Seconds expires);

}  // namespace jit::aws
