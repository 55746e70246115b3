// The step-up page's TLS identity (issue 15): what `jit serve` serves the page with and what
// `jit check-config` checks. It comes from the JIT_STEP_UP_TLS_CERTIFICATE and JIT_STEP_UP_TLS_KEY
// variables (on ECS, Secrets Manager secrets given to the task as variables) when both are set,
// else from the files [step_up] names.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"
#include "core/policy.h"
#include "core/settings.h"
#include "net/http_server.h"

namespace jit {

// The variables holding the PEM certificate chain (leaf first) and its PEM private key. Secrets:
// their values are never logged nor put in an error, only their names.
inline constexpr const char* kStepUpCertificateVariable = "JIT_STEP_UP_TLS_CERTIFICATE";
inline constexpr const char* kStepUpKeyVariable = "JIT_STEP_UP_TLS_KEY";

// The two variables' values; nullopt (or "") when unset.
struct StepUpTlsEnv {
  std::optional<std::string> certificate;
  std::optional<std::string> key;

  // This process's JIT_STEP_UP_TLS_CERTIFICATE and JIT_STEP_UP_TLS_KEY.
  static StepUpTlsEnv from_process();
  // Whether both / either is set (non-empty).
  bool both() const;
  bool either() const;
};

// The identity and where it came from, for messages: "JIT_STEP_UP_TLS_CERTIFICATE and
// JIT_STEP_UP_TLS_KEY" or "[step_up] tls_certificate_file PATH and tls_key_file PATH".
struct StepUpTls {
  net::TlsIdentity identity;
  std::string source;
};

// True when some role of `policy` has step_up (the page must then be served).
bool any_step_up(const Policy& policy);

// The identity from `env` when both variables are set, else from both PEM files of `step_up`;
// read (64 KiB at most each) and checked as the server would load them (net::check_tls_identity).
// Errc::invalid when only one variable is set (naming both), when neither the variables nor both
// files are given (naming both ways), or naming the setting and file, or the variable, and what
// is wrong (unreadable, too large, not PEM, a key that is not the certificate's). Never includes
// a variable's value.
Result<StepUpTls> load_step_up_tls(const StepUpSettings& step_up, const StepUpTlsEnv& env);

// The same with this process's variables.
Result<StepUpTls> load_step_up_tls(const StepUpSettings& step_up);

}  // namespace jit
