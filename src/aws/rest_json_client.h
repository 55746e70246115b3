// AwsRestJsonClient: the AwsJsonApi of AWS's rest-json services (EventBridge Scheduler). The same
// call(operation, whole input) as AwsJsonClient; a binding table per operation moves the members
// that travel in the URI path or query out of the JSON body.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aws/json_client.h"

namespace jit::aws {

// Where one operation's members travel: `path` with "{Member}" placeholders (percent-encoded
// into the path), `query` members as query parameters (member name, parameter name); every other
// member in the JSON body (none for GET and DELETE).
struct RestBinding {
  std::string_view operation;  // "CreateSchedule"
  std::string_view method;     // "POST"
  std::string_view path;       // "/schedules/{Name}"
  std::vector<std::pair<std::string_view, std::string_view>> query;  // {"GroupName", "groupName"}
};

// The bindings of EventBridge Scheduler (scheduler/2021-06-30) that this project calls:
// CreateSchedule, GetSchedule, DeleteSchedule.
const std::vector<RestBinding>& scheduler_bindings();

// Thread-safe; signing, retries, errors and the failure log are send_signed's (json_client.h).
// A rest-json error carries its code in the x-amzn-ErrorType header or the body's "code"/"Code"/
// "__type", else it is named after the HTTP status ("Http404"); parse_error_response reads all.
// An operation without a binding, or a path member missing from the input, is an AwsError
// "UnknownOperation" / "Validation" (http_status 0) and nothing is sent.
class AwsRestJsonClient final : public AwsJsonApi {
 public:
  // `config` as AwsJsonClientConfig::for_service(AwsService::scheduler, ...): target_prefix and
  // json_version are unused.
  AwsRestJsonClient(AwsJsonClientConfig config, std::vector<RestBinding> bindings, CredentialsProvider& credentials,
                    net::HttpClient& http, const Clock& clock);

  std::expected<nlohmann::json, AwsError> call(std::string_view operation, const nlohmann::json& input) override;

  // One request as it goes on the wire, unsigned (for tests): method, target with query, body.
  std::expected<net::HttpRequest, AwsError> unsigned_request(std::string_view operation,
                                                             const nlohmann::json& input) const;

 private:
  AwsJsonClientConfig config_;
  std::vector<RestBinding> bindings_;
  CredentialsProvider& credentials_;
  net::HttpClient& http_;
  const Clock& clock_;
};

}  // namespace jit::aws
