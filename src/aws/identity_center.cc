#include "aws/identity_center.h"
#include "aws/identity_center_internal.h"
#include "core/text.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace jit::aws {
namespace {

using json = nlohmann::json;
using Millis = std::chrono::milliseconds;

// A ListAccountAssignments walk longer than this is a pagination loop, not a real account.
constexpr int kMaxListPages = 10'000;
// The principal cache drops its expired entries when it grows past this.
constexpr std::size_t kPurgeCacheAt = 4096;

using detail::logged;
using detail::mentions_any;
using detail::string_member;

constexpr OperationNames kCreation{"CreateAccountAssignment", "DescribeAccountAssignmentCreationStatus",
                                   "AccountAssignmentCreationStatus", "AccountAssignmentCreationRequestId"};
constexpr OperationNames kDeletion{"DeleteAccountAssignment", "DescribeAccountAssignmentDeletionStatus",
                                   "AccountAssignmentDeletionStatus", "AccountAssignmentDeletionRequestId"};
constexpr OperationNames kProvisioning{"ProvisionPermissionSet", "DescribePermissionSetProvisioningStatus",
                                       "PermissionSetProvisioningStatus", "ProvisionPermissionSetRequestId"};

std::string describe(const Assignment& a) {
  return fmt::format("principal {} on account {} with {}", a.principal, a.account_id, a.permission_set_arn);
}

// A FAILED status as an Error: Errc::unavailable when its reason speaks of a conflict,
// throttling or retrying, else Errc::invalid; the message carries AWS's FailureReason.
Error failed_error(const std::string& context, const json& status, const std::string& what) {
  const std::string reason = string_member(status, "FailureReason");
  std::string message = fmt::format("{}: request {} FAILED for {}: {}", context, string_member(status, "RequestId"),
                                    what, reason.empty() ? "(no reason given)" : reason);
  if (mentions_any(reason, {"conflict", "in progress", "throttl", "try again", "retry"}))
    return Error::Unavailable(std::move(message));
  return Error::Invalid(std::move(message));
}

}  // namespace

namespace detail {

bool mentions_any(const std::string& text, std::initializer_list<std::string_view> parts) {
  const std::string lower = jit::text::to_lower(text);
  return std::any_of(parts.begin(), parts.end(),
                     [&](std::string_view p) { return lower.find(p) != std::string::npos; });
}

std::string string_member(const json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

Error logged(Error error) {
  spdlog::warn("event=identity_center_failed code={} error=\"{}\"", errc_name(error.code), error.message);
  return error;
}

}  // namespace detail

Error error_from_aws(const std::string& context, const AwsError& error) {
  std::string message = fmt::format("{}: {}", context, error.code);
  if (!error.message.empty()) message += ": " + error.message;
  if (error.http_status > 0) message += fmt::format(" (HTTP {})", error.http_status);
  static constexpr std::array<std::string_view, 6> kTransient = {
      "ConflictException", "ThrottlingException", "InternalServerException", "Credentials", "InvalidResponse",
      "ExpiredTokenException"};
  static constexpr std::array<std::string_view, 4> kDenied = {
      "AccessDeniedException", "ServiceQuotaExceededException", "UnrecognizedClientException",
      "InvalidSignatureException"};
  if (error.retryable || error.http_status >= 500 || error.http_status == 429 ||
      std::find(kTransient.begin(), kTransient.end(), error.code) != kTransient.end())
    return Error::Unavailable(std::move(message));
  if (std::find(kDenied.begin(), kDenied.end(), error.code) != kDenied.end()) return Error::Denied(std::move(message));
  return Error::Invalid(std::move(message));
}

IdentityCenterProvider::IdentityCenterProvider(IdentityCenterConfig config, AwsJsonApi& sso_admin,
                                               AwsJsonApi& identitystore, const Clock& clock, AwsJsonApi* scheduler)
    : config_(std::move(config)),
      sso_admin_(sso_admin),
      identitystore_(identitystore),
      clock_(clock),
      scheduler_(scheduler),
      policy_locks_(clock, {config_.locks, config_.lock_owner,
                            config_.options.operation_deadline + config_.lock_margin,
                            std::clamp(config_.options.poll_jitter, 0.0, 1.0)}) {
  auto& o = config_.options;
  o.poll_first_delay = std::max(o.poll_first_delay, Millis{1});
  o.poll_initial_delay = std::max(o.poll_initial_delay, Millis{1});
  o.poll_max_delay = std::max(o.poll_max_delay, o.poll_initial_delay);
  o.poll_multiplier = std::max(o.poll_multiplier, 1.0);
  o.poll_jitter = std::clamp(o.poll_jitter, 0.0, 1.0);
  o.list_page_size = std::clamp(o.list_page_size, 1, 100);
}

Result<std::string> IdentityCenterProvider::resolve_principal(const std::string& email, const std::string&) {
  if (email.empty()) return fail(logged(Error::Invalid("identitystore GetUserId: the e-mail address is empty")));
  const TimePoint now = clock_.now();
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = principal_cache_.find(email); it != principal_cache_.end()) {
      if (now < it->second.expires_at) return it->second.user_id;
      principal_cache_.erase(it);
    }
  }
  const json input = {
      {"IdentityStoreId", config_.identity_store_id},
      {"AlternateIdentifier", {{"UniqueAttribute", {{"AttributePath", "emails.value"}, {"AttributeValue", email}}}}}};
  auto r = identitystore_.call("GetUserId", input);
  if (!r) {
    if (r.error().code == "ResourceNotFoundException")
      return fail(logged(Error::NotFound(fmt::format("no Identity Center user has e-mail {} (identity store {})", email,
                                                     config_.identity_store_id))));
    return fail(logged(error_from_aws("identitystore GetUserId", r.error())));
  }
  std::string user_id = string_member(*r, "UserId");
  if (user_id.empty())
    return fail(logged(Error::Unavailable("identitystore GetUserId: the response has no UserId")));
  if (config_.options.principal_cache_ttl > Seconds{0}) {
    std::lock_guard lock(cache_mutex_);
    if (principal_cache_.size() >= kPurgeCacheAt)
      std::erase_if(principal_cache_, [&](const auto& entry) { return entry.second.expires_at <= now; });
    principal_cache_[email] = {user_id, now + config_.options.principal_cache_ttl};
  }
  return user_id;
}

Result<> IdentityCenterProvider::grant(const Assignment& assignment, const GrantTerms&) {
  Deadline deadline(clock_, config_.options.operation_deadline);
  auto listed = list(assignment.account_id, assignment.permission_set_arn);
  if (!listed) return fail(listed.error());
  if (std::find(listed->begin(), listed->end(), assignment) != listed->end()) return {};
  return run_operation(Kind::creation, assignment, deadline);
}

Result<> IdentityCenterProvider::revoke(const Assignment& assignment) {
  Deadline deadline(clock_, config_.options.operation_deadline);
  return run_operation(Kind::deletion, assignment, deadline);
}

Result<> IdentityCenterProvider::run_operation(Kind kind, const Assignment& a, Deadline& deadline) {
  const OperationNames& names = kind == Kind::creation ? kCreation : kDeletion;
  const std::string context = fmt::format("sso-admin {}", names.start);
  const json input = {{"InstanceArn", config_.instance_arn}, {"TargetId", a.account_id},
                      {"TargetType", "AWS_ACCOUNT"},          {"PermissionSetArn", a.permission_set_arn},
                      {"PrincipalType", "USER"},              {"PrincipalId", a.principal}};
  auto started = sso_admin_.call(names.start, input);
  if (!started) {
    if (kind == Kind::deletion && started.error().code == "ResourceNotFoundException") {
      spdlog::info("event=identity_center_already_revoked {} message=\"{}\"", describe(a), started.error().message);
      return {};
    }
    return fail(logged(error_from_aws(context, started.error())));
  }
  json status = started->contains(names.status_member) ? (*started)[names.status_member] : json::object();
  auto final_status = follow_status(names, std::move(status), context, describe(a), deadline);
  if (!final_status) return fail(final_status.error());
  if (string_member(*final_status, "Status") == "SUCCEEDED") return {};
  const std::string reason = string_member(*final_status, "FailureReason");
  if (kind == Kind::creation && mentions_any(reason, {"already exist"})) {
    spdlog::info("event=identity_center_already_granted {} reason=\"{}\"", describe(a), reason);
    return {};
  }
  if (kind == Kind::deletion && mentions_any(reason, {"not exist", "not found", "n't exist", "no longer exist", "notfound"})) {
    spdlog::info("event=identity_center_already_revoked {} reason=\"{}\"", describe(a), reason);
    return {};
  }
  return fail(logged(failed_error(context, *final_status, describe(a))));
}

// The polling loop every asynchronous sso-admin operation shares: waits (first delay, then
// exponential with jitter), polls, and stops at SUCCEEDED, FAILED or the deadline.
Result<json> IdentityCenterProvider::follow_status(const OperationNames& names, json status,
                                                   const std::string& context, const std::string& what,
                                                   Deadline& deadline) {
  const std::string request_id = string_member(status, "RequestId");
  Millis delay = config_.options.poll_first_delay;
  bool first_wait = true;
  while (true) {
    // The model does not promise a Status: a missing one is treated as IN_PROGRESS and polled.
    const std::string state = string_member(status, "Status");
    if (state == "SUCCEEDED" || state == "FAILED") return status;
    if (request_id.empty())
      return fail(logged(Error::Unavailable(fmt::format("{}: status {} without a RequestId to follow", context,
                                                        state.empty() ? "(none)" : state))));
    const Millis remaining = deadline.remaining();
    if (remaining <= Millis{0})
      return fail(logged(Error::Unavailable(
          fmt::format("{}: request {} for {} still IN_PROGRESS after {} ms; retry (the call is idempotent)", context,
                      request_id, what, deadline.limit().count()))));
    clock_.sleep_for(std::min(jittered(delay, config_.options.poll_jitter, clock_.random()), remaining));
    const double next = static_cast<double>(delay.count()) * config_.options.poll_multiplier;
    delay = std::exchange(first_wait, false)
                ? config_.options.poll_initial_delay
                : std::min(config_.options.poll_max_delay, Millis{static_cast<Millis::rep>(next)});

    auto polled = sso_admin_.call(names.describe,
                                  {{"InstanceArn", config_.instance_arn}, {names.request_member, request_id}});
    if (!polled) {
      // The operation itself is still under way in AWS: a poll that failed transiently is retried.
      if (error_from_aws("", polled.error()).code == Errc::unavailable) {
        spdlog::warn("event=identity_center_poll_failed request_id={} code={}", request_id, polled.error().code);
        continue;
      }
      return fail(logged(error_from_aws(fmt::format("sso-admin {}", names.describe), polled.error())));
    }
    status = polled->contains(names.status_member) ? (*polled)[names.status_member] : json::object();
  }
}

Result<> IdentityCenterProvider::provision(const std::string& permission_set_arn, const std::string& account_id,
                                           Deadline& deadline) {
  const std::string context = fmt::format("sso-admin {}", kProvisioning.start);
  const std::string what = fmt::format("{} on account {}", permission_set_arn, account_id);
  const json input = {{"InstanceArn", config_.instance_arn},
                      {"PermissionSetArn", permission_set_arn},
                      {"TargetType", "AWS_ACCOUNT"},
                      {"TargetId", account_id}};
  for (Millis wait = config_.options.poll_first_delay;; wait = std::min(wait * 2, config_.options.poll_max_delay)) {
    auto started = sso_admin_.call(kProvisioning.start, input);
    if (!started) {
      // ConflictException: another provisioning of this account (or an assignment) is under
      // way; AWS recommends a retry with backoff.
      const Millis remaining = deadline.remaining();
      if (started.error().code != "ConflictException" || remaining <= Millis{0})
        return fail(logged(error_from_aws(context, started.error())));
      clock_.sleep_for(std::min(jittered(wait, config_.options.poll_jitter, clock_.random()), remaining));
      continue;
    }
    json status = started->contains(kProvisioning.status_member) ? (*started)[kProvisioning.status_member]
                                                                : json::object();
    auto final_status = follow_status(kProvisioning, std::move(status), context, what, deadline);
    if (!final_status) return fail(final_status.error());
    if (string_member(*final_status, "Status") == "SUCCEEDED") return {};
    // A FAILED provisioning is permanent (Errc::invalid) unless it speaks of a conflict: a policy
    // over IAM's size limit lands here.
    return fail(logged(failed_error(context, *final_status, what)));
  }
}

Result<std::vector<Assignment>> IdentityCenterProvider::list(const std::string& account_id,
                                                             const std::string& permission_set_arn) {
  std::vector<Assignment> out;
  std::string token;
  for (int page = 0; page < kMaxListPages; ++page) {
    json input = {{"InstanceArn", config_.instance_arn},
                  {"AccountId", account_id},
                  {"PermissionSetArn", permission_set_arn},
                  {"MaxResults", config_.options.list_page_size}};
    if (!token.empty()) input["NextToken"] = token;
    auto r = sso_admin_.call("ListAccountAssignments", input);
    if (!r) return fail(logged(error_from_aws("sso-admin ListAccountAssignments", r.error())));
    if (auto it = r->find("AccountAssignments"); it != r->end() && it->is_array()) {
      for (const auto& entry : *it) {
        if (string_member(entry, "PrincipalType") != "USER") continue;
        Assignment a{string_member(entry, "PrincipalId"), string_member(entry, "AccountId"),
                     string_member(entry, "PermissionSetArn")};
        if (a.account_id.empty()) a.account_id = account_id;
        if (a.permission_set_arn.empty()) a.permission_set_arn = permission_set_arn;
        if (!a.principal.empty()) out.push_back(std::move(a));
      }
    }
    std::string next = string_member(*r, "NextToken");  // absent or null on the last page
    if (next.empty()) return out;
    if (next == token)
      return fail(logged(Error::Unavailable("sso-admin ListAccountAssignments: the same NextToken came back twice")));
    token = std::move(next);
  }
  return fail(logged(Error::Unavailable(
      fmt::format("sso-admin ListAccountAssignments: more than {} pages for account {}", kMaxListPages, account_id))));
}

}  // namespace jit::aws
