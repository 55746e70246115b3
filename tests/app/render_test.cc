#include "app/render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/time.h"
#include "core/user_text.h"

namespace jit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A reason as an attacker would write it: clear the screen, hide text, set the window title, a C1
// CSI, a right-to-left override, a bell, and a byte that is not UTF-8, around honest text.
const std::string kHostile =
    "fix \x1b[2J\x1b[8mhidden\x1b[0m \x1b]0;pwned\x07 \xC2\x9B" "31m \xE2\x80\xAE" "evil\r\n\t\x7F\xFF café 🔑";

bool has_raw_control(const std::string& s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n') || c == 0x7F) return true;
  return s.find("\xC2\x9B") != std::string::npos || s.find("\xE2\x80\xAE") != std::string::npos;
}

TEST(AppRender, PrintableShowsControlsAndKeepsText) {
  EXPECT_EQ(user_text::printable("plain text, café 🔑"), "plain text, café 🔑");
  EXPECT_EQ(user_text::printable(kHostile),
            "fix \\x1b[2J\\x1b[8mhidden\\x1b[0m \\x1b]0;pwned\\x07 \\u009b31m \\u202eevil\\x0d\\x0a\\x09\\x7f\xEF\xBF\xBD"
            " café 🔑");
  EXPECT_EQ(user_text::printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_TRUE(user_text::code_points("text", user_text::printable("\xC3\x28\xF0\x9F")));  // always valid UTF-8
}

TEST(AppRender, TableCellsCannotDriveTheTerminal) {
  const std::string table = text_table({"ID", "REASON"}, {{"r1", kHostile}, {"r2\x1b[1A", "ok"}});
  EXPECT_FALSE(has_raw_control(table)) << table;
  EXPECT_THAT(table, HasSubstr("\\x1b[2J"));
  EXPECT_THAT(table, HasSubstr("café 🔑"));
  // Three lines, the columns aligned on what the terminal shows.
  EXPECT_EQ(table, "ID         REASON\n"
                   "r1         " + user_text::printable(kHostile) + "\n"
                   "r2\\x1b[1A  ok\n");
}

TEST(AppRender, DescribeCannotDriveTheTerminal) {
  const AuditEvent e{.seq = 3, .at = *parse_time("2026-11-24T10:00:00Z"), .actor = "U0ALICE", .action = "deny",
                     .request_id = "r1", .detail = kHostile};
  EXPECT_FALSE(has_raw_control(describe(e)));
  EXPECT_THAT(describe(e), HasSubstr("(fix \\x1b[2J"));
}

TEST(AppRender, CsvCellsCannotBecomeFormulas) {
  auto cell = [](const std::string& detail) {
    const AuditEvent e{.seq = 1, .at = *parse_time("2026-11-24T10:00:00Z"), .actor = "U0A", .action = "deny",
                       .request_id = "r1", .from_state = "pending", .to_state = "denied", .detail = detail,
                       .prev_hash = "p", .hash = "h"};
    const std::string line = to_csv(e);
    const std::string prefix = "1,2026-11-24T10:00:00Z,U0A,deny,r1,pending,denied,";
    EXPECT_TRUE(line.starts_with(prefix)) << line;
    EXPECT_TRUE(line.ends_with(",p,h\n")) << line;
    return line.substr(prefix.size(), line.size() - prefix.size() - std::string(",p,h\n").size());
  };
  EXPECT_EQ(cell("=HYPERLINK(\"http://evil\",\"x\")"), "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"");
  EXPECT_EQ(cell("+1+cmd|' /C calc'!A0"), "\"'+1+cmd|' /C calc'!A0\"");
  EXPECT_EQ(cell("-2+3"), "\"'-2+3\"");
  EXPECT_EQ(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
  EXPECT_EQ(cell("\t=1"), "\"'\\x09=1\"");
  EXPECT_EQ(cell("\r=1"), "\"'\\x0d=1\"");
  EXPECT_EQ(cell("plain reason"), "plain reason");
  EXPECT_EQ(cell("a, b"), "\"a, b\"");
  EXPECT_EQ(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(cell("two\nlines \x1b[31m"), "two\\x0alines \\x1b[31m");  // one record per line
  EXPECT_EQ(cell("mid=dle"), "mid=dle");
  const AuditEvent by_formula{.actor = "=cmd", .action = "@x", .request_id = "-1"};
  EXPECT_THAT(to_csv(by_formula), HasSubstr(",\"'=cmd\",\"'@x\",\"'-1\","));
  EXPECT_THAT(to_csv(by_formula), Not(HasSubstr(",=")));
}

}  // namespace
}  // namespace jit
