// On-call auto-approval's PagerDuty side (issue 17), as `jit serve` builds it: only when a role of
// the policy names a schedule (RolePolicy::on_call_schedule).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/policy.h"
#include "core/settings.h"
#include "net/http.h"
#include "net/https_client.h"
#include "ports/clock.h"
#include "ports/on_call.h"

namespace jit {

// The first role (as "account/role") of `policy` with auto_approve_if_on_call; "" when none.
std::string first_on_call_role(const Policy& policy);

// The PagerDuty REST API token: JIT_PAGERDUTY_TOKEN when set (non-empty), else the whole of
// [pagerduty] token_file (surrounding white space trimmed). Errc::invalid naming the variable and
// the setting when neither gives one, naming the source when it is not a token (empty, longer than
// 256 characters, or not printable ASCII without spaces); never including the value.
Result<std::string> load_pagerduty_token(const PagerDutySettings& settings, const net::EnvLookup& env = net::process_env);

// The OnCall `jit serve` gives the engine: the PagerDuty client over an HTTP client of its own
// (timeouts from [pagerduty] timeout, bodies up to 1 MiB), or nullptr when no role asks.
struct PagerDutySide {
  std::unique_ptr<net::HttpClient> http;
  std::unique_ptr<OnCall> on_call;
};
Result<PagerDutySide> make_pagerduty(const Config& config, const Clock& clock,
                                     const net::EnvLookup& env = net::process_env);

}  // namespace jit
