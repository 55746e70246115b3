#include "core/bundle.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/limits.h"
#include "core/user_text.h"

namespace jit {

std::string refusal_text(const BundleRefusal& refusal) {
  if (refusal.account.empty()) return refusal.error.message;
  return fmt::format("account {}: {}", refusal.account, refusal.error.message);
}

std::expected<std::vector<CheckedRequest>, BundleRefusal> check_bundle(const Policy& policy, const RequestDraft& draft,
                                                                      const std::vector<std::string>& accounts) {
  if (accounts.empty())
    return std::unexpected(BundleRefusal{"", Error::Invalid("name at least one account")});
  if (accounts.size() > limits::kMaxBundleAccounts)
    return std::unexpected(BundleRefusal{
        "",
        Error::Invalid(fmt::format("one request may name at most {} accounts, and this one names {}: ask for the "
                                   "others in a second request",
                                   limits::kMaxBundleAccounts, accounts.size())),
        limits::kMaxBundleAccounts});
  std::vector<CheckedRequest> out;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    const std::string& name = accounts[i];
    // Bounded before it is looked up or echoed.
    if (auto ok = user_text::check_length("account", name, limits::kMaxChoiceLength); !ok)
      return std::unexpected(BundleRefusal{"", ok.error(), i});  // not echoed: it may be anything
    RequestDraft one = draft;
    one.account = name;
    auto checked = check_request(policy, one);
    if (!checked) return std::unexpected(BundleRefusal{name, checked.error(), i});
    const auto same = [&](const CheckedRequest& c) { return c.account == checked->account; };
    if (std::any_of(out.begin(), out.end(), same))
      return std::unexpected(BundleRefusal{
          name, Error::Invalid(fmt::format("account {} is named twice: name each account once",
                                           checked->account->name)),
          i});
    out.push_back(*checked);
  }
  return out;
}

std::vector<const AccountPolicy*> accounts_with_role(const Policy& policy, const Identity& who, std::string_view role,
                                                     std::string_view except) {
  std::vector<const AccountPolicy*> out;
  for (const auto& account : policy.accounts) {
    if (account.name == except) continue;
    const RolePolicy* r = account.find_role(role);
    if (r && matches_any(who, r->requesters)) out.push_back(&account);
  }
  return out;
}

}  // namespace jit
