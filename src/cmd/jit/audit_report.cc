// `jit audit report`: the grants of a window, for auditors (app/report.h), as CSV, JSON lines or
// one HTML page, on stdout or in a file; a summary line on stderr.
#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "app/report.h"
#include "app/report_render.h"
#include "app/runtime.h"
#include "cmd/jit/cli.h"
#include "cmd/jit/commands.h"
#include "core/settings.h"

namespace jit {

namespace {

// HOOK(checkpoint): where `jit audit report` states the checkpoint the trail was verified against.
// The checkpoint verification (issue 13, signed checkpoints) fills `status` here; until it is
// wired, the report says "checkpoints: not checked".
void verify_against_checkpoints(Runtime&, audit_report::CheckpointStatus& status) { status.checked = false; }

Result<> write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return {};
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return fail(Error::Unavailable(fmt::format("--output {}: cannot write the file: check the directory "
                                                       "exists and is writable", path)));
  return {};
}

}  // namespace

int cmd_audit_report(const std::string& config, const std::string& store, const AuditReportFlags& flags) {
  auto since = parse_time_flag("--since", flags.since);
  if (!since) return kExitUsage;
  auto until = parse_time_flag("--until", flags.until);
  if (!until) return kExitUsage;
  if (*until <= *since) {
    std::cerr << fmt::format("jit: --until {} is not after --since {}: give a window whose end comes after its "
                             "start\n", format_time(*until), format_time(*since));
    return kExitUsage;
  }
  if (flags.format != "csv" && flags.format != "jsonl" && flags.format != "html") {
    std::cerr << fmt::format("jit: --format \"{}\": expected csv, jsonl or html\n", flags.format);
    return kExitUsage;
  }
  auto rt = Runtime::build({.config_flag = config, .store_flag = store});
  if (!rt) return report(rt.error());
  if (const auto& c = (*rt)->config(); c && !flags.account.empty() && !c->policy.find_account(flags.account))
    std::cerr << fmt::format("jit: warning: --account {} is not in the policy; showing the grants the audit trail "
                             "records for it\n", flags.account);
  auto built = audit_report::build((*rt)->store(), {.since = *since, .until = *until, .account = flags.account},
                             (*rt)->clock().now());
  if (!built) return report(built.error());
  verify_against_checkpoints(**rt, built->chain.checkpoint);
  const std::string text = flags.format == "csv"     ? audit_report::to_csv(*built)
                           : flags.format == "jsonl" ? audit_report::to_jsonl(*built)
                                                     : audit_report::to_html(*built);
  if (auto written = write_output(flags.output, text); !written) return report(written.error());
  std::cerr << audit_report::summary_line(*built) << "\n";
  return built->chain.verified ? kExitOk : kExitFailure;
}

}  // namespace jit
