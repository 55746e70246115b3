// The IAM clients of the IAM-role path (issue 16): for each account, an AwsQueryClient for IAM
// signed with the credentials of the account's management role, which the service assumes with
// STS AssumeRole (its own credentials, the account's external id, session name "jit-access").
// IamRoleProvider gets them through IamApiFor (iam_role_provider.h).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "aws/assume_role_credentials.h"
#include "aws/iam_role_provider.h"
#include "aws/query_client.h"
#include "net/https_client.h"

namespace jit::aws {

struct IamClientsConfig {
  net::Endpoint iam_endpoint;  // resolve_endpoint(AwsService::iam, ...): https://iam.amazonaws.com
  net::Endpoint sts_endpoint;  // resolve_endpoint(AwsService::sts, region)
  std::string region;          // STS's signing region (IAM is signed for us-east-1)
  net::RetryPolicy retry;      // both services' clients
  // Optional, as AwsJsonClientConfig::on_result: every IAM and STS call's outcome, with the service
  // ("iam", "sts"). Must be thread-safe.
  std::function<void(std::string_view service, std::string_view operation, std::string_view error_code)> on_result;
  Seconds role_duration{3600};  // AssumeRole's DurationSeconds
  // The management role's credentials are renewed after this much use, and in any case 5 minutes
  // before they lapse (IamRoleOptions::credential_reuse).
  Seconds credential_reuse{45 * 60};

  // Endpoints from the environment (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL,
  // then the public ones) for `region`. Errc::invalid as resolve_endpoint.
  static Result<IamClientsConfig> resolve(std::string region, const net::EnvLookup& env = net::process_env);
};

// Thread-safe. Clients are made on first use and kept, one per (account id, management role,
// external id): a reloaded policy that changes the role or the external id gets a new client, and
// the same account keeps its cached credentials otherwise. Making a client calls nothing; the
// first IAM call assumes the role (its failure comes back from that call as AwsError
// "Credentials" naming the role and STS's answer).
class IamClients {
 public:
  // `base` (the service's own credentials), `http` and `clock` must outlive this and every client
  // it hands out.
  IamClients(IamClientsConfig config, CredentialsProvider& base, net::HttpClient& http, const Clock& clock);

  // The IAM client of `account`. Errc::invalid naming the account when its management role ARN or
  // external id is empty.
  Result<std::shared_ptr<AwsQueryApi>> client_for(const IamRoleAccount& account);

 private:
  struct Entry;
  IamClientsConfig config_;
  net::HttpClient& http_;
  const Clock& clock_;
  std::shared_ptr<AwsQueryApi> sts_;
  std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, std::string>, std::shared_ptr<AwsQueryApi>> clients_;
};

// The IamApiFor of production: `clients`->client_for, keeping `clients` alive.
IamApiFor make_iam_client_for(std::shared_ptr<IamClients> clients);

}  // namespace jit::aws
