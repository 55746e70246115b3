// `jit audit report`: the grants of a window, for auditors (app/report.h), as CSV, JSON lines or
// one HTML page, on stdout or in a file; a summary line on stderr.
#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "app/report.h"
#include "app/report_render.h"
#include "app/runtime.h"
#include "cmd/jit/audit_checkpoints.h"
#include "cmd/jit/cli.h"
#include "cmd/jit/commands.h"
#include "core/settings.h"

namespace jit {

namespace {

// The checkpoints given with --checkpoint/--checkpoints (signatures checked with --public-key), as
// the report's header states them; unchecked without such flags.
audit_report::CheckpointStatus verify_against_checkpoints(const std::vector<AuditEvent>& events,
                                                         const AuditHead& head, const CheckpointFlags& flags) {
  audit_report::CheckpointStatus status;
  if (!flags.any()) return status;
  status.checked = true;
  auto gathered = gather_anchors(flags);
  if (!gathered) {
    status.detail = gathered.error().message;
    return status;
  }
  const auto& anchors = gathered->anchors;
  for (const auto& a : anchors) status.seq = std::max(status.seq, a.seq);
  const auto problems = audit::check_anchors(events, head, anchors);
  status.ok = gathered->ok && problems.empty() && !anchors.empty();
  if (!problems.empty())
    status.detail = fmt::format("{} FAILED: {}", problems.front().anchor.source, problems.front().problem);
  else if (anchors.empty())
    status.detail = "no checkpoint was found in the files given";
  else if (!gathered->ok)
    status.detail = "a checkpoint's signature did not hold";
  else
    status.detail = fmt::format("{} checkpoint{} held, the latest at event {}", anchors.size(),
                                anchors.size() == 1 ? "" : "s", status.seq);
  return status;
}

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
  auto built = audit_report::build(
      (*rt)->store(), (*rt)->audit_keys().keys, {.since = *since, .until = *until, .account = flags.account},
      (*rt)->clock().now(), [&](const std::vector<AuditEvent>& events, const AuditHead& head, audit_report::Report& r) {
        r.chain.checkpoint = verify_against_checkpoints(events, head, flags.checkpoints);
      });
  if (!built) return report(built.error());
  const std::string text = flags.format == "csv"     ? audit_report::to_csv(*built)
                           : flags.format == "jsonl" ? audit_report::to_jsonl(*built)
                                                     : audit_report::to_html(*built);
  if (auto written = write_output(flags.output, text); !written) return report(written.error());
  std::cerr << audit_report::summary_line(*built) << "\n";
  const bool checkpoints_ok = !built->chain.checkpoint.checked || built->chain.checkpoint.ok;
  return built->chain.verified && checkpoints_ok ? kExitOk : kExitFailure;
}

}  // namespace jit
