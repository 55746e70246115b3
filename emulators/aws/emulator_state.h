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
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "aws_emulator.h"

namespace jit::emulators {

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

  // {"assignments":[...], "in_progress":[...]} after settling what is due.
  nlohmann::json assignments();
  // The next `n` creations/deletions end FAILED.
  void fail_assignments(int n);
  int pending_assignment_failures();
  // Back to the state at start: seeded users only, no assignments, requests or sessions.
  void reset();

  std::string new_uuid();

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

// STS's ErrorResponse XML for `error`.
std::string sts_error_xml(const ApiError& error, std::string_view request_id);

// "2026-11-25T00:30:00Z"
std::string iso8601(std::chrono::system_clock::time_point t);

}  // namespace jit::emulators
