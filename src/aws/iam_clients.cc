#include "aws/iam_clients.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace jit::aws {

Result<IamClientsConfig> IamClientsConfig::resolve(std::string region, const net::EnvLookup& env) {
  auto iam = resolve_endpoint(AwsService::iam, region, env);
  if (!iam) return fail(iam.error());
  auto sts = resolve_endpoint(AwsService::sts, region, env);
  if (!sts) return fail(sts.error());
  IamClientsConfig config;
  config.iam_endpoint = std::move(*iam);
  config.sts_endpoint = std::move(*sts);
  config.region = std::move(region);
  return config;
}

namespace {

AwsQueryClientConfig client_config(const IamClientsConfig& config, AwsService service) {
  const bool iam = service == AwsService::iam;
  auto out = AwsQueryClientConfig::for_service(service, iam ? config.iam_endpoint : config.sts_endpoint, config.region);
  out.transport.retry = config.retry;
  if (config.on_result)
    out.transport.on_result = [on_result = config.on_result, name = iam ? "iam" : "sts"](std::string_view operation,
                                                                                         std::string_view code) {
      on_result(name, operation, code);
    };
  return out;
}

}  // namespace

// One account's IAM client and the management role's credentials it signs with.
struct IamClients::Entry final : public AwsQueryApi {
  Entry(AwsQueryClientConfig iam_config, AssumeRoleRequest request, std::shared_ptr<AwsQueryApi> sts,
        net::HttpClient& http, const Clock& clock, ChainOptions options)
      : credentials(std::move(request), std::move(sts), clock, options),
        client(std::move(iam_config), credentials, http, clock) {}

  std::expected<QueryXml, AwsError> call(std::string_view action, const QueryParams& params) override {
    return client.call(action, params);
  }

  AssumeRoleCredentials credentials;
  AwsQueryClient client;
};

IamClients::IamClients(IamClientsConfig config, CredentialsProvider& base, net::HttpClient& http, const Clock& clock)
    : config_(std::move(config)),
      http_(http),
      clock_(clock),
      sts_(std::make_shared<AwsQueryClient>(client_config(config_, AwsService::sts), base, http, clock)) {}

Result<std::shared_ptr<AwsQueryApi>> IamClients::client_for(const IamRoleAccount& account) {
  if (account.management_role_arn.empty() || account.external_id.empty())
    return fail(Error::Invalid(fmt::format(
        "account {}: an iam-role account needs its management role ARN and external id", account.account_id)));
  std::lock_guard lock(mutex_);
  auto key = std::make_tuple(account.account_id, account.management_role_arn, account.external_id);
  if (auto it = clients_.find(key); it != clients_.end()) return it->second;
  AssumeRoleRequest request;
  request.role_arn = account.management_role_arn;
  request.external_id = account.external_id;
  request.duration = config_.role_duration;
  ChainOptions options;
  options.refresh_before = std::max(options.refresh_before, config_.role_duration - config_.credential_reuse);
  auto entry = std::make_shared<Entry>(client_config(config_, AwsService::iam), std::move(request), sts_, http_,
                                       clock_, options);
  clients_.emplace(std::move(key), entry);
  return entry;
}

IamApiFor make_iam_client_for(std::shared_ptr<IamClients> clients) {
  return [clients = std::move(clients)](const IamRoleAccount& account) { return clients->client_for(account); };
}

}  // namespace jit::aws
