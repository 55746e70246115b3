#include "slack/modal.h"

#include <fmt/format.h>

#include "core/duration.h"
#include "core/limits.h"
#include "core/user_text.h"
#include "slack/json_fields.h"
#include "slack/block_parts.h"
#include "slack/limits.h"

namespace jit::slack {

namespace {

using nlohmann::json;
using parts::plain;

json option(const std::string& label, const std::string& value) { return {{"text", plain(label)}, {"value", value}}; }

std::vector<const RolePolicy*> requestable(const AccountPolicy& account, const Identity& who) {
  std::vector<const RolePolicy*> out;
  for (const auto& role : account.roles)
    if (matches_any(who, role.requesters)) out.push_back(&role);
  return out;
}

// The durations to offer: the role's allowed list, else common steps up to its maximum.
std::vector<Seconds> durations_for(const RolePolicy& role) {
  if (!role.allowed_durations.empty()) return role.allowed_durations;
  std::vector<Seconds> out;
  for (long minutes : {15L, 30L, 60L, 120L, 240L, 480L, 720L})
    if (Seconds{minutes * 60} <= role.max_duration) out.push_back(Seconds{minutes * 60});
  if (out.empty() || out.back() != role.max_duration) out.push_back(role.max_duration);
  return out;
}

json select_block(const std::string& block, const std::string& label, const json& options, const json& initial,
                  bool dispatch) {
  json element = {{"type", "static_select"}, {"action_id", block}, {"options", options},
                  {"placeholder", plain("Choose…")}};
  if (!initial.is_null()) element["initial_option"] = initial;
  json b = {{"type", "input"}, {"block_id", block}, {"label", plain(label)}, {"element", element}};
  if (dispatch) b["dispatch_action"] = true;
  return b;
}

// The most a request form field may hold (core/limits.h).
std::size_t field_limit(std::string_view field) {
  if (field == kReasonField) return limits::kMaxReasonLength;
  if (field == kTicketField) return limits::kMaxTicketLength;
  return limits::kMaxChoiceLength;
}

// The value of input `block` (block id and action id alike) in a view's state values: the selected
// option's value, else the typed value; "" when absent or not a string, whatever the shape.
std::string text_value(const json& values, const std::string& block) {
  const json* v = member_at(values, {block, block});
  if (!v) return "";
  if (const json* option = member(*v, "selected_option"); option && option->is_object())
    return string_at(*option, {"value"});
  return string_at(*v, {"value"});
}

// "Also for these accounts" (issue 17): the other accounts where `who` may request a role named
// like `role`, or null when there are none. Not dispatched: the choice changes nothing else in the
// form (each account's own rules are checked on submission).
json also_accounts_block(const Policy& policy, const Identity& who, const RolePolicy& role,
                         const AccountPolicy& account) {
  constexpr std::size_t kMaxOptions = 100;  // Slack's limit on a select's options
  json options = json::array();
  for (const auto* a : accounts_with_role(policy, who, role.name, account.name))
    if (options.size() < kMaxOptions) options.push_back(option(fmt::format("{} ({})", a->name, a->id), a->name));
  if (options.empty()) return nullptr;
  return {{"type", "input"},
          {"block_id", kAlsoAccountsField},
          {"optional", true},
          {"label", plain("Also for these accounts")},
          {"hint", plain(fmt::format("Each account becomes a request of its own, decided by that account's "
                                     "approvers; up to {} more.",
                                     limits::kMaxBundleAccounts - 1))},
          {"element", {{"type", "multi_static_select"}, {"action_id", kAlsoAccountsField}, {"options", options},
                       {"max_selected_items", limits::kMaxBundleAccounts - 1},
                       {"placeholder", plain("Same role elsewhere (optional)")}}}};
}

// The values picked in the "Also for these accounts" multi-select of a view's state values: each
// option's value; an error for more than the bound or a value past its limit (a forged state).
std::expected<std::vector<std::string>, std::string> also_values(const json& values) {
  const json* picked = member_at(values, {kAlsoAccountsField, kAlsoAccountsField, "selected_options"});
  if (!picked || !picked->is_array()) return std::vector<std::string>{};
  if (picked->size() > limits::kMaxBundleAccounts - 1)
    return std::unexpected(fmt::format("Choose at most {} more accounts: one request names at most {}.",
                                       limits::kMaxBundleAccounts - 1, limits::kMaxBundleAccounts));
  std::vector<std::string> out;
  for (const json& option : *picked) {
    std::string value = string_at(option, {"value"});
    if (auto ok = user_text::check_length(kAccountField, value, limits::kMaxChoiceLength); !ok)
      return std::unexpected(ok.error().message);
    if (value.empty()) return std::unexpected(std::string("An account picked here has no name: pick it again."));
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace

// Long on purpose: the modal is one Block Kit document; building it top to bottom keeps it
// readable next to what Slack shows.
json request_modal(const Policy& policy, const Identity& who, const ModalChoice& choice) {
  json view = {{"type", "modal"}, {"callback_id", kRequestModal}, {"title", plain("Request AWS access")},
               {"close", plain("Cancel")}};
  json account_options = json::array();
  const AccountPolicy* account = nullptr;
  for (const auto& a : policy.accounts) {
    if (requestable(a, who).empty()) continue;
    account_options.push_back(option(fmt::format("{} ({})", a.name, a.id), a.name));
    if (a.name == choice.account || (!account && choice.account.empty())) account = &a;
  }
  if (account_options.empty()) {
    view["blocks"] = json::array({{{"type", "section"},
                                   {"text", {{"type", "mrkdwn"},
                                             {"text", "There is no role you may request. Ask an admin to add you "
                                                      "to a role's requesters in the JIT policy."}}}}});
    return fit_view(std::move(view));
  }
  if (!account) account = policy.find_account(account_options[0]["value"].get<std::string>());
  const auto roles = requestable(*account, who);
  const RolePolicy* role = roles.front();
  for (const auto* r : roles)
    if (r->name == choice.role) role = r;

  json role_options = json::array();
  json role_initial;
  for (const auto* r : roles) {
    json o = option(fmt::format("{} (up to {}{})", r->name, format_duration(r->max_duration),
                                r->tier == Tier::standard ? "" : ", " + std::string(tier_name(r->tier))),
                    r->name);
    if (r == role) role_initial = o;
    role_options.push_back(o);
  }
  json duration_options = json::array();
  for (Seconds d : durations_for(*role)) duration_options.push_back(option(format_duration(d), format_duration(d)));

  json blocks = json::array({
      select_block(kAccountField, "Account", account_options,
                   option(fmt::format("{} ({})", account->name, account->id), account->name), true),
      select_block(kRoleField, "Role", role_options, role_initial, true),
      select_block(kDurationField, "For how long", duration_options, nullptr, false),
      {{"type", "input"},
       {"block_id", kReasonField},
       {"label", plain("Reason")},
       {"element", {{"type", "plain_text_input"}, {"action_id", kReasonField}, {"multiline", true},
                    {"max_length", policy.reason_max_length},
                    {"placeholder", plain("What will you do with this access?")}}}},
  });
  if (role->ticket_required || !role->ticket_pattern.empty()) {
    json ticket = {{"type", "input"},
                   {"block_id", kTicketField},
                   {"label", plain("Ticket")},
                   {"optional", !role->ticket_required},
                   {"element", {{"type", "plain_text_input"}, {"action_id", kTicketField},
                                {"max_length", limits::kMaxTicketLength}}}};
    if (!role->ticket_pattern.empty()) ticket["hint"] = plain("Must match " + role->ticket_pattern);
    blocks.push_back(ticket);
  }
  // Right under Account and Role: the same role on other accounts.
  if (auto also = also_accounts_block(policy, who, *role, *account); !also.is_null())
    blocks.insert(blocks.begin() + 2, std::move(also));
  if (role->approvals_required > 1 || role->tier == Tier::break_glass)
    blocks.push_back({{"type", "context"},
                      {"elements", json::array({{{"type", "mrkdwn"},
                                                 {"text", fmt::format("This role needs {} approvals.",
                                                                      role->approvals_required)}}})}});
  view["blocks"] = blocks;
  view["submit"] = plain("Request");
  view["private_metadata"] = json{{"account", account->name}, {"role", role->name}}.dump();
  return fit_view(std::move(view));
}

ModalChoice choice_of(const json& view) {
  ModalChoice choice;
  if (const auto metadata = string_at(view, {"private_metadata"}); !metadata.empty()) {
    const json meta = json::parse(metadata, nullptr, false);
    choice.account = string_at(meta, {"account"});
    choice.role = string_at(meta, {"role"});
  }
  if (const json* values_at = member_at(view, {"state", "values"})) {
    const json& values = *values_at;
    if (auto a = text_value(values, kAccountField); !a.empty()) {
      if (a != choice.account) choice.role.clear();  // a new account: its own roles
      choice.account = a;
    }
    if (auto r = text_value(values, kRoleField); !r.empty()) choice.role = r;
  }
  return choice;
}

std::expected<ModalValues, std::map<std::string, std::string>> read_submission(const json& view) {
  static const json kNoValues;
  const json* values_at = member_at(view, {"state", "values"});
  const json& values = values_at ? *values_at : kNoValues;
  ModalValues v{text_value(values, kAccountField), text_value(values, kRoleField), text_value(values, kDurationField),
                text_value(values, kReasonField), text_value(values, kTicketField)};
  std::map<std::string, std::string> errors;
  // Each field bounded before anything else looks at it; the policy's own reason limit follows.
  const std::pair<const char*, const std::string*> fields[] = {
      {kAccountField, &v.account}, {kRoleField, &v.role}, {kDurationField, &v.duration},
      {kReasonField, &v.reason},   {kTicketField, &v.ticket}};
  for (const auto& [field, value] : fields)
    if (auto ok = user_text::check_length(field, *value, field_limit(field)); !ok) errors[field] = ok.error().message;
  if (auto also = also_values(values); also) v.also_accounts = std::move(*also);
  else errors[kAlsoAccountsField] = also.error();
  if (!errors.empty()) return std::unexpected(errors);
  if (v.account.empty()) errors[kAccountField] = "Choose an account.";
  if (v.role.empty()) errors[kRoleField] = "Choose a role.";
  if (v.duration.empty()) errors[kDurationField] = "Choose how long you need access.";
  if (user_text::is_blank(v.reason)) errors[kReasonField] = "Say why you need this access.";
  if (!errors.empty()) return std::unexpected(errors);
  return v;
}

json field_errors(const Error& error) {
  std::string field = kReasonField;
  for (const char* f : {kAccountField, kRoleField, kDurationField, kReasonField, kTicketField})
    if (error.message.starts_with(f)) field = f;
  if (error.code == Errc::denied || error.code == Errc::conflict) field = kRoleField;  // not allowed, or already open
  return {{"response_action", "errors"}, {"errors", {{field, error.message}}}};
}

json field_errors(const BundleRefusal& refusal) {
  if (refusal.index == 0) return field_errors(refusal.error);
  return {{"response_action", "errors"}, {"errors", {{kAlsoAccountsField, refusal_text(refusal)}}}};
}

json deny_modal(const std::string& request_id) {
  return fit_view({{"type", "modal"},
          {"callback_id", kDenyModal},
          {"title", {{"type", "plain_text"}, {"text", "Deny request"}}},
          {"submit", {{"type", "plain_text"}, {"text", "Deny"}}},
          {"close", {{"type", "plain_text"}, {"text", "Cancel"}}},
          {"private_metadata", request_id},
          {"blocks",
           json::array({{{"type", "input"},
                         {"block_id", kReasonField},
                         {"optional", true},
                         {"label", {{"type", "plain_text"}, {"text", "Reason (shown to the requester)"}}},
                         {"element", {{"type", "plain_text_input"}, {"action_id", kReasonField}, {"multiline", true},
                                      {"max_length", limits::kMaxDenyReasonLength}}}}})}});
}

std::expected<std::string, std::map<std::string, std::string>> read_deny_submission(const json& view) {
  const std::string reason = string_at(view, {"state", "values", kReasonField, kReasonField, "value"});
  if (auto ok = user_text::check_length("deny reason", reason, limits::kMaxDenyReasonLength); !ok)
    return std::unexpected(std::map<std::string, std::string>{{kReasonField, ok.error().message}});
  return reason;
}

}  // namespace jit::slack
