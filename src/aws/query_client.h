// AwsQueryClient: the AwsQueryApi of production, for AWS's Query-protocol services (IAM, STS).
// Each call is POST <endpoint>/ with the form body Action=...&Version=...&<params>, SigV4-signed,
// sent and retried by the transport the JSON clients share (send_signed_with in json_client.h);
// replies are XML (query_xml.h).
#pragma once

#include <string>
#include <string_view>

#include "aws/json_client.h"
#include "aws/query_api.h"

namespace jit::aws {

struct AwsQueryClientConfig {
  // Endpoint, signing name and region, retries and on_result as the JSON clients have them
  // (target_prefix and json_version are unused).
  AwsJsonClientConfig transport;
  std::string api_version;  // the Version parameter: "2010-05-08" (IAM), "2011-06-15" (STS)

  // `service`'s wire facts (AwsService::iam or AwsService::sts) at `endpoint`; `region` is the
  // signing region of a regional service (STS), ignored for IAM (signed for us-east-1).
  static AwsQueryClientConfig for_service(AwsService service, net::Endpoint endpoint, std::string region);
};

// The form body of one call: Action, Version, then `params` in their order, every name and value
// percent-encoded as RFC 3986 wants (unreserved characters kept; space is %20, never '+').
std::string query_form(std::string_view action, std::string_view version, const QueryParams& params);

// Reads a Query error reply (any status but 2xx): AWS's Code and Message from the ErrorResponse;
// when there is none, "ServiceUnavailable" for 5xx, else "Http<status>". Retryable: 5xx, 429 and
// the throttling codes of is_throttling_code ("Throttling", "ThrottlingException",
// "RequestLimitExceeded", ...). `body` is null.
AwsError parse_query_error_response(const net::HttpResponse& response);

// Thread-safe (as long as the credentials provider and HTTP client are). Signing, retries with
// backoff and jitter on `clock`, the one log line per failed call (never a credential or a form
// body) and on_result are send_signed_with's. Errors as AwsJsonClient's, read by
// parse_query_error_response; "InvalidResponse" when a 2xx body is not XML.
class AwsQueryClient final : public AwsQueryApi {
 public:
  // `credentials`, `http` and `clock` must outlive this.
  AwsQueryClient(AwsQueryClientConfig config, CredentialsProvider& credentials, net::HttpClient& http,
                 const Clock& clock);

  std::expected<QueryXml, AwsError> call(std::string_view action, const QueryParams& params) override;

  // One attempt's request as it goes on the wire, signed with `credentials` at `clock.now()`.
  Result<net::HttpRequest> build_request(const std::string& body, const Credentials& credentials) const;

  const AwsQueryClientConfig& config() const { return config_; }

 private:
  AwsQueryClientConfig config_;
  CredentialsProvider& credentials_;
  net::HttpClient& http_;
  const Clock& clock_;
};

}  // namespace jit::aws
