// Requests checked against AWS's official models (tests/data/aws-models/<service>/<version>/
// service-2.json, botocore's), so a request that a lenient emulator or a fake would take but AWS
// would reject fails the test instead.
//
//   auto model = jit::testing::load_aws_model("sso-admin/2020-07-20");
//   auto problems = jit::testing::check_request(*model, "CreateAccountAssignment", input);
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aws/json_api.h"
#include "core/error.h"

namespace jit::testing {

// The model of `service_dir` ("dynamodb/2012-08-10", "sso-admin/2020-07-20",
// "identitystore/2020-06-15", "sts/2011-06-15") under tests/data/aws-models. Errc::not_found
// naming the path when it cannot be read.
Result<nlohmann::json> load_aws_model(std::string_view service_dir);

// What is wrong with `input` as the input of `operation`, one entry per problem, each naming its
// path ("CreateAccountAssignment.TargetId: ..."). Checked: the operation exists; members are known
// and required ones present; JSON types; enum values; string lengths; list sizes; integer ranges;
// patterns (searched, unanchored, as Smithy does; patterns in Java syntax std::regex cannot read, such as \p{L},
// are not checked). Document-typed members take any JSON.
std::vector<std::string> check_request(const nlohmann::json& model, std::string_view operation,
                                       const nlohmann::json& input);

// Calls `api` after checking each request against `model`. A request with problems fails the
// current test (ADD_FAILURE, naming `service`) and comes back as a ValidationException without
// being sent.
class ModelCheckedApi : public aws::AwsJsonApi {
 public:
  // `api` must outlive this.
  ModelCheckedApi(aws::AwsJsonApi& api, nlohmann::json model, std::string service);
  std::expected<nlohmann::json, aws::AwsError> call(std::string_view operation, const nlohmann::json& input) override;

 private:
  aws::AwsJsonApi& api_;
  nlohmann::json model_;
  std::string service_;
};

// `api` (owned) wrapped in a ModelCheckedApi for the model of `service_dir`. When the model cannot
// be read the current test fails and `api` comes back unwrapped.
std::unique_ptr<aws::AwsJsonApi> checked_against_model(std::unique_ptr<aws::AwsJsonApi> api,
                                                       std::string_view service_dir);

}  // namespace jit::testing
