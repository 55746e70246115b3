// The policy the Block Kit tests render against: account prod (123456789012, owner channel C0PROD,
// approver U0ALICE) with role admin (high tier, one approval) and role glass (break-glass, two
// approvals, WebAuthn step-up).
#pragma once

#include "core/policy.h"

namespace jit::slack::testing {

inline Policy render_policy() {
  Policy p;
  AccountPolicy prod{.name = "prod", .id = "123456789012", .owner_channel = "C0PROD", .approvers = {"U0ALICE"}};
  prod.roles.push_back({.name = "admin", .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-1",
                        .max_duration = std::chrono::hours{2}, .tier = Tier::high, .requesters = {"*"}});
  prod.roles.push_back({.name = "glass", .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-2",
                        .max_duration = std::chrono::hours{1}, .tier = Tier::break_glass, .approvals_required = 2,
                        .requesters = {"*"}, .step_up = true});
  p.accounts.push_back(prod);
  return p;
}

}  // namespace jit::slack::testing
