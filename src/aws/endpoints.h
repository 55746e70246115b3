// Which URL each AWS service is called at, following the AWS SDKs' convention for configured
// endpoints: AWS_ENDPOINT_URL_<SERVICE_ID>, then AWS_ENDPOINT_URL, then the public endpoint
// https://<endpoint prefix>.<region>.amazonaws.com (IAM: its global endpoint
// https://iam.amazonaws.com, signed for us-east-1). Pure: the environment comes in as a lookup.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "net/http.h"
#include "net/https_client.h"

namespace jit::aws {

enum class AwsService { dynamodb, sso_admin, identitystore, sts, scheduler, iam };

// The wire facts of one service (DESIGN.md, "AWS wire facts").
struct ServiceInfo {
  std::string_view env_id;           // "DYNAMODB", "SSO_ADMIN": the AWS_ENDPOINT_URL_<...> suffix
  std::string_view endpoint_prefix;  // "dynamodb", "sso", "identitystore", "sts"
  std::string_view signing_name;     // SigV4 service name: "dynamodb", "sso", "identitystore", "sts"
  std::string_view target_prefix;    // X-Amz-Target prefix; empty for sts (query) and scheduler (rest-json)
  std::string_view json_version;     // "1.0" (DynamoDB), "1.1" (sso-admin, identitystore); empty for sts, scheduler
  std::string_view query_version = {};    // the Query protocol's Version: "2011-06-15" (sts), "2010-05-08" (iam)
  // A global service (iam) is called at this URL and signed for `signing_region` whatever region
  // is configured (the standard partition's: aws-cn and aws-us-gov are not supported); empty for
  // regional services.
  std::string_view global_endpoint = {};
  std::string_view signing_region = {};
};

const ServiceInfo& service_info(AwsService service);

// The endpoint for `service`. `region` is needed only for the default endpoint (take it from
// aws::resolve_region in shared_config.h: AWS_REGION, AWS_DEFAULT_REGION, the profile). When
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is "true" the environment overrides are ignored.
// Errc::invalid naming the variable when a configured URL does not parse (net::Endpoint::parse
// rules: https, or http for loopback), or when no region is known and no URL is configured (a
// global service needs none).
Result<net::Endpoint> resolve_endpoint(AwsService service, std::string_view region,
                                       const net::EnvLookup& env = net::process_env);

}  // namespace jit::aws
