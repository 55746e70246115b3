// sso-admin and identitystore operations, and the state they share with STS (sts.cc).
#include "emulator_state.h"
#include "core/text.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/time.h"
#include "sso_admin_rules.h"
#include "temporary_credentials.h"
#include "validation.h"

namespace jit::emulators {

using json = nlohmann::json;
using std::chrono::system_clock;
using namespace sso_rules;

namespace {

// The identitystore model's patterns, in ECMAScript syntax.
constexpr std::string_view kPrincipalIdPattern =
    "([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}";
constexpr std::string_view kIdentityStoreIdPattern =
    "d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
constexpr std::string_view kTokenPattern = "[-a-zA-Z0-9+=/_]*";
constexpr long long kMaxResults = 100;

const StringRule kPrincipalId{true, 1, 47, kPrincipalIdPattern};
const StringRule kIdentityStoreId{true, 1, 36, kIdentityStoreIdPattern};
const StringRule kToken{false, 0, 2048, kTokenPattern};


// Page tokens are opaque to clients; here "p" + the offset of the next item.
std::expected<size_t, ApiError> page_offset(const std::optional<std::string>& token) {
  if (!token || token->empty()) return 0;
  if ((*token)[0] == 'p' && token->size() > 1 &&
      std::all_of(token->begin() + 1, token->end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::stoul(token->substr(1));
  return std::unexpected(ApiError{400, "ValidationException", "The NextToken is invalid."});
}

}  // namespace

std::string iso8601(system_clock::time_point t) { return format_time(std::chrono::floor<Seconds>(t)); }

EmulatorState::EmulatorState(const AwsEmulatorOptions& options, EmulatorClock clock)
    : options_(options), clock_(std::move(clock)), random_(options.seed ? options.seed : std::random_device{}()) {
  for (const auto& u : options_.users)
    seeded_users_.push_back(User{u.user_id.empty() ? new_user_id_locked() : u.user_id, u.user_name,
                                 u.display_name.empty() ? u.user_name : u.display_name, u.email});
  users_ = seeded_users_;
  seed_permission_sets();
}

std::string EmulatorState::random_chars(std::string_view alphabet, int n) {
  return emulators::random_chars(random_, alphabet, n);
}

std::string EmulatorState::new_uuid_locked() {
  return random_uuid(random_);
}

std::string EmulatorState::new_uuid() {
  std::lock_guard lock(mutex_);
  return new_uuid_locked();
}

// Newer identity stores make "<10 hex of the store id>-<uuid>"; older ones a bare UUID.
std::string EmulatorState::new_user_id_locked() {
  const auto& store = options_.identity_store_id;
  if (store.size() == 12 && store.starts_with("d-")) return store.substr(2) + "-" + new_uuid_locked();
  return new_uuid_locked();
}

void EmulatorState::fail_assignments(int n) {
  std::lock_guard lock(mutex_);
  fail_assignments_ = std::max(0, n);
}

int EmulatorState::pending_assignment_failures() {
  std::lock_guard lock(mutex_);
  return fail_assignments_;
}

void EmulatorState::reset() {
  std::lock_guard lock(mutex_);
  assignments_.clear();
  requests_.clear();
  sessions_.clear();
  users_ = seeded_users_;
  fail_assignments_ = 0;
  seed_permission_sets();  // permission sets: back to the seeded ones, nothing provisioned
}

// Applies every request whose delay has passed, oldest due first: the assignment appears (or
// goes) at that moment. Creating an existing assignment and deleting a missing one both end
// SUCCEEDED without changing anything (see README.md, "Choices").
void EmulatorState::settle(system_clock::time_point now) {
  std::vector<Request*> due;
  for (auto& r : requests_)
    if (r.status == "IN_PROGRESS" && r.due <= now) due.push_back(&r);
  std::stable_sort(due.begin(), due.end(), [](const Request* a, const Request* b) { return a->due < b->due; });
  for (Request* r : due) {
    if (r->inject_failure) {
      r->status = "FAILED";
      r->failure_reason = fmt::format("Request {} failed: injected by the emulator (fail_assignments).", r->id);
      continue;
    }
    auto existing = std::find_if(assignments_.begin(), assignments_.end(),
                                 [&](const Assignment& a) { return a.same(r->assignment); });
    if (!r->deletion && existing == assignments_.end()) {
      Assignment created = r->assignment;
      created.created = r->due;
      provision_on_assignment(created.permission_set_arn, created.account_id);
      assignments_.push_back(std::move(created));
    } else if (r->deletion && existing != assignments_.end()) {
      assignments_.erase(existing);
    }
    r->status = "SUCCEEDED";
  }
  settle_provisioning(now);
}

json EmulatorState::status_json(const Request& r) const {
  json out = {{"Status", r.status},
              {"RequestId", r.id},
              {"TargetId", r.assignment.account_id},
              {"TargetType", "AWS_ACCOUNT"},
              {"PermissionSetArn", r.assignment.permission_set_arn},
              {"PrincipalType", r.assignment.principal_type},
              {"PrincipalId", r.assignment.principal_id},
              {"CreatedDate", epoch_seconds_fraction(r.created)}};
  if (r.status == "FAILED") out["FailureReason"] = r.failure_reason;
  return out;
}

ApiResult EmulatorState::sso_admin(std::string_view operation, const json& input) {
  if (operation == "CreateAccountAssignment") return assignment_request(input, false);
  if (operation == "DeleteAccountAssignment") return assignment_request(input, true);
  if (operation == "DescribeAccountAssignmentCreationStatus") return describe_request(input, false);
  if (operation == "DescribeAccountAssignmentDeletionStatus") return describe_request(input, true);
  if (operation == "ListAccountAssignments") return list_assignments(input);
  if (operation == "ListInstances") return list_instances(input);
  if (auto answer = permission_set_operation(operation, input)) return std::move(*answer);
  return std::unexpected(ApiError{400, "UnknownOperationException",
                                  fmt::format("Operation SWBExternalService.{} is not supported by the emulator.", operation)});
}

ApiResult EmulatorState::assignment_request(const json& input, bool deletion) {
  Validator v(input);
  auto instance = v.string("InstanceArn", kInstanceArn);
  auto target = v.string("TargetId", kAccountId);
  v.string("TargetType", {true, 0, 0, {}, {"AWS_ACCOUNT"}});
  auto permission_set = v.string("PermissionSetArn", kPermissionSetArn);
  auto principal_type = v.string("PrincipalType", {true, 0, 0, {}, {"USER", "GROUP"}});
  auto principal = v.string("PrincipalId", kPrincipalId);
  if (!v.ok()) return std::unexpected(validation_error(v));
  if (*instance != options_.instance_arn)
    return std::unexpected(ApiError{400, "ResourceNotFoundException", fmt::format("Instance {} does not exist.", *instance)});

  std::lock_guard lock(mutex_);
  const auto now = clock_();
  Request r;
  r.id = new_uuid_locked();
  r.deletion = deletion;
  r.assignment = Assignment{*instance, *target, *permission_set, *principal_type, *principal, now};
  r.created = now;
  r.due = now + (deletion && options_.deletion_delay ? *options_.deletion_delay : options_.assignment_delay);
  if (fail_assignments_ > 0) {
    --fail_assignments_;
    r.inject_failure = true;
  }
  json status = status_json(r);
  requests_.push_back(std::move(r));
  return json{{deletion ? "AccountAssignmentDeletionStatus" : "AccountAssignmentCreationStatus", std::move(status)}};
}

ApiResult EmulatorState::describe_request(const json& input, bool deletion) {
  const char* id_member = deletion ? "AccountAssignmentDeletionRequestId" : "AccountAssignmentCreationRequestId";
  Validator v(input);
  auto instance = v.string("InstanceArn", kInstanceArn);
  auto id = v.string(id_member, kUuid);
  if (!v.ok()) return std::unexpected(validation_error(v));
  std::lock_guard lock(mutex_);
  settle(clock_());
  for (const auto& r : requests_)
    if (r.id == *id && r.deletion == deletion && r.assignment.instance_arn == *instance)
      return json{{deletion ? "AccountAssignmentDeletionStatus" : "AccountAssignmentCreationStatus", status_json(r)}};
  return std::unexpected(ApiError{400, "ResourceNotFoundException", fmt::format("Request ID {} does not exist.", *id)});
}

ApiResult EmulatorState::list_assignments(const json& input) {
  Validator v(input);
  auto instance = v.string("InstanceArn", kInstanceArn);
  auto account = v.string("AccountId", kAccountId);
  auto permission_set = v.string("PermissionSetArn", kPermissionSetArn);
  auto max_results = v.integer("MaxResults", 1, kMaxResults);
  auto token = v.string("NextToken", kToken);
  if (!v.ok()) return std::unexpected(validation_error(v));
  auto offset = page_offset(token);
  if (!offset) return std::unexpected(offset.error());
  if (*instance != options_.instance_arn)
    return std::unexpected(ApiError{400, "ResourceNotFoundException", fmt::format("Instance {} does not exist.", *instance)});

  std::lock_guard lock(mutex_);
  settle(clock_());
  std::vector<const Assignment*> matching;
  for (const auto& a : assignments_)
    if (a.instance_arn == *instance && a.account_id == *account && a.permission_set_arn == *permission_set)
      matching.push_back(&a);
  const size_t page = static_cast<size_t>(max_results.value_or(kMaxResults));
  json out = {{"AccountAssignments", json::array()}};
  for (size_t i = *offset; i < matching.size() && i < *offset + page; ++i)
    out["AccountAssignments"].push_back({{"AccountId", matching[i]->account_id},
                                         {"PermissionSetArn", matching[i]->permission_set_arn},
                                         {"PrincipalType", matching[i]->principal_type},
                                         {"PrincipalId", matching[i]->principal_id}});
  if (*offset + page < matching.size()) out["NextToken"] = fmt::format("p{}", *offset + page);
  return out;
}

ApiResult EmulatorState::list_instances(const json& input) {
  Validator v(input);
  v.integer("MaxResults", 1, kMaxResults);
  v.string("NextToken", kToken);
  if (!v.ok()) return std::unexpected(validation_error(v));
  return json{{"Instances", json::array({{{"InstanceArn", options_.instance_arn},
                                          {"IdentityStoreId", options_.identity_store_id}}})}};
}

json EmulatorState::assignments() {
  std::lock_guard lock(mutex_);
  settle(clock_());
  json out = {{"assignments", json::array()}, {"in_progress", json::array()}};
  for (const auto& a : assignments_)
    out["assignments"].push_back({{"InstanceArn", a.instance_arn},
                                  {"AccountId", a.account_id},
                                  {"PermissionSetArn", a.permission_set_arn},
                                  {"PrincipalType", a.principal_type},
                                  {"PrincipalId", a.principal_id},
                                  {"CreatedAt", iso8601(a.created)}});
  for (const auto& r : requests_)
    if (r.status == "IN_PROGRESS") {
      json item = status_json(r);
      item["Operation"] = r.deletion ? "DeleteAccountAssignment" : "CreateAccountAssignment";
      out["in_progress"].push_back(std::move(item));
    }
  return out;
}

// --- identitystore ---------------------------------------------------------------------------

std::expected<void, ApiError> EmulatorState::check_identity_store(const json& input) {
  if (input.value("IdentityStoreId", "") == options_.identity_store_id) return {};
  return std::unexpected(ApiError{400, "ResourceNotFoundException",
                                  fmt::format("Identity store {} does not exist.", input.value("IdentityStoreId", "")),
                                  {{"ResourceType", "IDENTITY_STORE"}, {"ResourceId", input.value("IdentityStoreId", "")}}});
}

json EmulatorState::user_json(const User& u) const {
  json out = {{"UserName", u.user_name}, {"UserId", u.id}, {"IdentityStoreId", options_.identity_store_id},
              {"DisplayName", u.display_name}};
  if (!u.email.empty()) out["Emails"] = json::array({{{"Value", u.email}, {"Type", "work"}, {"Primary", true}}});
  return out;
}

ApiResult EmulatorState::identity_store(std::string_view operation, const json& input) {
  if (operation == "GetUserId") return get_user_id(input);
  if (operation == "CreateUser") return create_user(input);
  if (operation == "ListUsers") return list_users(input);
  return std::unexpected(ApiError{400, "UnknownOperationException",
                                  fmt::format("Operation AWSIdentityStore.{} is not supported by the emulator.", operation)});
}

ApiResult EmulatorState::get_user_id(const json& input) {
  Validator v(input);
  v.string("IdentityStoreId", kIdentityStoreId);
  v.require("AlternateIdentifier");
  if (!v.ok()) return std::unexpected(validation_error(v));
  if (auto ok = check_identity_store(input); !ok) return std::unexpected(ok.error());
  const json& alternate = input.at("AlternateIdentifier");
  const json unique = alternate.is_object() ? alternate.value("UniqueAttribute", json()) : json();
  if (!unique.is_object()) {
    if (alternate.is_object() && alternate.contains("ExternalId"))
      return std::unexpected(ApiError{400, "ResourceNotFoundException", "USER not found.", {{"ResourceType", "USER"}}});
    return std::unexpected(ApiError{400, "ValidationException",
                                    "1 validation error detected: AlternateIdentifier must set exactly one of "
                                    "ExternalId or UniqueAttribute"});
  }
  Validator uv(unique);
  auto path = uv.string("AttributePath", {true, 1, 255});
  uv.require("AttributeValue");
  if (!uv.ok()) return std::unexpected(validation_error(uv));
  const json& value = unique.at("AttributeValue");
  if (!value.is_string() || (!text::iequals(*path, "emails.value") && !text::iequals(*path, "userName")))
    return std::unexpected(ApiError{400, "ValidationException",
                                    fmt::format("Unsupported attribute path '{}': use emails.value or userName "
                                                "with a string value.", *path)});
  const std::string wanted = value.get<std::string>();
  std::lock_guard lock(mutex_);
  for (const auto& u : users_)
    if (text::iequals(*path, "userName") ? u.user_name == wanted : (!u.email.empty() && text::iequals(u.email, wanted)))
      return json{{"UserId", u.id}, {"IdentityStoreId", options_.identity_store_id}};
  return std::unexpected(ApiError{400, "ResourceNotFoundException", "USER not found.", {{"ResourceType", "USER"}}});
}

ApiResult EmulatorState::create_user(const json& input) {
  Validator v(input);
  v.string("IdentityStoreId", kIdentityStoreId);
  auto user_name = v.string("UserName", {true, 1, 128});
  auto display_name = v.string("DisplayName", {false, 1, 1024});
  std::string email;
  if (input.contains("Emails")) {
    const json& emails = input.at("Emails");
    if (!emails.is_array() || emails.size() != 1 || !emails[0].is_object() || !emails[0].value("Value", json()).is_string())
      v.add("Value at 'emails' failed to satisfy constraint: Member must have length less than or equal to 1 "
            "and hold an object with a string Value");
    else
      email = emails[0]["Value"].get<std::string>();
  }
  if (!v.ok()) return std::unexpected(validation_error(v));
  if (auto ok = check_identity_store(input); !ok) return std::unexpected(ok.error());
  std::lock_guard lock(mutex_);
  for (const auto& u : users_)
    if (text::iequals(u.user_name, *user_name))
      return std::unexpected(ApiError{400, "ConflictException", "Duplicate UserName",
                                      {{"Reason", "UNIQUENESS_CONSTRAINT_VIOLATION"}}});
  User u{new_user_id_locked(), *user_name, display_name.value_or(*user_name), email};
  users_.push_back(u);
  return json{{"UserId", u.id}, {"IdentityStoreId", options_.identity_store_id}};
}

ApiResult EmulatorState::list_users(const json& input) {
  Validator v(input);
  v.string("IdentityStoreId", kIdentityStoreId);
  auto max_results = v.integer("MaxResults", 1, kMaxResults);
  auto token = v.string("NextToken", {false, 1, 65535});
  if (!v.ok()) return std::unexpected(validation_error(v));
  if (auto ok = check_identity_store(input); !ok) return std::unexpected(ok.error());
  auto offset = page_offset(token);
  if (!offset) return std::unexpected(offset.error());
  std::string filter_value;
  bool filtered = false;
  if (input.contains("Filters") && input["Filters"].is_array() && !input["Filters"].empty()) {
    const json& f = input["Filters"][0];
    if (!f.is_object() || !text::iequals(f.value("AttributePath", ""), "UserName") || !f.value("AttributeValue", json()).is_string())
      return std::unexpected(ApiError{400, "ValidationException",
                                      "1 validation error detected: only a UserName filter with a string value is supported"});
    filtered = true;
    filter_value = f["AttributeValue"].get<std::string>();
  }
  std::lock_guard lock(mutex_);
  std::vector<const User*> matching;
  for (const auto& u : users_)
    if (!filtered || u.user_name == filter_value) matching.push_back(&u);
  const size_t page = static_cast<size_t>(max_results.value_or(kMaxResults));
  json out = {{"Users", json::array()}};
  for (size_t i = *offset; i < matching.size() && i < *offset + page; ++i) out["Users"].push_back(user_json(*matching[i]));
  if (*offset + page < matching.size()) out["NextToken"] = fmt::format("p{}", *offset + page);
  return out;
}

}  // namespace jit::emulators
