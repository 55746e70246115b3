#include "aws/credentials_chain.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <utility>

#include "aws/sts_web_identity.h"

namespace jit::aws {

std::optional<TimePoint> parse_expiration(std::string_view text) {
  // "YYYY-MM-DDTHH:MM:SS" then optional ".fraction", then "Z" or "+00:00".
  if (text.size() < 20) return std::nullopt;
  std::string_view rest = text.substr(19);
  if (rest.front() == '.') {
    rest.remove_prefix(1);
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 0) return std::nullopt;
    rest.remove_prefix(digits);
  }
  if (rest != "Z" && rest != "+00:00") return std::nullopt;
  return parse_time(std::string(text.substr(0, 19)) + "Z");
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos))
      text.replace(pos, secret.size(), "<redacted>");
  }
  return text;
}

namespace {

class EnvironmentSource final : public CredentialSource {
 public:
  explicit EnvironmentSource(EnvLookup env) : env_(std::move(env)) {}

  std::string name() const override { return "environment"; }

  Result<TimedCredentials> fetch() override {
    auto key_id = env_value(env_, "AWS_ACCESS_KEY_ID");
    auto secret = env_value(env_, "AWS_SECRET_ACCESS_KEY");
    if (!key_id && !secret) return fail(Error::NotFound("AWS_ACCESS_KEY_ID not set"));
    if (!secret) return fail(Error::Invalid("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"));
    if (!key_id) return fail(Error::Invalid("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
    TimedCredentials out{{*key_id, *secret, env_value(env_, "AWS_SESSION_TOKEN").value_or("")}, std::nullopt};
    if (auto expiration = env_value(env_, "AWS_CREDENTIAL_EXPIRATION")) {
      out.expiration = parse_expiration(*expiration);
      if (!out.expiration)
        return fail(Error::Invalid("AWS_CREDENTIAL_EXPIRATION is not a timestamp like 2026-11-24T23:11:32Z"));
    }
    return out;
  }

 private:
  EnvLookup env_;
};

class ProfileSource final : public CredentialSource {
 public:
  ProfileSource(EnvLookup env, net::HttpClient& http, const Clock& clock)
      : env_(std::move(env)), http_(http), clock_(clock) {}

  std::string name() const override { return fmt::format("shared files (profile {})", profile_name(env_)); }

  Result<TimedCredentials> fetch() override {
    const SharedFilePaths paths = shared_file_paths(env_);
    const std::string name = profile_name(env_);
    auto profile = load_profile(paths, name);
    if (!profile) return fail(profile.error());

    if (auto key_id = profile->get("aws_access_key_id")) {
      auto secret = profile->get("aws_secret_access_key");
      if (!secret)
        return fail(Error::Invalid(fmt::format("profile {} has aws_access_key_id but no aws_secret_access_key", name)));
      return TimedCredentials{{*key_id, *secret, profile->get("aws_session_token").value_or("")}, std::nullopt};
    }
    auto role_arn = profile->get("role_arn");
    auto token_file = profile->get("web_identity_token_file");
    if (role_arn && token_file)
      return fetch_web_identity_credentials(http_, env_, resolve_region(env_, paths.config_file, name), *role_arn,
                                            *token_file, profile->get("role_session_name"), clock_);
    return fail(Error::NotFound(fmt::format(
        "profile {} has neither aws_access_key_id nor role_arn + web_identity_token_file (SSO, "
        "credential_process and source_profile are not supported)",
        name)));
  }

 private:
  EnvLookup env_;
  net::HttpClient& http_;
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<CredentialSource> make_environment_source(EnvLookup env) {
  return std::make_unique<EnvironmentSource>(std::move(env));
}

std::unique_ptr<CredentialSource> make_profile_source(EnvLookup env, net::HttpClient& sts_http, const Clock& clock) {
  return std::make_unique<ProfileSource>(std::move(env), sts_http, clock);
}

CredentialsChain::CredentialsChain(std::vector<std::unique_ptr<CredentialSource>> sources, const Clock& clock,
                                   ChainOptions options)
    : sources_(std::move(sources)), clock_(clock), options_(options) {}

Result<Credentials> CredentialsChain::get() {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_.now();
  if (cached_) {
    if (!cached_->expiration || now < *cached_->expiration - options_.refresh_before) return cached_->credentials;
    if (now < *cached_->expiration) {
      // Due for refresh but still valid: ask the source that produced them, keep them on failure.
      if (now < next_refresh_attempt_) return cached_->credentials;
      next_refresh_attempt_ = now + options_.retry_after_failure;
      auto fresh = cached_source_->fetch();
      if (fresh) {
        spdlog::info("event=aws_credentials_refreshed source=\"{}\" expires={}", cached_source_->name(),
                     fresh->expiration ? format_time(*fresh->expiration) : "never");
        cached_ = std::move(*fresh);
        return cached_->credentials;
      }
      spdlog::warn("event=aws_credentials_refresh_failed source=\"{}\" expires={} error=\"{}\"",
                   cached_source_->name(), format_time(*cached_->expiration), fresh.error().message);
      return cached_->credentials;
    }
    spdlog::warn("event=aws_credentials_expired source=\"{}\" expired={}", cached_source_->name(),
                 format_time(*cached_->expiration));
    cached_.reset();
    cached_source_ = nullptr;
  }
  auto resolved = resolve();
  if (!resolved) return fail(resolved.error());
  return resolved->credentials;
}

Result<TimedCredentials> CredentialsChain::resolve() {
  std::string tried;
  for (const auto& source : sources_) {
    auto result = source->fetch();
    if (result) {
      spdlog::info("event=aws_credentials source=\"{}\" access_key_id={} expires={}", source->name(),
                   result->credentials.access_key_id,
                   result->expiration ? format_time(*result->expiration) : "never");
      cached_ = *result;
      cached_source_ = source.get();
      next_refresh_attempt_ = clock_.now() + options_.retry_after_failure;
      return result;
    }
    if (result.error().code != Errc::not_found)
      spdlog::warn("event=aws_credentials_source_failed source=\"{}\" error=\"{}\"", source->name(),
                   result.error().message);
    tried += fmt::format("{}{}: {}", tried.empty() ? "" : "; ", source->name(), result.error().message);
  }
  return fail(Error::Unavailable(fmt::format("no AWS credentials found; tried: {}", tried)));
}

net::ClientOptions metadata_client_options() {
  net::ClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(1000);
  options.request_timeout = std::chrono::milliseconds(2000);
  options.proxy = net::ProxySettings{};  // link-local services: never through a proxy
  options.allow_metadata_http = true;    // ECS and IMDS answer over plain http only
  return options;
}

std::unique_ptr<CredentialsChain> make_default_credentials_chain(const Clock& clock, DefaultChainInputs inputs) {
  if (inputs.http == nullptr) throw std::invalid_argument("make_default_credentials_chain: inputs.http is required");
  net::HttpClient& metadata_http = inputs.metadata_http ? *inputs.metadata_http : *inputs.http;
  std::vector<std::unique_ptr<CredentialSource>> sources;
  sources.push_back(make_environment_source(inputs.env));
  sources.push_back(make_profile_source(inputs.env, *inputs.http, clock));
  sources.push_back(make_web_identity_source(inputs.env, *inputs.http, clock));
  sources.push_back(make_container_source(inputs.env, metadata_http, clock, inputs.metadata_retry));
  sources.push_back(make_instance_metadata_source(inputs.env, metadata_http, clock, inputs.metadata_retry));
  return std::make_unique<CredentialsChain>(std::move(sources), clock, inputs.chain);
}

}  // namespace jit::aws
