#include "app/render.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/duration.h"
#include "core/user_text.h"

namespace jit {

nlohmann::json time_or_null(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(format_time(*t)) : nlohmann::json(nullptr);
}

namespace {

// Characters a terminal shows for `s` (valid UTF-8 after printable): its code points.
std::size_t shown_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

std::string csv_cell(std::string_view s) {
  const bool formula = !s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos;
  std::string cell = (formula ? "'" : "") + user_text::printable(s);
  if (!formula && cell.find_first_of(",\"") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

nlohmann::json to_json(const AccessRequest& r) {
  nlohmann::json decisions = nlohmann::json::array();
  for (const auto& d : r.decisions)
    decisions.push_back({{"approver", d.approver}, {"approved", d.approved}, {"reason", d.reason},
                         {"at", format_time(d.at)}});
  return {{"id", r.id},
          {"version", r.version},
          {"requester", r.requester},
          {"account", r.account},
          {"account_id", r.account_id},
          {"role", r.role},
          {"permission_set_arn", r.permission_set_arn},
          {"duration", format_duration(r.duration)},
          {"reason", r.reason},
          {"ticket", r.ticket},
          {"created_at", format_time(r.created_at)},
          {"updated_at", format_time(r.updated_at)},
          {"state", state_name(r.state)},
          {"decisions", decisions},
          {"requester_email", r.requester_email},
          {"principal", r.principal},
          {"granted_at", time_or_null(r.granted_at)},
          {"expires_at", time_or_null(r.expires_at)},
          {"ended_at", time_or_null(r.ended_at)},
          {"end_reason", r.end_reason}};
}

nlohmann::json to_json(const Grant& g) {
  return {{"request_id", g.request_id},
          {"principal", g.principal},
          {"requester", g.requester},
          {"account", g.account},
          {"account_id", g.account_id},
          {"role", g.role},
          {"permission_set_arn", g.permission_set_arn},
          {"granted_at", time_or_null(g.granted_at)},
          {"expires_at", format_time(g.expires_at)},
          {"state", state_name(g.state)},
          {"ended_at", time_or_null(g.ended_at)},
          {"end_reason", g.end_reason}};
}

nlohmann::json to_json(const AuditEvent& e) {
  return {{"seq", e.seq},       {"at", format_time(e.at)},       {"actor", e.actor},
          {"action", e.action}, {"request_id", e.request_id},    {"from_state", e.from_state},
          {"to_state", e.to_state}, {"detail", e.detail},        {"prev_hash", e.prev_hash},
          {"hash", e.hash}};
}

std::string text_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> shown{header};
  shown.insert(shown.end(), rows.begin(), rows.end());
  for (auto& row : shown)
    for (auto& cell : row) cell = user_text::printable(cell);
  std::vector<std::size_t> width(header.size());
  for (const auto& row : shown)
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], shown_width(row[i]));
  std::string out;
  for (const auto& cells : shown) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(i < width.size() ? width[i] - shown_width(cells[i]) + 2 : 2, ' ');
    }
    out += "\n";
  }
  return out;
}

std::string csv_header_audit() { return "seq,at,actor,action,request_id,from_state,to_state,detail,prev_hash,hash\n"; }

std::string to_csv(const AuditEvent& e) {
  return fmt::format("{},{},{},{},{},{},{},{},{},{}\n", e.seq, format_time(e.at), csv_cell(e.actor),
                     csv_cell(e.action), csv_cell(e.request_id), e.from_state, e.to_state, csv_cell(e.detail),
                     e.prev_hash, e.hash);
}

std::string describe(const AuditEvent& e) {
  std::string transition = e.from_state == e.to_state || e.from_state.empty()
                               ? (e.to_state.empty() ? "" : " " + e.to_state)
                               : fmt::format(" {}->{}", e.from_state, e.to_state);
  return user_text::printable(fmt::format("#{} {} {} {}{}{}{}", e.seq, format_time(e.at), e.actor, e.action,
                     e.request_id.empty() ? "" : " " + e.request_id, transition,
                     e.detail.empty() ? "" : " (" + e.detail + ")"));
}

}  // namespace jit
