// core/pattern.h: admin-written patterns, matched by RE2 in linear time.
#include "core/pattern.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace jit {
namespace {

using ::testing::HasSubstr;

// The matcher itself, without the length limit in front of it: RE2 runs in linear time with no
// recursion per character, so a million characters neither crash nor stall it.
TEST(Pattern, MatchesAMillionCharactersWithoutRecursion) {
  const Pattern pattern = Pattern::compile("^INC-[0-9]+$").value();
  std::string ticket = "INC-" + std::string(1'000'000, '7');
  EXPECT_TRUE(pattern.full_match(ticket));
  ticket.back() = 'x';
  EXPECT_FALSE(pattern.full_match(ticket));
  EXPECT_FALSE(Pattern::compile("(a*)*b").value().full_match(std::string(1'000'000, 'a')));  // no backtracking
}

TEST(Pattern, FullMatchAndCompileErrors) {
  const Pattern pattern = Pattern::compile("INC-[0-9]+").value();
  EXPECT_EQ(pattern.text(), "INC-[0-9]+");
  EXPECT_TRUE(pattern.full_match("INC-7"));
  EXPECT_FALSE(pattern.full_match("xINC-7"));
  EXPECT_FALSE(pattern.full_match("INC-7\n"));
  auto bad = Pattern::compile("^OPS-[0-9+$");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::invalid);
  EXPECT_THAT(bad.error().message, HasSubstr("missing ]"));
}

}  // namespace
}  // namespace jit
