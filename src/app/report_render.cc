#include "app/report_render.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "app/render.h"
#include "core/duration.h"
#include "core/user_text.h"

namespace jit::audit_report {

namespace {

std::string time_text(const std::optional<TimePoint>& t) { return t ? format_time(*t) : ""; }

std::string duration_text(const std::optional<Seconds>& d) { return d ? format_duration(*d) : ""; }

// "U0ALICE 2026-11-24T10:01:00Z; U0BOB 2026-11-24T10:02:00Z"
std::string approvals_text(const GrantRow& r) {
  std::string out;
  for (const auto& a : r.approvals) out += (out.empty() ? "" : "; ") + a.approver + " " + format_time(a.at);
  return out;
}

// What proves the row: the events' seq range, whether they lie past the break, and any field
// taken from the request row.
std::string evidence_text(const GrantRow& r) {
  std::string out = fmt::format("chain #{}-#{}", r.first_seq, r.last_seq);
  if (r.past_the_break) out += ", past the break: not verified";
  if (!r.from_request_row.empty())
    out += fmt::format("; from the request row, not the chain: {}", fmt::join(r.from_request_row, ", "));
  return out;
}

// "revoked by U0ADMIN", "released by U0DEV", "expired", "active", ...
std::string outcome_text(const GrantRow& r) {
  std::string out(outcome_name(r.outcome));
  if (!r.ended_by.empty() && (r.outcome == Outcome::released || r.outcome == Outcome::revoked)) out += " by " + r.ended_by;
  if (r.outcome == Outcome::extended && !r.extended_by.empty()) out += " by " + r.extended_by;
  return out;
}

std::string chain_text(const ChainStatus& c) {
  if (c.verified) return fmt::format("verified: {} events, up to #{}", c.events, c.verified_to);
  return fmt::format("NOT verified: broken after #{} ({}); {} events read", c.verified_to, c.problem, c.events);
}

std::string checkpoint_text(const CheckpointStatus& c) {
  if (!c.checked) return "not checked";
  return fmt::format("{} against checkpoint #{}{}", c.ok ? "verified" : "NOT verified", c.seq,
                     c.detail.empty() ? "" : " (" + c.detail + ")");
}

// "every row from the chain's facts", or how many rows are not.
std::string evidence_summary(const Report& report) {
  const auto fallback = std::count_if(report.rows.begin(), report.rows.end(),
                                      [](const GrantRow& r) { return !r.from_request_row.empty(); });
  const auto broken = std::count_if(report.rows.begin(), report.rows.end(),
                                    [](const GrantRow& r) { return r.past_the_break; });
  if (fallback == 0 && broken == 0) return "every row from the audit events";
  std::string out;
  if (fallback > 0) out = fmt::format("{} row{} with fields from the request row, not the chain", fallback,
                                      fallback == 1 ? "" : "s");
  if (broken > 0) out += fmt::format("{}{} row{} past the break, not verified", out.empty() ? "" : "; ", broken,
                                     broken == 1 ? "" : "s");
  return out;
}

const std::vector<std::string> kColumns{
    "request_id", "requester",   "requester_email", "account",    "account_id", "role",       "permission_set_arn",
    "duration",   "reason",      "ticket",          "requested_at", "approvals", "approvals_needed", "granted_at",
    "expires_at", "ended_at",    "outcome",         "ended_by",   "end_reason", "permalink",  "evidence",
    "extends",    "extended_by", "bundle"};

std::vector<std::string> cells(const GrantRow& r) {
  return {r.request_id,
          r.requester,
          r.requester_email,
          r.account,
          r.account_id,
          r.role,
          r.permission_set_arn,
          duration_text(r.duration),
          r.reason,
          r.ticket,
          time_text(r.requested_at),
          approvals_text(r),
          r.approvals_needed ? std::to_string(*r.approvals_needed) : "",
          time_text(r.granted_at),
          time_text(r.expires_at),
          time_text(r.ended_at),
          std::string(outcome_name(r.outcome)),
          r.ended_by,
          r.end_reason,
          r.permalink,
          evidence_text(r),
          r.extends,
          r.extended_by,
          r.bundle};
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : user_text::printable(text)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string summary_line(const Report& report) {
  return fmt::format("report: {} grant{} from {} to {}{}; audit chain {}; checkpoints: {}; {}", report.rows.size(),
                     report.rows.size() == 1 ? "" : "s", format_time(report.filter.since),
                     format_time(report.filter.until),
                     report.filter.account.empty() ? "" : " on " + user_text::printable(report.filter.account),
                     chain_text(report.chain), checkpoint_text(report.chain.checkpoint), evidence_summary(report));
}

std::string to_csv(const Report& report) {
  auto line = [](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + csv_cell(row[i]);
    return out + "\r\n";
  };
  std::string out = line(kColumns);
  for (const auto& r : report.rows) out += line(cells(r));
  return out;
}

std::string to_jsonl(const Report& report) {
  const ChainStatus& c = report.chain;
  nlohmann::json header{
      {"type", "report"},
      {"since", format_time(report.filter.since)},
      {"until", format_time(report.filter.until)},
      {"account", report.filter.account.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.filter.account)},
      {"generated_at", format_time(report.generated_at)},
      {"chain",
       {{"verified", c.verified},
        {"events", c.events},
        {"verified_to", c.verified_to},
        {"problem", c.problem},
        {"checkpoint",
         {{"checked", c.checkpoint.checked}, {"ok", c.checkpoint.ok}, {"seq", c.checkpoint.seq},
          {"detail", c.checkpoint.detail}}}}},
      {"grants", report.rows.size()},
      {"evidence", evidence_summary(report)}};
  std::string out = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  for (const auto& r : report.rows) {
    nlohmann::json approvals = nlohmann::json::array();
    for (const auto& a : r.approvals) approvals.push_back({{"approver", a.approver}, {"at", format_time(a.at)}});
    nlohmann::json row{{"type", "grant"},
                       {"request_id", r.request_id},
                       {"requester", r.requester},
                       {"requester_email", r.requester_email},
                       {"account", r.account},
                       {"account_id", r.account_id},
                       {"role", r.role},
                       {"permission_set_arn", r.permission_set_arn},
                       {"duration_s", r.duration ? nlohmann::json(r.duration->count()) : nlohmann::json(nullptr)},
                       {"reason", r.reason},
                       {"ticket", r.ticket},
                       {"requested_at", time_or_null(r.requested_at)},
                       {"approvals", approvals},
                       {"approvals_needed", r.approvals_needed ? nlohmann::json(*r.approvals_needed) : nlohmann::json(nullptr)},
                       {"granted_at", time_or_null(r.granted_at)},
                       {"expires_at", time_or_null(r.expires_at)},
                       {"ended_at", time_or_null(r.ended_at)},
                       {"outcome", outcome_name(r.outcome)},
                       {"ended_by", r.ended_by},
                       {"end_reason", r.end_reason},
                       {"permalink", r.permalink},
                       {"extends", r.extends},
                       {"extended_by", r.extended_by},
                       {"bundle", r.bundle},
                       {"evidence",
                        {{"first_seq", r.first_seq},
                         {"last_seq", r.last_seq},
                         {"past_the_break", r.past_the_break},
                         {"from_request_row", r.from_request_row}}}};
    out += row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return out;
}

namespace {

constexpr std::string_view kStyle = R"(
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;margin:24px}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:24px 0 8px}h3{font-size:13px;margin:12px 0 4px}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:0}
dl.summary dt{font-weight:600}dl.summary dd{margin:0}
.ok{color:#1a7f37}.bad{color:#cf222e;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{border:1px solid #d0d7de;padding:4px 6px;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}td.id{white-space:nowrap}td time{overflow-wrap:normal}
th{background:#f6f8fa}td.mono,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px}
td ul{margin:0;padding-left:14px}.muted{color:#57606a}
.lane{display:grid;grid-template-columns:260px 1fr;align-items:center;gap:8px;margin:2px 0}
.track{position:relative;height:14px;background:#f6f8fa;border:1px solid #d0d7de}
.bar{position:absolute;top:0;bottom:0;min-width:2px;background:#0969da}
.bar.expired{background:#6e7781}.bar.released{background:#1a7f37}.bar.revoked{background:#bf8700}
.bar.failed{background:#cf222e}.bar.active,.bar.granting,.bar.revoking{background:#0969da}
.bar.extended{background:#8250df}
.axis{display:grid;grid-template-columns:260px 1fr;gap:8px;font-size:11px;color:#57606a}
.axis div:last-child{display:flex;justify-content:space-between}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
@page{size:A4 landscape;margin:12mm}
@media print{body{margin:0;font-size:10px}table{font-size:9px}thead{display:table-header-group}
tr,.lane{break-inside:avoid}a{color:inherit;text-decoration:none}
.bar,.legend i{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
)";

// The share of the report's window before `t`, in percent (clamped to 0-100).
double percent(const Filter& f, TimePoint t) {
  const double span = static_cast<double>((f.until - f.since).count());
  const double at = static_cast<double>((std::clamp(t, f.since, f.until) - f.since).count());
  return span > 0 ? 100.0 * at / span : 0.0;
}

std::string timeline(const Report& report) {
  std::map<std::string, std::vector<const GrantRow*>> by_account;
  for (const auto& r : report.rows) by_account[r.account].push_back(&r);
  std::string out = "<section class=\"timeline\"><h2>Timeline of grants per account</h2>\n<p class=\"legend\">";
  for (const char* o : {"active", "expired", "released", "revoked", "failed", "extended"})
    out += fmt::format("<span><i class=\"bar {0}\" style=\"position:static\"></i>{0}</span>", o);
  out += "</p>\n";
  out += fmt::format("<div class=\"axis\"><div></div><div><span>{}</span><span>{}</span></div></div>\n",
                     format_time(report.filter.since), format_time(report.filter.until));
  for (const auto& [account, rows] : by_account) {
    out += fmt::format("<h3>{}</h3>\n", html_escape(account.empty() ? "(account not in the chain)" : account));
    for (const GrantRow* r : rows) {
      const double left = percent(report.filter, r->window_start);
      const double right = percent(report.filter, r->window_end.value_or(report.filter.until));
      out += fmt::format(
          "<div class=\"lane\"><div class=\"mono\">{} {} {}</div><div class=\"track\"><div class=\"bar {}\" "
          "style=\"left:{:.2f}%;width:{:.2f}%\" title=\"{} to {}\"></div></div></div>\n",
          html_escape(r->request_id), html_escape(r->requester), html_escape(r->role), outcome_name(r->outcome), left,
          std::max(right - left, 0.0), format_time(r->window_start),
          r->window_end ? format_time(*r->window_end) : "(still open)");
    }
  }
  return out + "</section>\n";
}

// A time people read ("2026-11-24 10:00:00Z", which wraps at the space), with its ISO form kept.
std::string time_html(const std::optional<TimePoint>& t) {
  if (!t) return "";
  std::string shown = format_time(*t);
  shown[10] = ' ';
  return fmt::format("<time datetime=\"{}\">{}</time>", format_time(*t), shown);
}

std::string td(std::string_view text, std::string_view cls = "") {
  return fmt::format("<td{}>{}</td>", cls.empty() ? "" : fmt::format(" class=\"{}\"", cls), html_escape(text));
}

std::string table_row(const GrantRow& r) {
  std::string approvals;
  for (const auto& a : r.approvals)
    approvals += fmt::format("<li><span class=\"approver\">{}</span> <span class=\"muted\">{}</span></li>",
                             html_escape(a.approver), time_html(a.at));
  if (!approvals.empty()) approvals = "<ul>" + approvals + "</ul>";
  if (r.approvals_needed) approvals += fmt::format("<span class=\"muted\">{} needed</span>", *r.approvals_needed);
  std::string ended = html_escape(outcome_text(r));
  if (!r.end_reason.empty()) ended += "<br><span class=\"muted\">" + html_escape(r.end_reason) + "</span>";
  // The request id, and what links it to other rows: the grant it extends, the bundle it came in.
  std::string id = html_escape(r.request_id);
  if (!r.extends.empty()) id += "<br><span class=\"muted\">extends " + html_escape(r.extends) + "</span>";
  if (!r.bundle.empty()) id += "<br><span class=\"muted\">bundle " + html_escape(r.bundle) + "</span>";
  const std::string link = r.permalink.starts_with("https://")
                               ? fmt::format("<a class=\"permalink\" href=\"{}\">thread</a>", html_escape(r.permalink))
                               : html_escape(r.permalink);
  return fmt::format(
      "<tr data-request=\"{}\"><td class=\"id mono\">{}</td><td class=\"requester\">{}<br><span class=\"muted\">{}</span></td>"
      "<td>{}<br><span class=\"muted mono\">{}</span></td><td>{}<br><span class=\"muted mono\">{}</span></td>{}{}{}"
      "<td>{}</td><td class=\"approvals\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"outcome\">{}</td>"
      "<td>{}</td>{}</tr>\n",
      html_escape(r.request_id), id, html_escape(r.requester), html_escape(r.requester_email),
      html_escape(r.account), html_escape(r.account_id), html_escape(r.role), html_escape(r.permission_set_arn),
      td(duration_text(r.duration)), td(r.reason), td(r.ticket), time_html(r.requested_at), approvals,
      time_html(r.granted_at), time_html(r.expires_at), time_html(r.ended_at), ended, link,
      td(evidence_text(r), "evidence muted"));
}

}  // namespace

std::string to_html(const Report& report) {
  const ChainStatus& c = report.chain;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  out += fmt::format("<title>JIT Access grants {} to {}</title>\n<style>{}</style></head><body>\n",
                     format_time(report.filter.since), format_time(report.filter.until), kStyle);
  out += "<header><h1>JIT Access: grants report</h1><dl class=\"summary\">\n";
  out += fmt::format("<dt>Window</dt><dd id=\"window\">{} to {} (end excluded)</dd>\n", format_time(report.filter.since),
                     format_time(report.filter.until));
  out += fmt::format("<dt>Account</dt><dd>{}</dd>\n",
                     report.filter.account.empty() ? "every account" : html_escape(report.filter.account));
  out += fmt::format("<dt>Generated at</dt><dd>{}</dd>\n", format_time(report.generated_at));
  out += fmt::format("<dt>Audit chain</dt><dd id=\"chain\" class=\"{}\">{}</dd>\n", c.verified ? "ok" : "bad",
                     html_escape(chain_text(c)));
  out += fmt::format("<dt>Checkpoints</dt><dd id=\"checkpoint\" class=\"{}\">{}</dd>\n",
                     !c.checkpoint.checked ? "muted" : c.checkpoint.ok ? "ok" : "bad",
                     html_escape(checkpoint_text(c.checkpoint)));
  out += fmt::format("<dt>Grants</dt><dd id=\"count\">{}</dd>\n", report.rows.size());
  out += fmt::format("<dt>Evidence</dt><dd id=\"evidence\">{}</dd>\n</dl>\n", html_escape(evidence_summary(report)));
  out += "<p class=\"muted\">One row per grant whose access overlaps the window, built from the audit events' facts. "
         "The evidence column names the events that prove each row, and any field taken from the request row "
         "instead.</p></header>\n";
  out += timeline(report);
  out += "<section><h2>Grants</h2>\n<table id=\"grants\"><thead><tr><th>Request</th><th>Requester</th>"
         "<th>Account</th><th>Role / permission set</th><th>Duration</th><th>Reason</th><th>Ticket</th>"
         "<th>Requested</th><th>Approvals</th><th>Granted</th><th>Expires</th><th>Ended</th><th>Outcome</th>"
         "<th>Slack</th><th>Evidence</th></tr></thead>\n<tbody>\n";
  for (const auto& r : report.rows) out += table_row(r);
  if (report.rows.empty()) out += "<tr><td colspan=\"15\">No grant overlaps the window.</td></tr>\n";
  out += "</tbody></table></section>\n</body></html>\n";
  return out;
}

}  // namespace jit::audit_report
