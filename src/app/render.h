// How requests, grants and audit events are shown: human text, JSON and CSV.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"

namespace jit {

// "2026-11-24T10:00:00Z", or null.
nlohmann::json time_or_null(const std::optional<TimePoint>& t);

nlohmann::json to_json(const AccessRequest& r);
nlohmann::json to_json(const Grant& g);
nlohmann::json to_json(const AuditEvent& e);

// Aligned columns with a header row. Every cell goes through user_text::printable: a reason holding
// control characters or ANSI escape sequences shows them as "\x1b[31m" and cannot drive the
// operator's terminal.
std::string text_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

// A CSV cell that a spreadsheet shows as text: controls made visible (user_text::printable: no
// line break survives), a leading = + - @ (or tab, CR) taken as text by a leading single quote
// (OWASP's CSV-injection advice), and quoted, with quotes doubled, when it holds a comma, a quote
// or was neutralised (RFC 4180).
std::string csv_cell(std::string_view s);

std::string csv_header_audit();
// One CSV line. Cells a person typed are safe to open in a spreadsheet: a leading = + - @ (or tab,
// CR) is prefixed with ' and the cell quoted (OWASP CSV injection), controls are made visible
// (user_text::printable: a newline shows as \x0a). JSON keeps every byte as stored.
std::string to_csv(const AuditEvent& e);

// One line for people: "#12 2026-11-24T10:00:00Z U0ALICE approve r1234 pending->approved (detail)",
// through user_text::printable.
std::string describe(const AuditEvent& e);

}  // namespace jit
