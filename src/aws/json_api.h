// One call to an AWS JSON-protocol service (DynamoDB, sso-admin, identitystore): operation name
// in, JSON in, JSON out. Implemented by AwsJsonClient (signing, retries) and by fakes in tests.
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace jit::aws {

// An error as AWS reports it, or as the transport saw it.
struct AwsError {
  int http_status = 0;     // 0 when no response arrived
  std::string code;        // "ConditionalCheckFailedException", "ThrottlingException", ... or "Transport"
  std::string message;     // AWS's message (never a secret)
  nlohmann::json body;     // the whole error body, e.g. TransactionCanceledException's CancellationReasons
  bool retryable = false;  // throttling, 5xx, transport: retried already, may succeed later
};

// Thread-safe; blocks. Retries throttling, 5xx and transport errors within its own bounds before
// returning them.
class AwsJsonApi {
 public:
  virtual ~AwsJsonApi() = default;
  // `operation` without prefix, e.g. "PutItem"; the client adds the service's target prefix.
  virtual std::expected<nlohmann::json, AwsError> call(std::string_view operation, const nlohmann::json& input) = 0;
};

}  // namespace jit::aws
