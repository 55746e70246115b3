// Several accounts in one request (issue 17): one role name, duration, reason and ticket asked
// for on a few accounts at once. Each account becomes its own ordinary request, checked by every
// rule a request on its own is checked by, posted in its own owner channel, approved, granted and
// expired on its own; the bundle only links them (a `bundle` fact in each submit event, and one
// direct message to the requester listing them). Pure: no I/O.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "core/policy.h"

namespace jit {

// Why one account of a bundle is not asked for (or was not filed): the account as named, and the
// error a request on its own for it would give, or the bundle's own rule (too many accounts, an
// account named twice).
struct BundleRefusal {
  std::string account;  // "" when the name was past its limit or not valid UTF-8 (not echoed)
  Error error;
  std::size_t index = 0;  // its place among the accounts asked for (0: the first)
};

// The refusal in words for the requester: "account <name>: <why>" ("<why>" alone when the account
// is "": a name that cannot be echoed, or none given).
std::string refusal_text(const BundleRefusal& refusal);

// Checks a bundle before anything is filed: one to limits::kMaxBundleAccounts accounts, each name
// within limits::kMaxChoiceLength, each account named once (by name or id), and each passing every
// rule a request on its own for it passes (check_request with `draft`'s requester, role,
// duration, reason and ticket; draft.account is not read). The first refusal in the order given;
// else the checked requests, in that order.
std::expected<std::vector<CheckedRequest>, BundleRefusal> check_bundle(const Policy& policy, const RequestDraft& draft,
                                                                      const std::vector<std::string>& accounts);

// The accounts other than `except` (a name) that have a role named `role` which `who` may request,
// in policy order: what the request form offers as "Also for these accounts".
std::vector<const AccountPolicy*> accounts_with_role(const Policy& policy, const Identity& who, std::string_view role,
                                                     std::string_view except);

// What became of a bundle once filed: each request as stored, in the order asked, and each
// account that was not filed after all (a request for it appeared meanwhile, the provider did not
// know the requester, ...), with why.
struct BundleOutcome {
  std::string bundle;  // the bundle's id: the id of its first filed request ("" when none was)
  std::vector<AccessRequest> filed;
  std::vector<BundleRefusal> not_filed;
};

}  // namespace jit
