#include "app/report_render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "app/report_trail.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using std::chrono::minutes;

// Two grants on prod, the second asked for with hostile text and a permalink that is not https.
audit_report::Report sample() {
  ReportTrail trail;
  auto r1 = trail.granted(ReportTrail::request("r1", kT0), {"U0ALICE", "U0BOB"});
  trail.ended(r1, "admin_revoke", "U0ADMIN", kT0 + minutes{30}, "revoked by U0ADMIN: done");
  AccessRequest hostile = ReportTrail::request("r2", kT0 + minutes{40});
  hostile.reason = "=HYPERLINK(\"http://evil.example\",\"x\"), <script>alert(1)</script>\nline two";
  hostile.ticket = "@SUM(A1)";
  trail.granted(hostile, {"U0ALICE"}, "javascript:alert(1)");
  audit_report::Report rep;
  rep.filter = {.since = *parse_time("2026-11-24"), .until = *parse_time("2026-11-25")};
  rep.generated_at = kT0 + minutes{90};
  rep.chain = audit_report::chain_status(trail.events(), trail.head(), audit::Keyring::unkeyed());
  rep.rows = audit_report::grant_rows(trail.events(), rep.filter);
  return rep;
}

std::vector<std::string> lines_of(const std::string& text, const std::string& end = "\n") {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (std::size_t at; (at = text.find(end, from)) != std::string::npos; from = at + end.size())
    out.push_back(text.substr(from, at - from));
  EXPECT_EQ(from, text.size()) << "the text ends with a line end";
  return out;
}

TEST(ReportCsv, OneRfc4180RowPerGrantWithFormulasTakenAsText) {
  const std::string csv = audit_report::to_csv(sample());
  const auto lines = lines_of(csv, "\r\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "request_id,requester,requester_email,account,account_id,role,permission_set_arn,duration,reason,ticket,"
            "requested_at,approvals,approvals_needed,granted_at,expires_at,ended_at,outcome,ended_by,end_reason,"
            "permalink,evidence,extends,extended_by,bundle");
  EXPECT_THAT(lines[1], HasSubstr("r1,U0DEV,dev@example.com,prod,123456789012,admin,"));
  EXPECT_THAT(lines[1], HasSubstr(",U0ALICE 2026-11-24T10:01:00Z; U0BOB 2026-11-24T10:02:00Z,2,"));
  EXPECT_THAT(lines[1], HasSubstr(",revoked,U0ADMIN,"));
  EXPECT_THAT(lines[1], HasSubstr(",https://acme.slack.com/archives/C0PROD/p1764000000000100,chain #1-#8"));
  // The reason: neutralised (leading '), quoted with quotes doubled, its line break made visible.
  EXPECT_THAT(lines[2], HasSubstr(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\"), <script>alert(1)</script>"
                                  "\\x0aline two\",\"'@SUM(A1)\","));
  EXPECT_EQ(csv.find('\n'), csv.find("\r\n") + 1) << "no bare line feed";
}

TEST(ReportJsonl, AHeaderLineThenOneObjectPerGrant) {
  const auto lines = lines_of(audit_report::to_jsonl(sample()));
  ASSERT_EQ(lines.size(), 3u);
  const auto header = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(header["type"], "report");
  EXPECT_EQ(header["since"], "2026-11-24T00:00:00Z");
  EXPECT_EQ(header["until"], "2026-11-25T00:00:00Z");
  EXPECT_EQ(header["chain"]["verified"], true);
  EXPECT_EQ(header["chain"]["verified_to"], 13);
  EXPECT_EQ(header["chain"]["checkpoint"]["checked"], false);
  EXPECT_EQ(header["grants"], 2);
  const auto first = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(first["type"], "grant");
  EXPECT_EQ(first["approvals"], (nlohmann::json{{{"approver", "U0ALICE"}, {"at", "2026-11-24T10:01:00Z"}},
                                                {{"approver", "U0BOB"}, {"at", "2026-11-24T10:02:00Z"}}}));
  EXPECT_EQ(first["outcome"], "revoked");
  EXPECT_EQ(first["ended_at"], "2026-11-24T10:30:00Z");
  EXPECT_EQ(first["duration_s"], 3600);
  const auto second = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(second["reason"], "=HYPERLINK(\"http://evil.example\",\"x\"), <script>alert(1)</script>\nline two");
  EXPECT_EQ(second["ended_at"], nullptr);
  EXPECT_EQ(second["outcome"], "active");
}

TEST(ReportHtml, EscapesEveryTextAndLinksOnlyHttpsPermalinks) {
  const std::string html = audit_report::to_html(sample());
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)"));
  EXPECT_THAT(html, HasSubstr("<a class=\"permalink\" href=\"https://acme.slack.com/archives/C0PROD/p1764000000000100\">"));
  EXPECT_THAT(html, Not(HasSubstr("href=\"javascript:")));
  EXPECT_THAT(html, HasSubstr("<td>javascript:alert(1)</td>"));
}

TEST(ReportHtml, OneSelfContainedPrintablePage) {
  const std::string html = audit_report::to_html(sample());
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<style>"));
  EXPECT_THAT(html, HasSubstr("@media print"));
  EXPECT_THAT(html, HasSubstr("@page"));
  for (const char* external : {"<script", "<link", "src=", "@import", "url("}) EXPECT_THAT(html, Not(HasSubstr(external)));
  EXPECT_THAT(html, HasSubstr("<dd id=\"window\">2026-11-24T00:00:00Z to 2026-11-25T00:00:00Z"));
  EXPECT_THAT(html, HasSubstr("<dd id=\"chain\" class=\"ok\">verified: 13 events, up to #13</dd>"));
  EXPECT_THAT(html, HasSubstr("<dd id=\"checkpoint\" class=\"muted\">not checked</dd>"));
  EXPECT_THAT(html, HasSubstr("Timeline of grants per account"));
  // r1 from 10:02 to 10:30 of a day: its bar starts 602/1440 of the way and is 28/1440 wide.
  EXPECT_THAT(html, HasSubstr("class=\"bar revoked\" style=\"left:41.81%;width:1.94%\""));
  std::size_t rows = 0;
  for (std::size_t at = 0; (at = html.find("<tr data-request=", at)) != std::string::npos; ++at) ++rows;
  EXPECT_EQ(rows, 2u);
}

// An extension's rows: the grant "extended by" its extension, the extension naming the grant, in
// every format.
TEST(ReportFormats, AnExtensionIsLinkedToItsGrantInEveryFormat) {
  ReportTrail trail;
  auto grant = trail.granted(ReportTrail::request("r1", kT0), {"U0ALICE"});
  AccessRequest more = ReportTrail::request("r2", kT0 + minutes{50});
  more.extends = "r1";
  trail.granted(more, {"U0BOB"});
  trail.handed_over(grant, "r2", kT0 + minutes{51});
  audit_report::Report rep = sample();
  rep.rows = audit_report::grant_rows(trail.events(), rep.filter);
  ASSERT_EQ(rep.rows.size(), 2u);

  const auto csv = lines_of(audit_report::to_csv(rep), "\r\n");
  EXPECT_THAT(csv[1], HasSubstr(",extended,,extended by r2,"));
  EXPECT_TRUE(csv[1].ends_with(",,r2,")) << csv[1];
  EXPECT_TRUE(csv[2].ends_with(",r1,,")) << csv[2];
  const auto jsonl = lines_of(audit_report::to_jsonl(rep));
  EXPECT_EQ(nlohmann::json::parse(jsonl[1])["outcome"], "extended");
  EXPECT_EQ(nlohmann::json::parse(jsonl[1])["extended_by"], "r2");
  EXPECT_EQ(nlohmann::json::parse(jsonl[2])["extends"], "r1");
  EXPECT_EQ(nlohmann::json::parse(jsonl[2])["bundle"], "");
  const std::string html = audit_report::to_html(rep);
  EXPECT_THAT(html, HasSubstr("<td class=\"outcome\">extended by r2<br>"));
  EXPECT_THAT(html, HasSubstr("r2<br><span class=\"muted\">extends r1</span>"));
  EXPECT_THAT(html, HasSubstr("class=\"bar extended\""));
}

TEST(ReportHtml, ABrokenChainIsSaidInTheHeaderAndTheSummary) {
  audit_report::Report rep = sample();
  rep.chain.verified = false;
  rep.chain.verified_to = 6;
  rep.chain.problem = "hash mismatch";
  EXPECT_THAT(audit_report::to_html(rep), HasSubstr("<dd id=\"chain\" class=\"bad\">NOT verified: broken after #6 (hash mismatch)"));
  EXPECT_THAT(audit_report::summary_line(rep), HasSubstr("audit chain NOT verified: broken after #6"));
  rep.chain.checkpoint = {.checked = true, .ok = true, .seq = 5};
  EXPECT_THAT(audit_report::summary_line(rep), HasSubstr("checkpoints: verified against checkpoint #5"));
}

TEST(ReportHtml, EscapeCoversMarkupQuotesAndControls) {
  EXPECT_EQ(audit_report::html_escape("a<b>&\"c\"'d'"), "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
  EXPECT_EQ(audit_report::html_escape("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(audit_report::html_escape("caf\xc3\xa9"), "caf\xc3\xa9");
}

TEST(ReportSummary, NamesTheWindowCountAndChain) {
  EXPECT_EQ(audit_report::summary_line(sample()),
            "report: 2 grants from 2026-11-24T00:00:00Z to 2026-11-25T00:00:00Z; audit chain verified: 13 events, "
            "up to #13; checkpoints: not checked; every row from the audit events");
  audit_report::Report rep = sample();
  rep.rows[0].from_request_row = {"reason"};
  rep.rows[1].past_the_break = true;
  EXPECT_THAT(audit_report::summary_line(rep), ::testing::EndsWith("; 1 row with fields from the request row, not the "
                                                                   "chain; 1 row past the break, not verified"));
  EXPECT_THAT(audit_report::to_html(rep), HasSubstr("<dd id=\"evidence\">1 row with fields from the request row"));
  EXPECT_THAT(audit_report::to_jsonl(rep), HasSubstr("\"evidence\":\"1 row with fields from the request row"));
}

}  // namespace
}  // namespace jit::testing
