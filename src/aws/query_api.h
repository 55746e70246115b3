// One call to an AWS Query-protocol service (IAM, STS): an action and its form parameters in, the
// parsed XML reply out. Implemented by AwsQueryClient (signing, retries) and by fakes in tests.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/json_api.h"
#include "aws/query_xml.h"

namespace jit::aws {

// The form parameters of one call, in the order they are sent, names as the model spells them
// ("RoleName", "PolicyDocument", "Tags.member.1.Key"). The client adds Action and Version.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Thread-safe; blocks. Retries throttling ("Throttling", "ThrottlingException",
// "RequestLimitExceeded"), 5xx and transport errors within its own bounds before returning them.
// An error reply (<ErrorResponse>) comes back as AwsError with AWS's Code and Message; `body` is
// null (the XML is not kept).
class AwsQueryApi {
 public:
  virtual ~AwsQueryApi() = default;
  virtual std::expected<QueryXml, AwsError> call(std::string_view action, const QueryParams& params) = 0;
};

}  // namespace jit::aws
