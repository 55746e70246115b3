// Shared by the loader's tests: the smallest valid policy, a TOML text with one part replaced, and
// the errors of a text that must not load.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/policy_loader.h"

namespace jit::test {

// The smallest valid policy. Line numbers matter: tests point at them.
//   1 [[accounts]]        5 approvers          9 permission_set_arn
//   2 name                6 (blank)           10 max_duration
//   3 id                  7 [[accounts.roles]] 11 requesters
//   4 owner_channel       8 name
constexpr std::string_view kMinimal = R"([[accounts]]
name = "prod"
id = "123456789012"
owner_channel = "C0PROD"
approvers = ["U0ALICE"]

[[accounts.roles]]
name = "admin"
permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1"
max_duration = "2h"
requesters = ["*"]
)";


// The smallest valid iam-role account. Line numbers matter: tests point at them.
//   1 [[accounts]]   5 external_id          9 (blank)            13 max_duration
//   2 name           6 base_principal_arn  10 [[accounts.roles]] 14 requesters
//   3 id             7 owner_channel       11 name
//   4 provider       8 approvers           12 role_arn
constexpr std::string_view kMinimalIamRole = R"([[accounts]]
name = "legacy"
id = "222233334444"
provider = "iam-role"
external_id = "jit-7f3a"
base_principal_arn = "arn:aws:iam::222233334444:role/okta-engineer"
owner_channel = "C0LEGACY"
approvers = ["U0ALICE"]

[[accounts.roles]]
name = "admin"
role_arn = "arn:aws:iam::222233334444:role/jit-admin"
max_duration = "1h"
requesters = ["*"]
)";


// `text` with the first occurrence of `from` replaced by `to`; fails the test when there is none.
inline std::string replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  const auto at = out.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) out.replace(at, from.size(), to);
  return out;
}

// The whole error message of loading `text` as "jit.toml"; fails the test when the text loads or
// the error is not Errc::invalid.
inline std::string errors(std::string_view text) {
  auto p = load_config(text, "jit.toml");
  EXPECT_FALSE(p.has_value()) << "loaded without errors:\n" << text;
  if (p.has_value()) return "";
  EXPECT_EQ(p.error().code, Errc::invalid) << p.error().message;
  return p.error().message;
}

}  // namespace jit::test
