// The AWS clients of the process, built once from the environment and the policy's [aws] table:
// one HTTPS client, the credentials chain, and a signed JSON client per service.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <string>

#include "aws/json_api.h"
#include "core/time.h"
#include "core/error.h"
#include "core/settings.h"
#include "ports/clock.h"

namespace jit {

namespace aws {
class IamClients;
}

class AwsServices {
 public:
  // Region: [aws].region, else AWS_REGION / AWS_DEFAULT_REGION / the profile's region.
  // Errc::invalid naming what to set when no region is known or an endpoint URL is malformed.
  // Credentials are looked up lazily, on the first call, so a process without AWS credentials
  // still starts (and says what is missing when AWS is first needed).
  // `on_result`, when set, sees every call's outcome: the service ("dynamodb", "sso-admin",
  // "identitystore", "scheduler"), the operation and AWS's error code ("" when it succeeded).
  using CallObserver =
      std::function<void(std::string_view service, std::string_view operation, std::string_view error_code)>;
  // `clock` (the process's one clock) must outlive the services.
  static Result<std::shared_ptr<AwsServices>> create(const AwsSettings& settings, const Clock& clock,
                                                     CallObserver on_result = {});
  ~AwsServices();

  aws::AwsJsonApi& dynamodb();
  aws::AwsJsonApi& sso_admin();
  aws::AwsJsonApi& identitystore();
  // EventBridge Scheduler (rest-json; AWS_ENDPOINT_URL_SCHEDULER), for scheduled revokes.
  aws::AwsJsonApi& scheduler();
  // The IAM clients of the IAM-role path (issue 16): each account's management role assumed with
  // this process's credentials (aws/iam_clients.h), made on first need and kept. Errc::invalid when
  // AWS_ENDPOINT_URL_IAM / _STS is malformed. Calls nothing.
  Result<std::shared_ptr<aws::IamClients>> iam_clients(Seconds credential_reuse);
  const std::string& region() const;
  // The clock the services were made with (the process's one clock).
  const Clock& clock() const;

  // A handle on one service that keeps all of this alive (for stores that outlive their creator).
  static std::shared_ptr<aws::AwsJsonApi> dynamodb_handle(std::shared_ptr<AwsServices> services);

 private:
  struct Parts;
  explicit AwsServices(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace jit
