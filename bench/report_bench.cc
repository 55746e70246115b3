// The grants report at scale: N grants (2-of-M approvals, each ended, sealed events with facts as
// the engine writes them) built into rows, verified and rendered in each format. Prints the time
// of each step and the output sizes.
//   build/default/bench/report_bench [--grants N]   (default 10,000)
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "app/report.h"
#include "app/report_render.h"
#include "app/report_trail.h"

namespace {

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace jit;
  using namespace jit::testing;
  int grants = 10000;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--grants") grants = std::atoi(argv[i + 1]);
  ReportTrail trail;
  for (int i = 0; i < grants; ++i) {
    auto r = trail.granted(ReportTrail::request(fmt::format("r{:06}", i), kT0 + std::chrono::minutes{i}),
                           {"U0ALICE", "U0BOB"});
    trail.ended(r, "expire", "system:timer", *r.expires_at, "expired");
  }
  const audit_report::Filter filter{.since = kT0, .until = kT0 + std::chrono::minutes{grants + 120}};
  auto t = std::chrono::steady_clock::now();
  audit_report::Report report{.filter = filter, .generated_at = kT0,
                              .chain = audit_report::chain_status(trail.events(), trail.head(), audit::Keyring::unkeyed())};
  const double verify_ms = ms_since(t);
  t = std::chrono::steady_clock::now();
  report.rows = audit_report::grant_rows(trail.events(), filter);
  const double rows_ms = ms_since(t);
  fmt::print("report_bench: {} grants, {} events; verify {:.0f} ms, rows {:.0f} ms\n", report.rows.size(),
             trail.events().size(), verify_ms, rows_ms);
  for (const char* format : {"csv", "jsonl", "html"}) {
    t = std::chrono::steady_clock::now();
    const std::string text = std::string(format) == "csv"     ? audit_report::to_csv(report)
                             : std::string(format) == "jsonl" ? audit_report::to_jsonl(report)
                                                              : audit_report::to_html(report);
    fmt::print("  {:<5} {:.0f} ms, {:.1f} MB\n", format, ms_since(t), static_cast<double>(text.size()) / 1e6);
  }
  return report.chain.verified && static_cast<int>(report.rows.size()) == grants ? 0 : 1;
}
