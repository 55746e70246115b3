// AwsJsonClient: the AwsJsonApi of production. Signs each attempt with SigV4, sends it with a
// net::HttpClient, parses AWS's JSON errors, and retries what may succeed later.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "aws/json_api.h"
#include "net/http.h"
#include "ports/clock.h"

namespace jit::aws {

struct AwsJsonClientConfig {
  net::Endpoint endpoint;     // requests go to POST <endpoint.base_path>/
  std::string signing_name;   // "dynamodb", "sso" (sso-admin), "identitystore"
  std::string target_prefix;  // "DynamoDB_20120810", "SWBExternalService", "AWSIdentityStore"
  std::string json_version;   // "1.0" (DynamoDB) or "1.1"
  std::string region;         // "us-east-1"
  net::RetryPolicy retry;     // attempts include the first; the waits between them are the clock's
  // Optional, after each call (all attempts done): the operation and AWS's error code ("" when
  // it succeeded). Metrics count calls with it; must be thread-safe.
  std::function<void(std::string_view operation, std::string_view error_code)> on_result;

  // The wire facts of `service` (signing name, target prefix, JSON version) filled in; `region` is
  // the signing region except for a global service (iam: us-east-1 whatever `region` says).
  static AwsJsonClientConfig for_service(AwsService service, net::Endpoint endpoint, std::string region);
};

// Thread-safe (as long as the credentials provider and HTTP client are). Each attempt asks
// `credentials` again and signs at `clock.now()`, so refreshed credentials and a retried request
// after a long backoff both sign correctly. Backoffs sleep on `clock` with its random() as jitter.
//
// Errors: AWS's code after '#' in __type (or x-amzn-ErrorType), its "message"/"Message", and the
// whole body; "Transport" when no response arrived (http_status 0); "Credentials" / "Signing" when
// the request could not be signed; "InvalidResponse" when a 200 body is not JSON.
// Retried with exponential backoff and full jitter: throttling codes (ThrottlingException,
// ThrottledException, ProvisionedThroughputExceededException, RequestLimitExceeded,
// TooManyRequestsException, TransactionInProgressException), HTTP 429 and 5xx, transport
// errors. Nothing else. Each failed call logs one line (operation, endpoint, code, attempts);
// never credentials or request bodies.
class AwsJsonClient final : public AwsJsonApi {
 public:
  AwsJsonClient(AwsJsonClientConfig config, CredentialsProvider& credentials, net::HttpClient& http,
                const Clock& clock);

  std::expected<nlohmann::json, AwsError> call(std::string_view operation, const nlohmann::json& input) override;

  // One signed attempt's request, as it goes on the wire (for tests and the benchmark).
  Result<net::HttpRequest> build_request(std::string_view operation, const std::string& body,
                                         const Credentials& credentials) const;

  const AwsJsonClientConfig& config() const { return config_; }

 private:
  AwsJsonClientConfig config_;
  CredentialsProvider& credentials_;
  net::HttpClient& http_;
  const Clock& clock_;
};

// Signs `request` in place with SigV4 for `config`'s region and signing name at `time`.
Result<> sign_request(const AwsJsonClientConfig& config, net::HttpRequest& request, const Credentials& credentials,
                      TimePoint time);

// Builds one attempt's request, signed with `credentials` (a retry builds it again, signed afresh).
using SignedRequestBuilder = std::function<Result<net::HttpRequest>(const Credentials& credentials)>;

// How one protocol reads the replies send_signed_with gets: `error` turns a non-2xx response into
// an AwsError (its `retryable` decides whether to try again); `success` takes a 2xx response and
// keeps what it decodes, or says why it cannot (an AwsError such as "InvalidResponse", not
// retried).
struct ReplyReader {
  std::function<AwsError(const net::HttpResponse& response)> error;
  std::function<std::expected<void, AwsError>(const net::HttpResponse& response)> success;
};

// The transport every AWS client shares (AwsJsonClient, AwsRestJsonClient, AwsQueryClient): per
// attempt, asks `credentials` and `build`s a signed request, sends it to `config.endpoint`, and
// hands a 2xx response to `reader.success`; retries the errors `reader.error` marks retryable and
// transport errors up to `config.retry.max_attempts` with backoff and full jitter on `clock`; logs
// one line per failed call and reports every call to `config.on_result`.
std::expected<void, AwsError> send_signed_with(const AwsJsonClientConfig& config, CredentialsProvider& credentials,
                                               net::HttpClient& http, const Clock& clock, std::string_view operation,
                                               const SignedRequestBuilder& build, const ReplyReader& reader);

// send_signed_with for the JSON protocols: a 2xx body parsed as JSON (empty: {}), errors read by
// parse_error_response. Errors as AwsJsonClient's.
std::expected<nlohmann::json, AwsError> send_signed(const AwsJsonClientConfig& config, CredentialsProvider& credentials,
                                                    net::HttpClient& http, const Clock& clock,
                                                    std::string_view operation, const SignedRequestBuilder& build);

// Whether AWS's error `code` means "slow down, then try again" (the JSON services' codes and the
// Query services' "Throttling").
bool is_throttling_code(std::string_view code);

// Parses an error response (any status but 200) into an AwsError.
AwsError parse_error_response(const net::HttpResponse& response);

}  // namespace jit::aws
