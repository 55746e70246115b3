// AssumeRoleCredentials: the credentials of a role the service assumes with STS AssumeRole (the
// management role of an IAM-role account, issue 16), cached and renewed before they lapse.
#pragma once

#include <memory>
#include <string>

#include "aws/credentials_chain.h"
#include "aws/query_api.h"
#include "core/time.h"
#include "ports/clock.h"

namespace jit::aws {

// One AssumeRole call's parameters (sts/2011-06-15 AssumeRoleRequest).
struct AssumeRoleRequest {
  std::string role_arn;
  std::string external_id;                // empty: no ExternalId is sent
  std::string session_name = "jit-access";  // 2-64 of [\w+=,.@-]
  Seconds duration{3600};                 // DurationSeconds, 900..43200 (the role's maximum applies)
  // SourceIdentity (empty: not sent). A caller whose own session carries one must send that same
  // one or none (`aws sts assume-role --source-identity`, as the IAM-role path's DM says).
  std::string source_identity;
};

// The parameters of `request` as AssumeRole takes them: RoleArn, RoleSessionName, ExternalId (when
// set), DurationSeconds, SourceIdentity (when set).
QueryParams assume_role_params(const AssumeRoleRequest& request);

// Calls AssumeRole through `sts` (signed with the caller's own credentials) and reads
// AssumeRoleResult/Credentials. Errors name the role and STS's code and message, never a secret:
// Errc::unavailable for retryable failures (throttling, 5xx, transport: already retried by the
// client) and replies without the four Credentials fields, Errc::denied for AccessDenied (the
// role's trust policy or the external id), Errc::invalid otherwise.
Result<TimedCredentials> assume_role(AwsQueryApi& sts, const AssumeRoleRequest& request);

// A CredentialsProvider over assume_role: the first get() assumes the role; the credentials are
// kept until less than `options.refresh_before` (default 5 minutes) of them is left on `clock`,
// then renewed; a failed renewal keeps the old ones while they are valid (retried every
// `options.retry_after_failure`). Thread-safe: one AssumeRole call in flight, other callers wait
// for its result (CredentialsChain with this one source). Errc::unavailable when the role cannot
// be assumed, the message naming the role and STS's answer.
class AssumeRoleCredentials final : public CredentialsProvider {
 public:
  // `sts` must be signed with the service's own credentials; `clock` must outlive this.
  AssumeRoleCredentials(AssumeRoleRequest request, std::shared_ptr<AwsQueryApi> sts, const Clock& clock,
                        ChainOptions options = {});

  Result<Credentials> get() override { return chain_.get(); }

 private:
  CredentialsChain chain_;
};

}  // namespace jit::aws
