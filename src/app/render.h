// How requests, grants and audit events are shown: human text, JSON and CSV.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/model.h"

namespace jit {

nlohmann::json to_json(const AccessRequest& r);
nlohmann::json to_json(const Grant& g);
nlohmann::json to_json(const AuditEvent& e);

// Aligned columns with a header row; cells are shown as given.
std::string text_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

std::string csv_header_audit();
std::string to_csv(const AuditEvent& e);

// One line for people: "#12 2026-11-24T10:00:00Z U0ALICE approve r1234 pending->approved (detail)".
std::string describe(const AuditEvent& e);

}  // namespace jit
