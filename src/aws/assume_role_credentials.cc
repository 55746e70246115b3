#include "aws/assume_role_credentials.h"

#include <fmt/format.h>

#include <utility>

#include "aws/sts_web_identity.h"

namespace jit::aws {

QueryParams assume_role_params(const AssumeRoleRequest& request) {
  QueryParams params = {{"RoleArn", request.role_arn}, {"RoleSessionName", request.session_name}};
  if (!request.external_id.empty()) params.emplace_back("ExternalId", request.external_id);
  params.emplace_back("DurationSeconds", std::to_string(request.duration.count()));
  if (!request.source_identity.empty()) params.emplace_back("SourceIdentity", request.source_identity);
  return params;
}

namespace {

// assume_role without the "STS AssumeRole of <role>: " its messages start with.
Result<TimedCredentials> call_assume_role(AwsQueryApi& sts, const AssumeRoleRequest& request) {
  auto reply = sts.call("AssumeRole", assume_role_params(request));
  if (!reply) {
    const AwsError& error = reply.error();
    std::string message = error.code;
    if (!error.message.empty()) message += ": " + error.message;
    if (error.retryable) return fail(Error::Unavailable(std::move(message)));
    if (error.code == "AccessDenied") return fail(Error::Denied(std::move(message)));
    return fail(Error::Invalid(std::move(message)));
  }
  return sts_credentials_of(*reply, "AssumeRoleResult");
}

}  // namespace

Result<TimedCredentials> assume_role(AwsQueryApi& sts, const AssumeRoleRequest& request) {
  auto credentials = call_assume_role(sts, request);
  if (!credentials)
    return fail(Error{credentials.error().code,
                      fmt::format("STS AssumeRole of {}: {}", request.role_arn, credentials.error().message)});
  return credentials;
}

namespace {

class AssumeRoleSource final : public CredentialSource {
 public:
  AssumeRoleSource(AssumeRoleRequest request, std::shared_ptr<AwsQueryApi> sts)
      : request_(std::move(request)), sts_(std::move(sts)) {}

  std::string name() const override { return fmt::format("STS AssumeRole of {}", request_.role_arn); }
  // The chain's messages start with name(): the role is not named twice.
  Result<TimedCredentials> fetch() override { return call_assume_role(*sts_, request_); }

 private:
  AssumeRoleRequest request_;
  std::shared_ptr<AwsQueryApi> sts_;
};

std::vector<std::unique_ptr<CredentialSource>> one_source(AssumeRoleRequest request, std::shared_ptr<AwsQueryApi> sts) {
  std::vector<std::unique_ptr<CredentialSource>> sources;
  sources.push_back(std::make_unique<AssumeRoleSource>(std::move(request), std::move(sts)));
  return sources;
}

}  // namespace

AssumeRoleCredentials::AssumeRoleCredentials(AssumeRoleRequest request, std::shared_ptr<AwsQueryApi> sts,
                                             const Clock& clock, ChainOptions options)
    : chain_(one_source(std::move(request), std::move(sts)), clock, options) {}

}  // namespace jit::aws
