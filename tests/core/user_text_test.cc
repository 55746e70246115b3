// core/user_text.h: UTF-8 checks, lengths in code points, blank in Unicode.
#include "core/user_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace jit {
namespace {

TEST(UserText, CountsCodePointsAndRefusesInvalidUtf8) {
  EXPECT_EQ(user_text::code_points("reason", "abc").value(), 3u);
  EXPECT_EQ(user_text::code_points("reason", "é\u200B😀").value(), 3u);
  for (const char* bad : {"\xC3", "\x80", "\xC0\xAF" /* overlong '/' */, "\xED\xA0\x80" /* surrogate */,
                          "\xF4\x90\x80\x80" /* past U+10FFFF */, "\xE2\x82"}) {
    auto n = user_text::code_points("reason", bad);
    ASSERT_FALSE(n.has_value()) << bad;
    EXPECT_THAT(n.error().message, testing::StartsWith("reason is not valid UTF-8 (byte "));
  }
  EXPECT_TRUE(user_text::check_length("deny reason", "ééé", 3).has_value());
  EXPECT_EQ(user_text::check_length("deny reason", "éééé", 3).error().message,
            "deny reason is 4 characters long; the limit is 3");
}

TEST(UserText, BlankMeansBlankInUnicode) {
  EXPECT_TRUE(user_text::is_blank(""));
  for (const char* space : {" ", "\t", "\n", "\r", "\v", "\f", "\u0085", "\u00A0", "\u1680", "\u180E", "\u2000",
                            "\u2005", "\u200A", "\u200B", "\u2028", "\u2029", "\u202F", "\u205F", "\u3000", "\uFEFF"})
    EXPECT_TRUE(user_text::is_blank(space)) << space;
  for (const char* text : {"x", "\u200C" /* zero-width non-joiner: not a space */, "\u00A0.", "\xC2" /* invalid */})
    EXPECT_FALSE(user_text::is_blank(text)) << text;
}

TEST(UserText, PrintableExcerptFitsItsBoundInPrintedBytesAndNeverCutsAnEscape) {
  EXPECT_EQ(user_text::printable_excerpt("short", 10), "short");
  EXPECT_EQ(user_text::printable_excerpt("abcdefghijkl", 10), "abcdefghij…");
  // 100 control bytes print as 400 bytes: the excerpt stops at whole escapes within the bound.
  std::string controls(100, '\x1b');
  auto shown = user_text::printable_excerpt(controls, 10);
  EXPECT_EQ(shown, "\\x1b\\x1b…");
  // A code point is never split; invalid bytes show as U+FFFD.
  EXPECT_EQ(user_text::printable_excerpt("ab😀", 5), "ab…");
  EXPECT_EQ(user_text::printable_excerpt("\xff\xff", 4), "\xEF\xBF\xBD…");
  EXPECT_EQ(user_text::printable_excerpt(std::string(4096, '\x01'), 100).size(), 100u + 3u);
}

}  // namespace
}  // namespace jit
