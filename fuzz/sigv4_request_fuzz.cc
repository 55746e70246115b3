// The SigV4 suite's request.txt format (tests/support/sigv4_request.h), and what our signer makes
// of whatever request it yields: canonical_request, sign_headers and presign_query refuse a
// malformed method, target or header with an error, never a crash; a signed request carries its
// Authorization header.
#include "aws/sigv4.h"
#include "fuzz_support.h"
#include "support/sigv4_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jit;
  auto request = sigv4_suite::parse_suite_request(fuzz::as_text(data, size));
  if (!request) {
    fuzz::check(!request.error().empty(), "a refused request says why");
    return 0;
  }
  const aws::Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "token"};
  aws::SigningParams params{.region = "us-east-1", .service = "service", .time = *parse_time("2015-08-30T12:36:00Z"),
                            .sign_body = size % 2 == 0, .normalize_path = size % 3 != 0};
  auto by_header = *request;
  if (auto signed_ = aws::sign_headers(by_header, credentials, params)) {
    bool has_authorization = false;
    for (const auto& [name, value] : by_header.headers) has_authorization |= name == "Authorization";
    fuzz::check(has_authorization, "a request signed by header has Authorization");
    fuzz::check(signed_->signature.size() == 64, "a signature is 64 hex digits");
  }
  auto by_query = *request;
  (void)aws::presign_query(by_query, credentials, params, Seconds{3600});
  return 0;
}
