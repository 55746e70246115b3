// The emulated services' state and operations: sso-admin account assignments (asynchronous),
// identity-store users, and STS web-identity sessions. Transport-free: JSON (or form fields) in,
// JSON (or XML) out, so the HTTP layer (aws_emulator.cc) only routes, verifies and injects faults.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "aws_emulator.h"

namespace jit::emulators {

class Validator;

// An error answer: status, AWS error code, message, and extra members of the error body.
struct ApiError {
  int status = 400;
  std::string code;
  std::string message;
  nlohmann::json extra = nlohmann::json::object();
};

using ApiResult = std::expected<nlohmann::json, ApiError>;

// Thread-safe: one mutex guards everything (the emulator is not a benchmark target).
class EmulatorState {
 public:
  EmulatorState(const AwsEmulatorOptions& options, EmulatorClock clock);

  // `operation` without prefix ("CreateAccountAssignment"). Unknown: 400 UnknownOperationException.
  ApiResult sso_admin(std::string_view operation, const nlohmann::json& input);
  ApiResult identity_store(std::string_view operation, const nlohmann::json& input);
  // STS Query protocol: the decoded form fields in, the XML document out (errors: ApiError, which
  // the HTTP layer renders as STS's ErrorResponse XML).
  std::expected<std::string, ApiError> sts(const std::map<std::string, std::string>& form);

  // The configured key pairs plus unexpired credentials issued by AssumeRoleWithWebIdentity.
  std::vector<aws::Credentials> accepted_credentials();

  // Who signs with an unexpired web-identity session's key: "arn:aws:sts::<acct>:assumed-role/
  // <role>/<session>" (the IAM-role path's caller); nullopt for other keys.
  std::optional<std::string> web_identity_principal(std::string_view access_key_id);

  // {"assignments":[...], "in_progress":[...]} after settling what is due.
  nlohmann::json assignments();
  // The next `n` creations/deletions end FAILED.
  void fail_assignments(int n);
  int pending_assignment_failures();
  // Back to the state at start: seeded users only, no assignments, requests or sessions.
  void reset();

  std::string new_uuid();

  // --- Permission sets, inline policies, provisioning, sessions (permission_sets.cc, sessions.cc)
  // The sso-admin permission-set operations (Get/Put/DeleteInlinePolicy..., ProvisionPermissionSet,
  // DescribePermissionSetProvisioningStatus, DescribePermissionSet); nullopt: not one of them.
  std::optional<ApiResult> permission_set_operation(std::string_view operation, const nlohmann::json& input);
  // As AwsEmulator::open_session / session_allowed / inline_policy / provisioned_policy /
  // permission_sets. Errors: 409 (no assignment), 404 (unknown session), 422 (unevaluable policy).
  std::expected<EmulatedSession, ApiError> open_session(const std::string& principal, const std::string& account,
                                                        const std::string& permission_set_arn);
  std::expected<SessionVerdict, ApiError> session_allowed(const std::string& id,
                                                          std::optional<std::chrono::system_clock::time_point> at);
  std::optional<std::string> inline_policy(const std::string& permission_set_arn);
  std::optional<std::string> provisioned_policy(const std::string& permission_set_arn, const std::string& account);
  nlohmann::json permission_sets();
  // The control API's /_emulator/sessions[/<id>[?at=...]] and /_emulator/permission-sets: status
  // and JSON body; nullopt when `path` is neither.
  std::optional<std::pair<int, nlohmann::json>> session_control(std::string_view method, std::string_view path,
                                                                std::string_view query, std::string_view body);

 private:
  struct Assignment {
    std::string instance_arn, account_id, permission_set_arn, principal_type, principal_id;
    std::chrono::system_clock::time_point created;
    bool same(const Assignment& o) const {
      return instance_arn == o.instance_arn && account_id == o.account_id &&
             permission_set_arn == o.permission_set_arn && principal_type == o.principal_type &&
             principal_id == o.principal_id;
    }
  };
  struct Request {
    std::string id;
    bool deletion = false;
    Assignment assignment;
    std::chrono::system_clock::time_point created, due;
    std::string status = "IN_PROGRESS";
    std::string failure_reason;
    bool inject_failure = false;
  };
  struct User {
    std::string id, user_name, display_name, email;
  };
  struct Session {
    aws::Credentials credentials;
    std::chrono::system_clock::time_point expires;
    std::string assumed_role_arn;  // "arn:aws:sts::<acct>:assumed-role/<role>/<session>"
  };

  ApiResult assignment_request(const nlohmann::json& input, bool deletion);
  ApiResult describe_request(const nlohmann::json& input, bool deletion);
  ApiResult list_assignments(const nlohmann::json& input);
  ApiResult list_instances(const nlohmann::json& input);
  ApiResult get_user_id(const nlohmann::json& input);
  ApiResult create_user(const nlohmann::json& input);
  ApiResult list_users(const nlohmann::json& input);
  std::expected<void, ApiError> check_identity_store(const nlohmann::json& input);
  void settle(std::chrono::system_clock::time_point now);  // REQUIRES: mutex_ held
  std::string random_chars(std::string_view alphabet, int n);  // REQUIRES: mutex_ held
  std::string new_uuid_locked();
  std::string new_user_id_locked();
  nlohmann::json status_json(const Request& request) const;
  nlohmann::json user_json(const User& user) const;

  // --- Permission sets (permission_sets.cc, sessions.cc); mutex_ guards them too.
  struct PermissionSet {
    std::string arn, name, session_duration, inline_policy;  // inline_policy empty: none
    std::chrono::system_clock::time_point created;
  };
  struct Provisioning {
    std::string id, permission_set_arn, account_id;  // account_id empty: ALL_PROVISIONED_ACCOUNTS
    std::vector<std::string> accounts;               // the accounts it writes to
    std::string document;                            // the inline policy when requested
    std::chrono::system_clock::time_point created, due;
    std::string status = "IN_PROGRESS";
    std::string failure_reason;
  };
  struct AccountSession {
    EmulatedSession session;
    std::string principal, account, permission_set_arn;
  };
  void seed_permission_sets();  // REQUIRES: mutex_ held (or construction)
  // The permission set `arn`, made with the defaults when unseeded. REQUIRES: mutex_ held.
  PermissionSet& known_permission_set(const std::string& arn);
  std::expected<PermissionSet*, ApiError> find_permission_set(Validator& v);
  ApiResult get_inline_policy(const nlohmann::json& input);
  ApiResult put_inline_policy(const nlohmann::json& input, bool remove);
  ApiResult provision(const nlohmann::json& input);
  ApiResult describe_provisioning(const nlohmann::json& input);
  ApiResult describe_permission_set(const nlohmann::json& input);
  nlohmann::json provisioning_json(const Provisioning& p) const;
  // The latest inline policy goes to `account` when it has no copy yet (CreateAccountAssignment).
  void provision_on_assignment(const std::string& permission_set_arn, const std::string& account);
  void settle_provisioning(std::chrono::system_clock::time_point now);  // REQUIRES: mutex_ held
  std::map<std::string, PermissionSet> permission_sets_;
  std::map<std::pair<std::string, std::string>, std::string> provisioned_;  // (arn, account) -> copy
  std::vector<Provisioning> provisionings_;
  std::vector<AccountSession> account_sessions_;
  // --- end of permission sets

  const AwsEmulatorOptions options_;
  const EmulatorClock clock_;
  std::mutex mutex_;
  std::mt19937_64 random_;
  std::vector<Assignment> assignments_;  // in creation order: pagination walks it
  std::vector<Request> requests_;
  std::vector<User> users_;
  std::vector<User> seeded_users_;
  std::vector<Session> sessions_;
  int fail_assignments_ = 0;
};

// The control API's `at` query parameter ("at=2026-12-03T15:16:29Z"): nullopt when absent, the
// reason when malformed.
std::expected<std::optional<std::chrono::system_clock::time_point>, std::string> at_parameter(std::string_view query);
// A session verdict (or its error: 404, 409, 422 with allowed/reason/statement) as the control
// API answers it.
std::pair<int, nlohmann::json> verdict_answer(const std::expected<SessionVerdict, ApiError>& verdict);

// STS's ErrorResponse XML for `error`.
std::string sts_error_xml(const ApiError& error, std::string_view request_id);

// What is wrong with a seeded permission set (its ARN or SessionDuration); nullopt: nothing.
std::optional<std::string> permission_set_problem(const EmulatedPermissionSet& permission_set);
// "PT1H", "PT12H", "P1DT2H30M", "PT90S" -> seconds; nullopt for other forms or a zero duration.
std::optional<std::chrono::seconds> parse_iso_duration(std::string_view text);

// "2026-11-25T00:30:00Z"
std::string iso8601(std::chrono::system_clock::time_point t);

}  // namespace jit::emulators
