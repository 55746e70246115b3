// `jit doctor`: checks the AWS side of a deployment and says what to fix (app/doctor.h).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>

#include "app/doctor.h"
#include "app/runtime.h"
#include "aws/iam_role_provider.h"
#include "cmd/jit/cli.h"
#include "cmd/jit/commands.h"
#include "core/user_text.h"

namespace jit {

namespace {

// {"healthy":bool,"findings":[{"level","check","detail","fix"}]}; bytes that are not UTF-8 (AWS's
// messages are quoted) become U+FFFD rather than an exception.
std::string as_json(const DoctorReport& report, bool healthy) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : report.findings)
    findings.push_back({{"level", level_name(f.level)}, {"check", f.check}, {"detail", f.detail}, {"fix", f.fix}});
  return nlohmann::json{{"healthy", healthy}, {"findings", findings}}.dump(2, ' ', false,
                                                                           nlohmann::json::error_handler_t::replace);
}

// One line per finding ("FAILED  scheduler: ..."), its fix below it, and a verdict. AWS's messages
// are quoted: controls are shown escaped, never passed to the terminal.
void print_text(const DoctorReport& report, bool healthy, bool strict) {
  for (const auto& f : report.findings) {
    fmt::print("{:6}  {}: {}\n", level_name(f.level), user_text::printable(f.check), user_text::printable(f.detail));
    if (!f.fix.empty()) fmt::print("        fix: {}\n", user_text::printable(f.fix));
  }
  fmt::print("{}\n", healthy  ? "all is well"
                     : strict ? "something to fix (see FAILED and warn above)"
                              : "something to fix (see FAILED above)");
}

}  // namespace

int cmd_doctor(const std::string& config, const std::string& store, Output output, bool strict) {
  auto rt = Runtime::build({.config_flag = config, .store_flag = store, .need_policy = true, .open_store = false});
  if (!rt) return report(rt.error());
  Runtime& runtime = **rt;
  // The store checked is the one the flags and environment name, as `jit serve` would open it.
  Config effective = *runtime.config();
  effective.settings.store.url = runtime.store_url();
  auto aws = runtime.aws();  // no region, or a malformed endpoint: a configuration error
  if (!aws) return report(aws.error());
  // The IAM-role path's checks ask IAM as `jit serve` would: through each account's management role.
  std::unique_ptr<aws::IamRoleProvider> iam_role;
  const auto on_iam_role = [](const AccountPolicy& a) { return a.provider == AccessPath::iam_role; };
  if (std::ranges::any_of(effective.policy.accounts, on_iam_role)) {
    auto made = runtime.make_iam_role_provider("jit-doctor");
    if (!made) return report(made.error());
    iam_role = std::move(*made);
  }
  const DoctorClients clients{.sso_admin = &(*aws)->sso_admin(),
                              .identitystore = &(*aws)->identitystore(),
                              .scheduler = &(*aws)->scheduler(),
                              .dynamodb = &(*aws)->dynamodb(),
                              .iam_role = iam_role.get()};
  const DoctorReport result = run_doctor(effective, clients, runtime.clock());
  const bool healthy = result.healthy(strict);
  if (output == Output::json) fmt::print("{}\n", as_json(result, healthy));
  else print_text(result, healthy, strict);
  return healthy ? kExitOk : kExitFailure;
}

}  // namespace jit
