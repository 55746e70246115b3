// The IAM-role path of the emulator (README.md, "IAM roles"): IAM's role operations (Query
// protocol), STS AssumeRole with the target role's trust policy evaluated for the caller known by
// its access key, the temporary credentials it issues, and the evaluator that says whether a call
// in such a role session is allowed at a time. Transport-free: form fields in, XML out.
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws_emulator.h"
#include "emulator_state.h"

namespace jit::emulators {

// The principals and roles of a seed JSON ({"principals":[…],"roles":[…]}, README.md); the reason
// when it is malformed.
struct IamSeed {
  std::vector<EmulatedPrincipal> principals;
  std::vector<EmulatedRole> roles;
};
std::expected<IamSeed, std::string> parse_iam_seed(const nlohmann::json& seed);

// Thread-safe: one mutex guards everything.
class IamService {
 public:
  // REQUIRES: the options' principals and roles passed check_seed (AwsEmulator::start checks).
  IamService(const AwsEmulatorOptions& options, EmulatorClock clock);

  // Names the principal of keys the IAM service did not issue or seed (the web-identity sessions:
  // EmulatorState::web_identity_principal); set before serving.
  using PrincipalLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;
  void set_principal_lookup(PrincipalLookup lookup) { lookup_ = std::move(lookup); }

  // What is wrong with `seed` (a principal ARN or a role ARN of another form, a trust policy that is
  // not a JSON policy, a duration out of 3600..43200); nullopt: nothing.
  static std::optional<std::string> check_seed(const IamSeed& seed);
  // Adds (or replaces, same access key / role ARN) what `seed` names. The reason when malformed.
  std::expected<void, std::string> seed(const IamSeed& seed);

  // One IAM call (`form` holds Action) by the caller signing with `access_key_id`, in the caller's
  // account: the XML reply, or the error (rendered by the HTTP layer with kIamNamespace).
  std::expected<std::string, ApiError> iam(std::string_view access_key_id, const std::map<std::string, std::string>& form);
  // STS AssumeRole by the caller signing with `access_key_id`: the XML reply or the error
  // (AccessDenied 403 when the trust policy does not allow it).
  std::expected<std::string, ApiError> assume_role(std::string_view access_key_id,
                                                   const std::map<std::string, std::string>& form);
  // The seeded principals' key pairs and the unexpired credentials AssumeRole issued.
  std::vector<aws::Credentials> credentials();

  // As AwsEmulator::role_session_allowed; errors 404 (unknown key), 422 (unevaluable deny).
  std::expected<SessionVerdict, ApiError> role_session_allowed(const std::string& access_key_id,
                                                               std::optional<std::chrono::system_clock::time_point> at);
  nlohmann::json snapshot();  // GET /_emulator/iam
  // Back to the options' principals and roles; no role sessions.
  void reset();
  // /_emulator/iam (GET, POST) and /_emulator/role-sessions/<key>[?at=]: status and JSON body;
  // nullopt when `path` is neither.
  std::optional<std::pair<int, nlohmann::json>> control(std::string_view method, std::string_view path,
                                                        std::string_view query, std::string_view body);

 private:
  struct Role {
    std::string account, name, path, arn, role_id, trust_policy, description;
    int max_session_duration = 3600;
    std::chrono::system_clock::time_point created;
    std::map<std::string, std::string> inline_policies;  // name -> document, as put
  };
  struct RoleSession {
    aws::Credentials credentials;
    std::string role_arn, account, role_name, session_name, source_identity;
    std::chrono::system_clock::time_point issued, expires;
  };
  // Who signs with a key: `arn` as AWS names it in messages, `match_arn` as trust policies name
  // it (the user, or the role of a role session), its account and source identity.
  struct Caller {
    std::string arn, match_arn, account, source_identity;
    bool role_session = false;
  };

  Caller caller_of(std::string_view access_key_id);  // REQUIRES: mutex_ held
  Role* find_role(const std::string& account, const std::string& name);  // REQUIRES: mutex_ held
  void add_role(const EmulatedRole& seeded);                              // REQUIRES: mutex_ held
  std::expected<std::string, ApiError> create_role(const Caller& caller, const nlohmann::json& input);
  std::expected<std::string, ApiError> get_role(const Caller& caller, const nlohmann::json& input);
  std::expected<std::string, ApiError> update_trust(const Caller& caller, const nlohmann::json& input);
  std::expected<std::string, ApiError> put_role_policy(const Caller& caller, const nlohmann::json& input);
  std::expected<std::string, ApiError> get_role_policy(const Caller& caller, const nlohmann::json& input);
  std::expected<std::string, ApiError> delete_role_policy(const Caller& caller, const nlohmann::json& input);
  std::expected<std::string, ApiError> list_role_policies(const Caller& caller, const nlohmann::json& input);
  std::expected<std::string, ApiError> delete_role(const Caller& caller, const nlohmann::json& input);
  std::expected<void, ApiError> check_trust_policy(const std::string& document) const;
  std::string role_xml(const Role& role, bool last_used) const;
  std::string reply(std::string_view action, std::string_view result);  // REQUIRES: mutex_ held

  const AwsEmulatorOptions options_;
  const EmulatorClock clock_;
  std::mutex mutex_;
  std::mt19937_64 random_;
  std::map<std::string, EmulatedPrincipal> principals_;  // by access key id
  std::map<std::pair<std::string, std::string>, Role> roles_;  // by (account, name)
  std::map<std::string, RoleSession> role_sessions_;       // by access key id
  PrincipalLookup lookup_;
};

}  // namespace jit::emulators
