// The /jit request modal: built from policy for one person, and read back on submission.
// Pure: no Slack calls.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/bundle.h"
#include "core/error.h"
#include "core/policy.h"
#include "slack/ids.h"

namespace jit::slack {

// What is picked so far (from private_metadata or the view state); empty = nothing yet.
struct ModalChoice {
  std::string account;
  std::string role;
};

// The modal for `who`: only the accounts and roles they may request, only the durations the chosen
// role allows, and a ticket field when the role asks for one. When the chosen role's name is also a
// role `who` may request on other accounts, an optional multi-select "Also for these accounts"
// lists those (at most limits::kMaxBundleAccounts - 1 picked): each becomes a request of its own
// (issue 17). Account and role selects dispatch
// block_actions so the view can be rebuilt (views.update) when they change. When `who` may request
// nothing, the modal says so and has no submit button.
nlohmann::json request_modal(const Policy& policy, const Identity& who, const ModalChoice& choice);

// The choice recorded in a view (its state values, else its private_metadata).
ModalChoice choice_of(const nlohmann::json& view);

// The request a submitted view asks for (requester filled in by the caller), or a map from
// block id to the error to show on that field (`response_action: errors`). Every field is checked
// against its limit (core/limits.h) and for valid UTF-8 before anything else; more accounts than
// the bound in "Also for these accounts" is an error on that field, before any is read.
struct ModalValues {
  std::string account, role, duration, reason, ticket;
  std::vector<std::string> also_accounts;  // the accounts picked in "Also for these accounts"
};
std::expected<ModalValues, std::map<std::string, std::string>> read_submission(const nlohmann::json& view);

// The deny form for a request: an optional reason, shown to the requester.
nlohmann::json deny_modal(const std::string& request_id);
// The reason of a submitted deny form, or the error for its reason field (too long for
// limits::kMaxDenyReasonLength, or not valid UTF-8).
std::expected<std::string, std::map<std::string, std::string>> read_deny_submission(const nlohmann::json& view);

// `{"response_action": "errors", "errors": {block: message}}` for a policy error about a draft:
// the error is put on the field it is about (account, role, duration, reason or ticket).
nlohmann::json field_errors(const Error& error);
// The same for a bundle's refusal (core/bundle.h): the first account's on its field as
// field_errors puts it; any other account's (or the bound's) on "Also for these accounts", naming
// the account.
nlohmann::json field_errors(const BundleRefusal& refusal);

}  // namespace jit::slack
