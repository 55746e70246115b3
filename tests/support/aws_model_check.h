// Requests checked against AWS's official models (tests/data/aws-models/<service>/<version>/
// service-2.json, botocore's), so a request that a lenient emulator or a fake would take but AWS
// would reject fails the test instead.
//
//   auto model = jit::testing::load_aws_model("sso-admin/2020-07-20");
//   auto problems = jit::testing::check_request(*model, "CreateAccountAssignment", input);
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aws/json_api.h"
#include "aws/query_api.h"
#include "core/error.h"
#include "net/http.h"

namespace jit::testing {

// The model of `service_dir` ("dynamodb/2012-08-10", "sso-admin/2020-07-20",
// "identitystore/2020-06-15", "sts/2011-06-15", "iam/2010-05-08") under tests/data/aws-models. Errc::not_found
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

// Query protocol (IAM, STS): `params` as the form parameters of `operation` (without Action and
// Version), read the way AWS reads them ("Tags.member.1.Key": the first Tag's Key; integers and
// booleans from their text; an empty value for a list is the empty list) into the operation's
// input, then checked as check_request does, except that a pattern must match the whole value (as
// IAM and STS validate: "[\w+=,.@-]*" refuses a space). Names that do not fit the input's shape
// are problems.
std::vector<std::string> check_query_request(const nlohmann::json& model, std::string_view operation,
                                             const aws::QueryParams& params);

// A whole form body as it goes on the wire: Action names an operation of `model`, Version is the
// model's apiVersion, and the rest as check_query_request.
std::vector<std::string> check_query_form(const nlohmann::json& model, std::string_view body);

// An AwsQueryApi that checks each call against `model` first (as ModelCheckedApi): a call with
// problems fails the current test and comes back as a ValidationError without being sent.
class ModelCheckedQueryApi final : public aws::AwsQueryApi {
 public:
  // `api` must outlive this.
  ModelCheckedQueryApi(aws::AwsQueryApi& api, nlohmann::json model, std::string service);
  std::expected<aws::QueryXml, aws::AwsError> call(std::string_view operation, const aws::QueryParams& params) override;

 private:
  aws::AwsQueryApi& api_;
  nlohmann::json model_;
  std::string service_;
};

// An HttpClient that checks every Query request it sends on the wire against the model of the
// service it is signed for (the service in the Authorization header's credential scope: "iam",
// "sts"), so calls a client makes internally (AssumeRoleCredentials' STS calls) are checked too.
// A request with problems, or for a service without a model here, fails the current test and is
// still sent. Counts what it checked.
class QueryModelCheckedHttp final : public net::HttpClient {
 public:
  // `http` must outlive this. Fails the current test when a model cannot be read.
  explicit QueryModelCheckedHttp(net::HttpClient& http);
  Result<net::HttpResponse> send(const net::Endpoint& endpoint, const net::HttpRequest& request) override;
  // How many requests were checked, per service ("iam", "sts").
  int checked(std::string_view service) const;

 private:
  net::HttpClient& http_;
  nlohmann::json iam_, sts_;
  mutable std::mutex mutex_;
  std::map<std::string, int, std::less<>> checked_;
};

}  // namespace jit::testing
