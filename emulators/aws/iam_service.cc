// IAM's role operations (Query protocol, XML replies in the IAM namespace): CreateRole, GetRole,
// UpdateAssumeRolePolicy, Put/Get/DeleteRolePolicy, ListRolePolicies, DeleteRole. Requests are
// checked against the iam/2010-05-08 model (required members, lengths, patterns); documents come
// back URL-encoded, as IAM sends them.
#include <fmt/format.h>

#include <algorithm>

#include "iam_service.h"
#include "net/http.h"
#include "policy_text.h"
#include "query_replies.h"
#include "temporary_credentials.h"
#include "validation.h"

namespace jit::emulators {

using json = nlohmann::json;

namespace {

// The model's shapes (iam/2010-05-08), in ECMAScript syntax; policy documents are checked by
// in_policy_character_set (the pattern counts characters, not bytes).
const StringRule kRoleName{true, 1, 64, "[\\w+=,.@-]+"};
const StringRule kPolicyName{true, 1, 128, "[\\w+=,.@-]+"};
const StringRule kPath{false, 1, 512, "(/)|(/[\\x21-\\x7E]+/)"};
const StringRule kDescription{false, 0, 1000};
const StringRule kMarker{false, 1, 320};
constexpr std::size_t kMaxDocument = 131072;               // policyDocumentType
constexpr std::size_t kInlinePolicyCharacters = 10240;      // IAM: a role's inline policies together

ApiError validation_error(const Validator& v) { return {400, "ValidationError", v.message()}; }

ApiError no_such_role(std::string_view name) {
  return {404, "NoSuchEntity", fmt::format("The role with name {} cannot be found.", name)};
}

ApiError malformed(std::string message) { return {400, "MalformedPolicyDocument", std::move(message)}; }

// The document member's model constraints (1..131072 characters of [\u0009\u000A\u000D\u0020-\u00FF]).
std::optional<std::string> document(Validator& v, std::string_view member) {
  auto text = v.string(member, {true, 1, kMaxDocument});
  if (text && !in_policy_character_set(*text)) {
    v.add(fmt::format("Value at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: "
                      "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+", lower_camel(member)));
    return std::nullopt;
  }
  return text;
}

// IAM's grammar as far as the emulator checks it: a JSON object with a Statement (object or list
// of objects), each with Effect Allow|Deny and an Action (or NotAction); `trust` statements need a
// Principal, permission statements must not have one.
std::optional<ApiError> grammar_problem(const std::string& document, bool trust) {
  const json policy = json::parse(document, nullptr, false);
  if (policy.is_discarded() || !policy.is_object()) return malformed("This policy contains invalid Json");
  if (!policy.contains("Statement")) return malformed("Missing required field Statement");
  json statements = policy["Statement"];
  if (statements.is_object()) statements = json::array({statements});
  if (!statements.is_array() || statements.empty()) return malformed("Syntax errors in policy.");
  for (const auto& s : statements) {
    if (!s.is_object()) return malformed("Syntax errors in policy.");
    if (s.value("Effect", json()) != "Allow" && s.value("Effect", json()) != "Deny")
      return malformed("Invalid effect: " + s.value("Effect", json("")).dump());
    if (!s.contains("Action") && !s.contains("NotAction")) return malformed("Missing required field Action");
    if (trust && !s.contains("Principal") && !s.contains("NotPrincipal")) return malformed("Missing required field Principal");
    if (!trust && (s.contains("Principal") || s.contains("NotPrincipal")))
      return malformed("Policy document should not specify a principal.");
  }
  return std::nullopt;
}

}  // namespace

std::string IamService::reply(std::string_view action, std::string_view result) {
  return query_response_xml(kIamNamespace, action, result, random_uuid(random_));
}

IamService::Role* IamService::find_role(const std::string& account, const std::string& name) {
  auto found = roles_.find({account, name});
  return found == roles_.end() ? nullptr : &found->second;
}

std::expected<void, ApiError> IamService::check_trust_policy(const std::string& document) const {
  if (auto problem = grammar_problem(document, true)) return std::unexpected(*problem);
  const std::size_t size = non_whitespace_characters(document);
  if (size > static_cast<std::size_t>(options_.trust_policy_size_limit))
    return std::unexpected(ApiError{409, "LimitExceeded",
                                    fmt::format("Cannot exceed quota for ACLSizePerRole: {}", options_.trust_policy_size_limit)});
  return {};
}

std::string IamService::role_xml(const Role& role, bool last_used) const {
  std::string out = fmt::format(
      "      <Role>\n"
      "        <Path>{}</Path>\n"
      "        <AssumeRolePolicyDocument>{}</AssumeRolePolicyDocument>\n"
      "        <MaxSessionDuration>{}</MaxSessionDuration>\n"
      "        <RoleId>{}</RoleId>\n"
      "        <RoleName>{}</RoleName>\n",
      xml_escape(role.path), net::percent_encode(role.trust_policy), role.max_session_duration, role.role_id,
      xml_escape(role.name));
  if (!role.description.empty()) out += fmt::format("        <Description>{}</Description>\n", xml_escape(role.description));
  out += fmt::format("        <Arn>{}</Arn>\n        <CreateDate>{}</CreateDate>\n", xml_escape(role.arn), iso8601(role.created));
  if (last_used) out += "        <RoleLastUsed/>\n";
  return out + "      </Role>\n";
}

std::expected<std::string, ApiError> IamService::iam(std::string_view access_key_id,
                                                     const std::map<std::string, std::string>& form) {
  const json input = form_input(form);
  const std::string action = input.value("Action", "");
  std::lock_guard lock(mutex_);
  const Caller caller = caller_of(access_key_id);
  if (action == "CreateRole") return create_role(caller, input);
  if (action == "GetRole") return get_role(caller, input);
  if (action == "UpdateAssumeRolePolicy") return update_trust(caller, input);
  if (action == "PutRolePolicy") return put_role_policy(caller, input);
  if (action == "GetRolePolicy") return get_role_policy(caller, input);
  if (action == "DeleteRolePolicy") return delete_role_policy(caller, input);
  if (action == "ListRolePolicies") return list_role_policies(caller, input);
  if (action == "DeleteRole") return delete_role(caller, input);
  return std::unexpected(ApiError{400, "InvalidAction",
                                  fmt::format("Could not find operation {} for version {}", action,
                                              input.value("Version", "NO_VERSION_SPECIFIED"))});
}

std::expected<std::string, ApiError> IamService::create_role(const Caller& caller, const json& input) {
  Validator v(input);
  auto name = v.string("RoleName", kRoleName);
  auto trust = document(v, "AssumeRolePolicyDocument");
  auto path = v.string("Path", kPath);
  auto description = v.string("Description", kDescription);
  auto duration = v.integer_text("MaxSessionDuration", 3600, 43200);
  if (!v.ok()) return std::unexpected(validation_error(v));
  if (find_role(caller.account, *name))
    return std::unexpected(ApiError{409, "EntityAlreadyExists", fmt::format("Role with name {} already exists.", *name)});
  if (auto ok = check_trust_policy(*trust); !ok) return std::unexpected(ok.error());
  Role role;
  role.account = caller.account;
  role.name = *name;
  role.path = path.value_or("/");
  role.arn = fmt::format("arn:aws:iam::{}:role{}{}", caller.account, role.path, role.name);
  role.role_id = emulators::role_id(random_);
  role.trust_policy = *trust;
  role.description = description.value_or("");
  role.max_session_duration = static_cast<int>(duration.value_or(3600));
  role.created = std::chrono::floor<std::chrono::seconds>(clock_());
  const Role& stored = roles_[{role.account, role.name}] = std::move(role);
  return reply("CreateRole", role_xml(stored, false));
}

std::expected<std::string, ApiError> IamService::get_role(const Caller& caller, const json& input) {
  Validator v(input);
  auto name = v.string("RoleName", kRoleName);
  if (!v.ok()) return std::unexpected(validation_error(v));
  const Role* role = find_role(caller.account, *name);
  if (!role) return std::unexpected(no_such_role(*name));
  return reply("GetRole", role_xml(*role, true));
}

std::expected<std::string, ApiError> IamService::update_trust(const Caller& caller, const json& input) {
  Validator v(input);
  auto name = v.string("RoleName", kRoleName);
  auto trust = document(v, "PolicyDocument");
  if (!v.ok()) return std::unexpected(validation_error(v));
  Role* role = find_role(caller.account, *name);
  if (!role) return std::unexpected(no_such_role(*name));
  if (auto ok = check_trust_policy(*trust); !ok) return std::unexpected(ok.error());
  role->trust_policy = *trust;
  return reply("UpdateAssumeRolePolicy", "");
}

std::expected<std::string, ApiError> IamService::put_role_policy(const Caller& caller, const json& input) {
  Validator v(input);
  auto name = v.string("RoleName", kRoleName);
  auto policy_name = v.string("PolicyName", kPolicyName);
  auto text = document(v, "PolicyDocument");
  if (!v.ok()) return std::unexpected(validation_error(v));
  Role* role = find_role(caller.account, *name);
  if (!role) return std::unexpected(no_such_role(*name));
  if (auto problem = grammar_problem(*text, false)) return std::unexpected(*problem);
  std::size_t total = non_whitespace_characters(*text);
  for (const auto& [other, other_text] : role->inline_policies)
    if (other != *policy_name) total += non_whitespace_characters(other_text);
  if (total > kInlinePolicyCharacters)
    return std::unexpected(ApiError{409, "LimitExceeded",
                                    fmt::format("Maximum policy size of {} bytes exceeded for role {}", kInlinePolicyCharacters, *name)});
  role->inline_policies[*policy_name] = *text;
  return reply("PutRolePolicy", "");
}

std::expected<std::string, ApiError> IamService::get_role_policy(const Caller& caller, const json& input) {
  Validator v(input);
  auto name = v.string("RoleName", kRoleName);
  auto policy_name = v.string("PolicyName", kPolicyName);
  if (!v.ok()) return std::unexpected(validation_error(v));
  const Role* role = find_role(caller.account, *name);
  if (!role) return std::unexpected(no_such_role(*name));
  auto found = role->inline_policies.find(*policy_name);
  if (found == role->inline_policies.end())
    return std::unexpected(ApiError{404, "NoSuchEntity", fmt::format("The role policy with name {} cannot be found.", *policy_name)});
  return reply("GetRolePolicy", fmt::format("    <PolicyName>{}</PolicyName>\n"
                                            "    <RoleName>{}</RoleName>\n"
                                            "    <PolicyDocument>{}</PolicyDocument>\n",
                                            xml_escape(*policy_name), xml_escape(role->name), net::percent_encode(found->second)));
}

std::expected<std::string, ApiError> IamService::delete_role_policy(const Caller& caller, const json& input) {
  Validator v(input);
  auto name = v.string("RoleName", kRoleName);
  auto policy_name = v.string("PolicyName", kPolicyName);
  if (!v.ok()) return std::unexpected(validation_error(v));
  Role* role = find_role(caller.account, *name);
  if (!role) return std::unexpected(no_such_role(*name));
  if (role->inline_policies.erase(*policy_name) == 0)
    return std::unexpected(ApiError{404, "NoSuchEntity", fmt::format("The role policy with name {} cannot be found.", *policy_name)});
  return reply("DeleteRolePolicy", "");
}

std::expected<std::string, ApiError> IamService::list_role_policies(const Caller& caller, const json& input) {
  Validator v(input);
  auto name = v.string("RoleName", kRoleName);
  auto marker = v.string("Marker", kMarker);
  auto max_items = v.integer_text("MaxItems", 1, 1000);
  if (!v.ok()) return std::unexpected(validation_error(v));
  const Role* role = find_role(caller.account, *name);
  if (!role) return std::unexpected(no_such_role(*name));
  // Markers are opaque to clients; here "m" + the offset of the next name.
  std::size_t offset = 0;
  if (marker) {
    const bool digits = marker->size() > 1 && (*marker)[0] == 'm' &&
                        std::all_of(marker->begin() + 1, marker->end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (!digits) return std::unexpected(ApiError{400, "ValidationError", "Invalid Marker."});
    offset = std::stoul(marker->substr(1));
  }
  const std::size_t page = static_cast<std::size_t>(max_items.value_or(100));
  std::string names;
  std::size_t index = 0;
  for (const auto& [policy_name, text] : role->inline_policies) {
    if (index >= offset && index < offset + page) names += fmt::format("      <member>{}</member>\n", xml_escape(policy_name));
    ++index;
  }
  const bool truncated = offset + page < role->inline_policies.size();
  std::string result = fmt::format("    <PolicyNames>\n{}    </PolicyNames>\n    <IsTruncated>{}</IsTruncated>\n", names, truncated);
  if (truncated) result += fmt::format("    <Marker>m{}</Marker>\n", offset + page);
  return reply("ListRolePolicies", result);
}

std::expected<std::string, ApiError> IamService::delete_role(const Caller& caller, const json& input) {
  Validator v(input);
  auto name = v.string("RoleName", kRoleName);
  if (!v.ok()) return std::unexpected(validation_error(v));
  const Role* role = find_role(caller.account, *name);
  if (!role) return std::unexpected(no_such_role(*name));
  if (!role->inline_policies.empty())
    return std::unexpected(ApiError{409, "DeleteConflict", "Cannot delete entity, must delete policies first."});
  roles_.erase({caller.account, *name});
  return reply("DeleteRole", "");
}

}  // namespace jit::emulators
