// The grants report (app/report.h) as CSV, JSON lines, or one self-contained HTML page.
#pragma once

#include <string>
#include <string_view>

#include "app/report.h"

namespace jit::audit_report {

// RFC 4180: a header row, then one row per grant, CRLF line ends. Every cell goes through
// csv_cell (app/render.h): a cell that a spreadsheet would run as a formula is taken as text.
// CSV has no place for a header, so each row says in its "evidence" cell what proves it; the
// chain's status is summary_line's.
std::string to_csv(const Report& report);

// One JSON object per line: first {"type":"report", window, generated_at, chain, grants}, then
// {"type":"grant", ...} per row. Text is kept as stored (JSON escapes it).
std::string to_jsonl(const Report& report);

// One HTML page that needs nothing else (inline CSS, no script, no external resource) and prints
// (print CSS, landscape): the summary (window, generated at, the chain's status), a timeline of
// the grants per account (CSS bars) and the table. Every text is escaped (html_escape); a
// permalink becomes a link only when it is an https URL.
std::string to_html(const Report& report);

// "report: 3 grants from 2026-11-01T00:00:00Z to 2026-12-01T00:00:00Z; audit chain verified: 120
// events, up to #120; checkpoints: not checked; every row from the audit events" (for stderr; the
// last part counts the rows with fields from the request row, or past a break, when there are).
std::string summary_line(const Report& report);

// `text` safe inside HTML text and attribute values: & < > " ' as entities, controls made
// visible (user_text::printable).
std::string html_escape(std::string_view text);

}  // namespace jit::audit_report
