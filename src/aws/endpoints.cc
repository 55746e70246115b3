#include "aws/endpoints.h"
#include "core/text.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace jit::aws {

const ServiceInfo& service_info(AwsService service) {
  static const ServiceInfo kDynamoDb{"DYNAMODB", "dynamodb", "dynamodb", "DynamoDB_20120810", "1.0"};
  static const ServiceInfo kSsoAdmin{"SSO_ADMIN", "sso", "sso", "SWBExternalService", "1.1"};
  static const ServiceInfo kIdentityStore{"IDENTITYSTORE", "identitystore", "identitystore", "AWSIdentityStore", "1.1"};
  static const ServiceInfo kSts{"STS", "sts", "sts", "", "", "2011-06-15"};
  static const ServiceInfo kScheduler{"SCHEDULER", "scheduler", "scheduler", "", ""};
  static const ServiceInfo kIam{"IAM", "iam", "iam", "", "", "2010-05-08", "https://iam.amazonaws.com", "us-east-1"};
  switch (service) {
    case AwsService::dynamodb: return kDynamoDb;
    case AwsService::sso_admin: return kSsoAdmin;
    case AwsService::identitystore: return kIdentityStore;
    case AwsService::sts: return kSts;
    case AwsService::scheduler: return kScheduler;
    case AwsService::iam: return kIam;
  }
  return kDynamoDb;
}

Result<net::Endpoint> resolve_endpoint(AwsService service, std::string_view region, const net::EnvLookup& env) {
  const auto& info = service_info(service);
  auto value = [&](const std::string& name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && !v->empty()) return v;
    return std::nullopt;
  };
  auto ignore = value("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (!ignore || !text::iequals(*ignore, "true")) {
    for (const std::string& name : {fmt::format("AWS_ENDPOINT_URL_{}", info.env_id), std::string("AWS_ENDPOINT_URL")}) {
      if (auto url = value(name)) {
        auto endpoint = net::Endpoint::parse(*url);
        if (!endpoint) return fail(Error::Invalid(fmt::format("{}: {}", name, endpoint.error().message)));
        return endpoint;
      }
    }
  }
  if (!info.global_endpoint.empty()) return net::Endpoint::parse(info.global_endpoint);
  if (region.empty())
    return fail(Error::Invalid(fmt::format(
        "no AWS region for {}: set AWS_REGION (or a region in the AWS profile), or AWS_ENDPOINT_URL_{}",
        info.endpoint_prefix, info.env_id)));
  const bool valid_region = std::all_of(region.begin(), region.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '-';
  });
  if (!valid_region) return fail(Error::Invalid(fmt::format("AWS region '{}' is not a region name", region)));
  const std::string_view suffix = region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return net::Endpoint::parse(fmt::format("https://{}.{}.{}", info.endpoint_prefix, region, suffix));
}

}  // namespace jit::aws
