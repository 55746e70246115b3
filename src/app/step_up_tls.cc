#include "app/step_up_tls.h"

#include <fmt/format.h>

#include <cstdlib>

#include "app/checkpoint_key.h"

namespace jit {

namespace {

constexpr std::size_t kMaxPem = 64 * 1024;

bool set(const std::optional<std::string>& value) { return value && !value->empty(); }

std::optional<std::string> variable(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::optional<std::string>(value) : std::nullopt;
}

// A variable's value, bounded like the files; the error names the variable, never the value.
Result<std::string> bounded(const std::string& value, const char* name) {
  if (value.size() > kMaxPem)
    return fail(Error::Invalid(
        fmt::format("{} is {} bytes, more than the {} allowed (expected a PEM text)", name, value.size(), kMaxPem)));
  return value;
}

Result<StepUpTls> from_env(const StepUpTlsEnv& env) {
  auto chain = bounded(*env.certificate, kStepUpCertificateVariable);
  if (!chain) return fail(chain.error());
  auto key = bounded(*env.key, kStepUpKeyVariable);
  if (!key) return fail(key.error());
  return StepUpTls{{std::move(*chain), std::move(*key)},
                   fmt::format("{} and {}", kStepUpCertificateVariable, kStepUpKeyVariable)};
}

Result<StepUpTls> from_files(const StepUpSettings& step_up) {
  if (step_up.tls_certificate_file.empty() || step_up.tls_key_file.empty())
    return fail(Error::Invalid(fmt::format(
        "the step-up page needs its TLS certificate and key: set [step_up] tls_certificate_file and tls_key_file "
        "(PEM files), or the variables {} and {} (PEM text, e.g. from Secrets Manager)",
        kStepUpCertificateVariable, kStepUpKeyVariable)));
  auto chain = read_small_file(step_up.tls_certificate_file, kMaxPem, "[step_up] tls_certificate_file");
  if (!chain) return fail(chain.error());
  auto key = read_small_file(step_up.tls_key_file, kMaxPem, "[step_up] tls_key_file");
  if (!key) return fail(key.error());
  return StepUpTls{{std::move(*chain), std::move(*key)},
                   fmt::format("[step_up] tls_certificate_file {} and tls_key_file {}", step_up.tls_certificate_file,
                               step_up.tls_key_file)};
}

}  // namespace

StepUpTlsEnv StepUpTlsEnv::from_process() {
  return {variable(kStepUpCertificateVariable), variable(kStepUpKeyVariable)};
}

bool StepUpTlsEnv::both() const { return set(certificate) && set(key); }
bool StepUpTlsEnv::either() const { return set(certificate) || set(key); }

bool any_step_up(const Policy& policy) {
  for (const auto& account : policy.accounts)
    for (const auto& role : account.roles)
      if (role.step_up) return true;
  return false;
}

Result<StepUpTls> load_step_up_tls(const StepUpSettings& step_up, const StepUpTlsEnv& env) {
  if (env.either() && !env.both())
    return fail(Error::Invalid(fmt::format("{} is set but {} is not: set both (the PEM certificate chain, leaf first, "
                                           "and its PEM private key) or neither",
                                           set(env.certificate) ? kStepUpCertificateVariable : kStepUpKeyVariable,
                                           set(env.certificate) ? kStepUpKeyVariable : kStepUpCertificateVariable)));
  auto tls = env.both() ? from_env(env) : from_files(step_up);
  if (!tls) return fail(tls.error());
  if (auto ok = net::check_tls_identity(tls->identity); !ok)
    return fail(Error::Invalid(fmt::format(
        "{}: {} (expected a PEM certificate chain, leaf first, and its PEM private key)", tls->source, ok.error().message)));
  return tls;
}

Result<StepUpTls> load_step_up_tls(const StepUpSettings& step_up) {
  return load_step_up_tls(step_up, StepUpTlsEnv::from_process());
}

}  // namespace jit
