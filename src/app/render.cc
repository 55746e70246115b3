#include "app/render.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/duration.h"

namespace jit {

namespace {

nlohmann::json time_or_null(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(format_time(*t)) : nlohmann::json(nullptr);
}

std::string csv_cell(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

}  // namespace

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
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (std::size_t i = 0; i < cells.size(); ++i)
      l += i + 1 == cells.size() ? cells[i] : fmt::format("{:<{}}  ", cells[i], width[i]);
    out += l + "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
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
  return fmt::format("#{} {} {} {}{}{}{}", e.seq, format_time(e.at), e.actor, e.action,
                     e.request_id.empty() ? "" : " " + e.request_id, transition,
                     e.detail.empty() ? "" : " (" + e.detail + ")");
}

}  // namespace jit
