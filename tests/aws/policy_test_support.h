// Shared by the policy-document table tests (cutoff_policy_test.cc, trust_policy_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "aws/cutoff_policy.h"

namespace jit::aws::test {

// cutoff::parse_policy, failing the test when it refuses.
inline cutoff::Policy parsed(std::string_view text) {
  auto p = cutoff::parse_policy(text);
  EXPECT_TRUE(p) << p.error().message;
  return p ? *p : cutoff::Policy{};
}

// The Sid of every statement in order ("" when it has none).
inline std::vector<std::string> sids(const cutoff::Policy& p) {
  std::vector<std::string> out;
  for (const auto& s : p.document["Statement"]) out.push_back(s.value("Sid", ""));
  return out;
}

}  // namespace jit::aws::test
