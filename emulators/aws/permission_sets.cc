// sso-admin permission sets: the inline policy (Get/Put/Delete), ProvisionPermissionSet and its
// status (asynchronous, on the emulator clock, like account assignments), DescribePermissionSet,
// and the provisioned copy per (permission set, account) that sessions are evaluated against.
#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "emulator_state.h"
#include "policy_text.h"
#include "sso_admin_rules.h"
#include "validation.h"

namespace jit::emulators {

using json = nlohmann::json;
using std::chrono::system_clock;
using namespace sso_rules;

namespace {

constexpr std::size_t kMaxPolicyCharacters = 32768;      // the model's PermissionSetPolicyDocument
constexpr std::size_t kIamInlinePolicyCharacters = 10240;  // IAM: a role's inline policies, whitespace excluded

// The model's length and pattern ([\u0009\u000A\u000D\u0020-\u00FF]+, in characters), then IAM's
// grammar as far as the emulator needs it: a JSON object whose Statement is an object or a list
// of objects, each with Effect Allow or Deny.
std::optional<std::string> policy_problem(const std::string& document) {
  auto points = code_points(document);
  if (!points) return "Value at 'inlinePolicy' failed to satisfy constraint: Member must be valid UTF-8";
  if (points->size() > kMaxPolicyCharacters)
    return fmt::format("1 validation error detected: Value at 'inlinePolicy' failed to satisfy constraint: Member must "
                       "have length less than or equal to {}", kMaxPolicyCharacters);
  if (std::any_of(points->begin(), points->end(),
                  [](char32_t c) { return !(c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0xFF)); }))
    return "1 validation error detected: Value at 'inlinePolicy' failed to satisfy constraint: Member must satisfy "
           "regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+";
  const json policy = json::parse(document, nullptr, false);
  if (policy.is_discarded() || !policy.is_object()) return "The policy is not valid JSON: it must be a JSON object.";
  if (!policy.contains("Statement")) return "The policy is malformed: it has no Statement.";
  json statements = policy["Statement"];
  if (statements.is_object()) statements = json::array({statements});
  if (!statements.is_array()) return "The policy is malformed: Statement must be an object or a list of objects.";
  for (const auto& s : statements)
    if (!s.is_object() || (s.value("Effect", json()) != "Allow" && s.value("Effect", json()) != "Deny"))
      return "The policy is malformed: every statement needs Effect Allow or Deny.";
  return std::nullopt;
}

// "arn:aws:sso:::permissionSet/ssoins-X/ps-Y" -> "ssoins-X"; the instance ARN's last part likewise.
std::string instance_part_of_permission_set(const std::string& arn) {
  const auto slash = arn.find('/');
  const auto ps = arn.find("/ps-");
  return slash == std::string::npos || ps == std::string::npos ? "" : arn.substr(slash + 1, ps - slash - 1);
}

std::string default_name(const std::string& arn) {
  const auto ps = arn.find("/ps-");
  std::string name = ps == std::string::npos ? arn : arn.substr(ps + 1);
  std::replace(name.begin(), name.end(), '/', '-');
  return name.substr(0, 32);
}

}  // namespace

std::optional<std::chrono::seconds> parse_iso_duration(std::string_view text) {
  static const std::regex kDuration("P(?:(\\d+)D)?(?:T(?:(\\d+)H)?(?:(\\d+)M)?(?:(\\d+)S)?)?");
  std::match_results<std::string_view::const_iterator> m;
  if (text == "P" || text.ends_with("T") || !std::regex_match(text.begin(), text.end(), m, kDuration)) return std::nullopt;
  auto part = [&](int i) { return m[i].matched ? std::stoll(m[i].str()) : 0LL; };
  const long long total = part(1) * 86400 + part(2) * 3600 + part(3) * 60 + part(4);
  if (total <= 0) return std::nullopt;
  return std::chrono::seconds(total);
}

std::optional<std::string> permission_set_problem(const EmulatedPermissionSet& p) {
  if (!std::regex_match(p.arn, std::regex(std::string(kPermissionSetArnPattern))))
    return fmt::format("permission set ARN '{}' does not match the model's pattern {}", p.arn, kPermissionSetArnPattern);
  if (!parse_iso_duration(p.session_duration))
    return fmt::format("permission set {}: session duration '{}' is not an ISO-8601 duration such as PT1H", p.arn,
                       p.session_duration);
  if (!p.inline_policy.empty())
    if (auto problem = policy_problem(p.inline_policy)) return fmt::format("permission set {}: {}", p.arn, *problem);
  return std::nullopt;
}

void EmulatorState::seed_permission_sets() {
  permission_sets_.clear();
  provisioned_.clear();
  provisionings_.clear();
  account_sessions_.clear();
  const auto now = clock_();
  for (const auto& p : options_.permission_sets)
    permission_sets_[p.arn] = PermissionSet{p.arn, p.name.empty() ? default_name(p.arn) : p.name, p.session_duration,
                                            p.inline_policy, now};
}

EmulatorState::PermissionSet& EmulatorState::known_permission_set(const std::string& arn) {
  auto found = permission_sets_.find(arn);
  if (found == permission_sets_.end())
    found = permission_sets_.emplace(arn, PermissionSet{arn, default_name(arn), "PT1H", "", clock_()}).first;
  return found->second;
}

std::optional<ApiResult> EmulatorState::permission_set_operation(std::string_view operation, const json& input) {
  if (operation == "GetInlinePolicyForPermissionSet") return get_inline_policy(input);
  if (operation == "PutInlinePolicyToPermissionSet") return put_inline_policy(input, false);
  if (operation == "DeleteInlinePolicyFromPermissionSet") return put_inline_policy(input, true);
  if (operation == "ProvisionPermissionSet") return provision(input);
  if (operation == "DescribePermissionSetProvisioningStatus") return describe_provisioning(input);
  if (operation == "DescribePermissionSet") return describe_permission_set(input);
  return std::nullopt;
}

// REQUIRES: mutex_ held. Validates InstanceArn and PermissionSetArn into `v` (which may hold
// the caller's violations already); an unseeded ARN of this instance comes into being with the
// defaults.
std::expected<EmulatorState::PermissionSet*, ApiError> EmulatorState::find_permission_set(Validator& v) {
  auto instance = v.string("InstanceArn", kInstanceArn);
  auto arn = v.string("PermissionSetArn", kPermissionSetArn);
  if (!v.ok()) return std::unexpected(validation_error(v));
  if (*instance != options_.instance_arn)
    return std::unexpected(ApiError{400, "ResourceNotFoundException", fmt::format("Instance {} does not exist.", *instance)});
  if (instance_part_of_permission_set(*arn) != instance->substr(instance->find('/') + 1))
    return std::unexpected(ApiError{400, "ResourceNotFoundException",
                                    fmt::format("Could not find PermissionSet with PermissionSetArn {}.", *arn)});
  return &known_permission_set(*arn);
}

ApiResult EmulatorState::get_inline_policy(const json& input) {
  Validator v(input);
  std::lock_guard lock(mutex_);
  auto set = find_permission_set(v);
  if (!set) return std::unexpected(set.error());
  // AWS: "an empty inline policy may come back for a valid ARN": "" here, as moto answers.
  return json{{"InlinePolicy", (*set)->inline_policy}};
}

ApiResult EmulatorState::put_inline_policy(const json& input, bool remove) {
  Validator v(input);
  std::optional<std::string> document;
  if (!remove) document = v.string("InlinePolicy", {true, 1, 0});
  std::lock_guard lock(mutex_);
  auto set = find_permission_set(v);
  if (!set) return std::unexpected(set.error());
  if (document)
    if (auto problem = policy_problem(*document)) return std::unexpected(ApiError{400, "ValidationException", *problem});
  (*set)->inline_policy = document.value_or("");
  return json::object();
}

json EmulatorState::provisioning_json(const Provisioning& p) const {
  json out = {{"Status", p.status},
              {"RequestId", p.id},
              {"PermissionSetArn", p.permission_set_arn},
              {"CreatedDate", epoch_seconds_fraction(p.created)}};
  if (!p.account_id.empty()) out["AccountId"] = p.account_id;
  if (p.status == "FAILED") out["FailureReason"] = p.failure_reason;
  return out;
}

ApiResult EmulatorState::provision(const json& input) {
  Validator v(input);
  auto target = v.string("TargetId", {false, 12, 12, kAccountIdPattern});
  auto type = v.string("TargetType", {true, 0, 0, {}, {"AWS_ACCOUNT", "ALL_PROVISIONED_ACCOUNTS"}});
  if (v.ok() && *type == "AWS_ACCOUNT" && !target)
    v.add("Value null at 'targetId' failed to satisfy constraint: Member must not be null when targetType is AWS_ACCOUNT");

  std::lock_guard lock(mutex_);
  auto set = find_permission_set(v);
  if (!set) return std::unexpected(set.error());
  const auto now = clock_();
  settle(now);
  const std::string* arn = &(*set)->arn;
  Provisioning p;
  p.permission_set_arn = *arn;
  if (*type == "AWS_ACCOUNT") {
    p.account_id = *target;
    p.accounts = {*target};
  } else {
    for (const auto& [key, copy] : provisioned_)
      if (key.first == *arn) p.accounts.push_back(key.second);
  }
  for (const auto& other : provisionings_)
    if (other.status == "IN_PROGRESS" && other.permission_set_arn == *arn)
      for (const auto& account : p.accounts)
        if (std::find(other.accounts.begin(), other.accounts.end(), account) != other.accounts.end())
          return std::unexpected(ApiError{
              400, "ConflictException",
              fmt::format("The permission set {} is being provisioned to account {} (request {}); retry after it ends.",
                          *arn, account, other.id)});
  p.id = new_uuid_locked();
  p.document = (*set)->inline_policy;
  p.created = now;
  p.due = now + options_.provision_delay;
  json status = provisioning_json(p);
  provisionings_.push_back(std::move(p));
  return json{{"PermissionSetProvisioningStatus", std::move(status)}};
}

ApiResult EmulatorState::describe_provisioning(const json& input) {
  Validator v(input);
  auto instance = v.string("InstanceArn", kInstanceArn);
  auto id = v.string("ProvisionPermissionSetRequestId", kUuid);
  if (!v.ok()) return std::unexpected(validation_error(v));
  if (*instance != options_.instance_arn)
    return std::unexpected(ApiError{400, "ResourceNotFoundException", fmt::format("Instance {} does not exist.", *instance)});
  std::lock_guard lock(mutex_);
  settle(clock_());
  for (const auto& p : provisionings_)
    if (p.id == *id) return json{{"PermissionSetProvisioningStatus", provisioning_json(p)}};
  return std::unexpected(ApiError{400, "ResourceNotFoundException", fmt::format("Request ID {} does not exist.", *id)});
}

ApiResult EmulatorState::describe_permission_set(const json& input) {
  Validator v(input);
  std::lock_guard lock(mutex_);
  auto set = find_permission_set(v);
  if (!set) return std::unexpected(set.error());
  return json{{"PermissionSet", {{"Name", (*set)->name},
                                 {"PermissionSetArn", (*set)->arn},
                                 {"CreatedDate", epoch_seconds_fraction((*set)->created)},
                                 {"SessionDuration", (*set)->session_duration}}}};
}

void EmulatorState::provision_on_assignment(const std::string& arn, const std::string& account) {
  const auto key = std::make_pair(arn, account);
  if (provisioned_.contains(key)) return;
  provisioned_[key] = known_permission_set(arn).inline_policy;
}

// Ends every provisioning whose delay has passed: FAILED when the document is over IAM's inline
// policy limit (the role in the account cannot hold it), else each target account gets the copy.
void EmulatorState::settle_provisioning(system_clock::time_point now) {
  for (auto& p : provisionings_) {
    if (p.status != "IN_PROGRESS" || p.due > now) continue;
    const std::size_t size = non_whitespace_characters(p.document);
    if (size > kIamInlinePolicyCharacters) {
      p.status = "FAILED";
      p.failure_reason = fmt::format(
          "The inline policy of permission set {} has {} characters (whitespace excluded); the IAM role in the account "
          "accepts at most {} characters of inline policies (LimitExceeded).",
          p.permission_set_arn, size, kIamInlinePolicyCharacters);
      continue;
    }
    for (const auto& account : p.accounts) provisioned_[{p.permission_set_arn, account}] = p.document;
    p.status = "SUCCEEDED";
  }
}

std::optional<std::string> EmulatorState::inline_policy(const std::string& arn) {
  std::lock_guard lock(mutex_);
  auto found = permission_sets_.find(arn);
  if (found == permission_sets_.end() || found->second.inline_policy.empty()) return std::nullopt;
  return found->second.inline_policy;
}

std::optional<std::string> EmulatorState::provisioned_policy(const std::string& arn, const std::string& account) {
  std::lock_guard lock(mutex_);
  settle(clock_());
  auto found = provisioned_.find({arn, account});
  if (found == provisioned_.end()) return std::nullopt;
  return found->second;
}

json EmulatorState::permission_sets() {
  std::lock_guard lock(mutex_);
  settle(clock_());
  json out = {{"permission_sets", json::array()}, {"provisioning", json::array()}};
  for (const auto& [arn, set] : permission_sets_) {
    json provisioned = json::object();
    for (const auto& [key, copy] : provisioned_)
      if (key.first == arn) provisioned[key.second] = copy;
    out["permission_sets"].push_back({{"PermissionSetArn", arn},
                                      {"Name", set.name},
                                      {"SessionDuration", set.session_duration},
                                      {"InlinePolicy", set.inline_policy},
                                      {"Provisioned", std::move(provisioned)}});
  }
  for (const auto& p : provisionings_) out["provisioning"].push_back(provisioning_json(p));
  return out;
}

}  // namespace jit::emulators
