#include "app/aws_services.h"

#include <fmt/format.h>

#include <mutex>

#include "aws/credentials_chain.h"
#include "aws/endpoints.h"
#include "aws/iam_clients.h"
#include "aws/json_client.h"
#include "aws/rest_json_client.h"
#include "aws/shared_config.h"
#include "net/https_client.h"
#include "ports/clock.h"

namespace jit {

struct AwsServices::Parts {
  const Clock* clock = nullptr;
  std::string region;
  std::unique_ptr<net::HttpClient> http;
  std::unique_ptr<net::HttpClient> metadata_http;
  std::unique_ptr<aws::CredentialsChain> credentials;
  std::unique_ptr<aws::AwsJsonClient> dynamodb, sso_admin, identitystore;
  std::unique_ptr<aws::AwsRestJsonClient> scheduler;
  CallObserver on_result;
  std::mutex iam_mutex;
  std::shared_ptr<aws::IamClients> iam;  // made on first need
};

AwsServices::AwsServices(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
AwsServices::~AwsServices() = default;

Result<std::shared_ptr<AwsServices>> AwsServices::create(const AwsSettings& settings, const Clock& clock,
                                                         CallObserver on_result) {
  auto parts = std::make_unique<Parts>();
  parts->clock = &clock;
  parts->on_result = on_result;
  if (!settings.region.empty()) {
    parts->region = settings.region;
  } else if (auto region = aws::resolve_region(net::process_env)) {
    parts->region = *region;
  } else {
    return fail(Error::Invalid("no AWS region: set [aws].region in the policy, or AWS_REGION"));
  }
  parts->http = net::make_http_client();
  parts->metadata_http = net::make_http_client(aws::metadata_client_options());
  parts->credentials = aws::make_default_credentials_chain(
      clock, aws::DefaultChainInputs{.http = parts->http.get(), .metadata_http = parts->metadata_http.get()});
  auto client_config = [&](aws::AwsService service, std::string_view name) -> Result<aws::AwsJsonClientConfig> {
    auto endpoint = aws::resolve_endpoint(service, parts->region);
    if (!endpoint) return fail(endpoint.error());
    auto config = aws::AwsJsonClientConfig::for_service(service, *endpoint, parts->region);
    if (on_result)
      config.on_result = [on_result, name](std::string_view operation, std::string_view code) {
        on_result(name, operation, code);
      };
    return config;
  };
  auto client = [&](aws::AwsService service, std::string_view name) -> Result<std::unique_ptr<aws::AwsJsonClient>> {
    auto config = client_config(service, name);
    if (!config) return fail(config.error());
    return std::make_unique<aws::AwsJsonClient>(std::move(*config), *parts->credentials, *parts->http, clock);
  };
  auto ddb = client(aws::AwsService::dynamodb, "dynamodb");
  if (!ddb) return fail(ddb.error());
  auto sso = client(aws::AwsService::sso_admin, "sso-admin");
  if (!sso) return fail(sso.error());
  auto ids = client(aws::AwsService::identitystore, "identitystore");
  if (!ids) return fail(ids.error());
  parts->dynamodb = std::move(*ddb);
  parts->sso_admin = std::move(*sso);
  parts->identitystore = std::move(*ids);
  auto scheduler = client_config(aws::AwsService::scheduler, "scheduler");
  if (!scheduler) return fail(scheduler.error());
  parts->scheduler = std::make_unique<aws::AwsRestJsonClient>(std::move(*scheduler), aws::scheduler_bindings(),
                                                              *parts->credentials, *parts->http, clock);
  return std::shared_ptr<AwsServices>(new AwsServices(std::move(parts)));
}

aws::AwsJsonApi& AwsServices::dynamodb() { return *parts_->dynamodb; }
aws::AwsJsonApi& AwsServices::sso_admin() { return *parts_->sso_admin; }
aws::AwsJsonApi& AwsServices::identitystore() { return *parts_->identitystore; }
aws::AwsJsonApi& AwsServices::scheduler() { return *parts_->scheduler; }
Result<std::shared_ptr<aws::IamClients>> AwsServices::iam_clients(Seconds credential_reuse) {
  std::lock_guard lock(parts_->iam_mutex);
  if (parts_->iam) return parts_->iam;
  auto config = aws::IamClientsConfig::resolve(parts_->region);
  if (!config) return fail(config.error());
  config->on_result = parts_->on_result;
  config->credential_reuse = credential_reuse;
  parts_->iam = std::make_shared<aws::IamClients>(std::move(*config), *parts_->credentials, *parts_->http, *parts_->clock);
  return parts_->iam;
}

const std::string& AwsServices::region() const { return parts_->region; }
const Clock& AwsServices::clock() const { return *parts_->clock; }

namespace {
// Forwards to one service's client and owns everything it depends on.
class OwningApi final : public aws::AwsJsonApi {
 public:
  OwningApi(std::shared_ptr<AwsServices> owner, aws::AwsJsonApi& api) : owner_(std::move(owner)), api_(api) {}
  std::expected<nlohmann::json, aws::AwsError> call(std::string_view operation, const nlohmann::json& input) override {
    return api_.call(operation, input);
  }

 private:
  std::shared_ptr<AwsServices> owner_;
  aws::AwsJsonApi& api_;
};
}  // namespace

std::shared_ptr<aws::AwsJsonApi> AwsServices::dynamodb_handle(std::shared_ptr<AwsServices> services) {
  aws::AwsJsonApi& api = services->dynamodb();
  return std::make_shared<OwningApi>(std::move(services), api);
}

}  // namespace jit
