// `jit revoke ID --reason TEXT`: an operator at the console ends an active grant now.
#include <fmt/format.h>
#include <unistd.h>

#include "app/dry_run.h"
#include "app/runtime.h"
#include "cmd/jit/cli.h"
#include "cmd/jit/commands.h"
#include "engine/engine.h"

namespace jit {

int cmd_revoke(const std::string& config, const std::string& store, const std::string& id, const std::string& reason,
               const std::string& operator_name, bool dry_run) {
  auto rt = Runtime::build({.config_flag = config, .store_flag = store, .need_policy = true});
  if (!rt) return report(rt.error());
  Runtime& runtime = **rt;
  // The assignment is deleted in AWS through Identity Center; without it, only --dry-run ends the
  // grant in the store alone, and says so.
  auto provider = runtime.make_provider(dry_run, fmt::format("cli:{}:{}", operator_name, getpid()));
  if (!provider) return report(provider.error());
  // The console holds no Slack tokens: nothing is said in Slack from here. The audit trail and
  // this command's output are the record.
  LogOnlyChat chat;
  NoDirectory directory;
  EngineOptions options;
  options.dry_run = dry_run;
  options.lease = std::max(options.lease, minimum_lease((*provider)->call_deadline()));
  Engine engine(runtime.config(), runtime.store(), **provider, chat, directory, runtime.clock(), options);
  auto done = engine.console_revoke(id, operator_name, reason);
  if (!done) return report(done.error());
  fmt::print("{}: {} ({}){}\n", done->id, state_name(done->state), done->end_reason,
             dry_run ? " [dry run: nothing was revoked in AWS]" : "");
  return done->state == State::revoked ? kExitOk : kExitFailure;
}

}  // namespace jit
