// Writes the audit report's HTML page for a fixed, hand-built trail (sealed events with facts, as
// the engine writes them) to the file named by argv[1], for report_page_test.mjs to open in
// Chromium. The grants: an N-of-M grant revoked by an admin, a released one, a failed one, one
// still active, one with hostile text, on three accounts.
#include <fstream>
#include <iostream>

#include "app/report.h"
#include "app/report_render.h"
#include "app/report_trail.h"

int main(int argc, char** argv) {
  using namespace jit;
  using namespace jit::testing;
  using std::chrono::hours;
  using std::chrono::minutes;
  if (argc != 2) {
    std::cerr << "usage: report_page OUTPUT.html\n";
    return 2;
  }
  ReportTrail trail;
  auto nofm = trail.granted(ReportTrail::request("r-nofm", kT0 - hours{2}), {"U0ALICE", "U0BOB"});
  trail.ended(nofm, "admin_revoke", "U0ADMIN", kT0 - minutes{90}, "revoked by U0ADMIN: incident closed");
  auto released = trail.granted(ReportTrail::request("r-released", kT0, "staging"), {"U0CAROL"});
  trail.ended(released, "release", "U0DEV", kT0 + minutes{20}, "released by U0DEV");

  AccessRequest failed = ReportTrail::request("r-failed", kT0 + hours{1}, "sandbox");
  trail.add(failed.id, "submit", failed.created_at, failed.requester, audit::facts::of_submit(failed));
  trail.add(failed.id, "approve", failed.created_at + minutes{1}, "U0ALICE",
            audit::facts::of_decision({"U0ALICE", true, "", failed.created_at + minutes{1}}, 1, 1));
  failed.expires_at = failed.created_at + minutes{61};
  trail.add(failed.id, "begin_grant", failed.created_at + minutes{1}, "system:engine", audit::facts::of_begin_grant(failed));
  failed.ended_at = failed.created_at + minutes{2};
  failed.end_reason = "grant failed: AccessDeniedException";
  trail.add(failed.id, "grant_failed", *failed.ended_at, "system:engine", audit::facts::of_end(failed));

  AccessRequest hostile = ReportTrail::request("r-hostile", kT0 + hours{3});
  hostile.reason = "<b>bold</b> & =HYPERLINK(\"x\") <img src=x onerror=alert(1)>";
  auto h = trail.granted(hostile, {"U0BOB"}, "javascript:alert(1)");
  trail.ended(h, "expire", "system:timer", *h.expires_at, "expired");
  trail.granted(ReportTrail::request("r-active", kT0 + hours{6}), {"U0CAROL"});

  audit_report::Report report;
  report.filter = {.since = *parse_time("2026-11-24"), .until = *parse_time("2026-11-25")};
  report.generated_at = kT0 + hours{8};
  report.chain = audit_report::chain_status(trail.events(), trail.head(), audit::Keyring::unkeyed());
  report.rows = audit_report::grant_rows(trail.events(), report.filter);
  std::ofstream out(argv[1], std::ios::binary);
  out << audit_report::to_html(report);
  out.close();
  if (!out) {
    std::cerr << "report_page: cannot write " << argv[1] << "\n";
    return 1;
  }
  return 0;
}
