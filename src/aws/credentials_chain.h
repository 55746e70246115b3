// The AWS credentials provider chain, in the SDKs' order:
//   1. environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)
//   2. shared files (~/.aws/credentials, ~/.aws/config; AWS_PROFILE), static keys, or a profile
//      with role_arn + web_identity_token_file
//   3. web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) through STS
//   4. container credentials (ECS / EKS Pod Identity)
//   5. EC2 instance metadata (IMDSv2)
// The first source that is configured and answers wins; its credentials are cached and, when they
// expire, refreshed before they do.
//
// Every input is injected (environment lookup, file paths through the environment, HTTP client,
// clock), so each source is testable without touching the process or the network.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "aws/shared_config.h"
#include "core/error.h"
#include "core/time.h"
#include "net/http.h"
#include "net/https_client.h"
#include "ports/clock.h"

namespace jit::aws {

// Credentials and when they stop working (nullopt: long-term keys, never refreshed).
struct TimedCredentials {
  Credentials credentials;
  std::optional<TimePoint> expiration;
};

// One place credentials may come from.
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // For the chain's "tried:" list and logs: "environment", "shared files (profile dev)", ...
  virtual std::string name() const = 0;
  // Errc::not_found: this source is not configured (its variables are unset); the message says
  // which. Any other error: configured but failed. Messages never contain a secret. May block on
  // the network. Called by one thread at a time (the chain serialises).
  virtual Result<TimedCredentials> fetch() = 0;
};

// Source 1: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN, and
// AWS_CREDENTIAL_EXPIRATION when the token is temporary).
std::unique_ptr<CredentialSource> make_environment_source(EnvLookup env);

// Source 2: the profile AWS_PROFILE (default "default") of the shared files. Static keys
// (aws_access_key_id, aws_secret_access_key, aws_session_token), or role_arn +
// web_identity_token_file (+ role_session_name), exchanged through STS like source 3. The files
// are read on every fetch; the chain's cache keeps that to once.
std::unique_ptr<CredentialSource> make_profile_source(EnvLookup env, net::HttpClient& sts_http, const Clock& clock);

// Source 3: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME) exchanged for
// temporary credentials with STS AssumeRoleWithWebIdentity (see sts_web_identity.h for the
// endpoint). The token file is re-read on every fetch (Kubernetes rotates it).
std::unique_ptr<CredentialSource> make_web_identity_source(EnvLookup env, net::HttpClient& sts_http,
                                                           const Clock& clock);

// How the metadata sources (container, instance) retry: transport errors and 5xx responses,
// up to max_attempts in all, `delay` apart (doubling), sleeping on the source's clock.
struct MetadataRetry {
  int max_attempts = 3;
  std::chrono::milliseconds delay{100};
};

// Source 4: container credentials. AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
// http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI (https anywhere; http only to
// loopback and the ECS / EKS Pod Identity addresses 169.254.170.2, 169.254.170.23, fd00:ec2::23).
// Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (preferred, re-read each fetch)
// or AWS_CONTAINER_AUTHORIZATION_TOKEN. Reply: JSON {AccessKeyId, SecretAccessKey, Token,
// Expiration}.
std::unique_ptr<CredentialSource> make_container_source(EnvLookup env, net::HttpClient& http, const Clock& clock,
                                                        MetadataRetry retry = {});

// Source 5: EC2 instance metadata, IMDSv2 only: PUT /latest/api/token, then
// GET /latest/meta-data/iam/security-credentials/ (the role) and .../<role>. Endpoint
// http://169.254.169.254 unless AWS_EC2_METADATA_SERVICE_ENDPOINT; skipped when
// AWS_EC2_METADATA_DISABLED=true.
std::unique_ptr<CredentialSource> make_instance_metadata_source(EnvLookup env, net::HttpClient& http,
                                                                const Clock& clock, MetadataRetry retry = {});

// An STS expiration or metadata "Expiration": "2026-11-24T23:11:32Z", with or without fractional
// seconds ("...32.123Z") or a "+00:00" offset.
std::optional<TimePoint> parse_expiration(std::string_view text);

// Replaces every occurrence of each non-empty secret in `text` with "<redacted>": the last line of
// defence for messages that quote a server's reply.
std::string redact(std::string text, const std::vector<std::string>& secrets);

struct ChainOptions {
  // Temporary credentials are refreshed when less than this remains.
  Seconds refresh_before{300};
  // After a failed refresh (old credentials still valid), wait this long before trying again.
  Seconds retry_after_failure{30};
};

// Tries its sources in order and caches the winner's credentials. Thread-safe: one caller
// fetches while the others wait for its result.
//
// Refresh: credentials with an expiration are refetched from the source that produced them once
// less than refresh_before remains. If that fails while they are still valid, they keep being
// returned (with a warning logged) and the refresh is retried after retry_after_failure; once they
// have expired the whole chain is tried again.
class CredentialsChain final : public CredentialsProvider {
 public:
  CredentialsChain(std::vector<std::unique_ptr<CredentialSource>> sources, const Clock& clock,
                   ChainOptions options = {});

  // Errc::unavailable "no AWS credentials found; tried: environment (...), ..." when no source has
  // credentials, naming each source and its short reason, never a secret.
  Result<Credentials> get() override;

 private:
  Result<TimedCredentials> resolve();  // the whole chain; REQUIRES: mutex_ held

  std::vector<std::unique_ptr<CredentialSource>> sources_;
  const Clock& clock_;
  ChainOptions options_;

  std::mutex mutex_;
  std::optional<TimedCredentials> cached_;
  CredentialSource* cached_source_ = nullptr;
  TimePoint next_refresh_attempt_{};
};

// Everything the standard chain reads.
struct DefaultChainInputs {
  EnvLookup env = net::process_env;
  // For STS (web identity). Required.
  net::HttpClient* http = nullptr;
  // For the container and instance metadata endpoints, made with metadata_client_options() so a
  // machine without them fails fast. nullptr: use `http`.
  net::HttpClient* metadata_http = nullptr;
  MetadataRetry metadata_retry;
  ChainOptions chain;
};

// Options for the metadata endpoints' client: 1 s to connect, 2 s per request, no proxy.
net::ClientOptions metadata_client_options();

// The standard five-source chain. `inputs.http` must be set; `clock` and the clients must outlive
// the provider.
std::unique_ptr<CredentialsChain> make_default_credentials_chain(const Clock& clock, DefaultChainInputs inputs);

}  // namespace jit::aws
