// STS AssumeRoleWithWebIdentity over the Query protocol: the one STS call the credentials chain
// makes. It is unsigned (the web identity token is the proof), so it needs no credentials itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials_chain.h"
#include "aws/query_xml.h"
#include "aws/shared_config.h"
#include "core/error.h"
#include "net/http.h"
#include "ports/clock.h"

namespace jit::aws {

struct WebIdentityRequest {
  std::string role_arn;
  std::string role_session_name;  // 2-64 of [\w+=,.@-]
  std::string token;              // a secret: never logged, never in a message
};

// Where STS is: resolve_endpoint(AwsService::sts, ...) of endpoints.h (AWS_ENDPOINT_URL_STS, else
// AWS_ENDPOINT_URL, else https://sts.<region>.amazonaws.com), with us-east-1 when no region is
// known (the call is unsigned, so any regional endpoint works). Errc::invalid when an override is
// not a URL net::Endpoint::parse accepts.
Result<net::Endpoint> sts_endpoint(const EnvLookup& env, const std::optional<std::string>& region);

// The form body: Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=...&
// RoleSessionName=...&WebIdentityToken=... (percent-encoded).
std::string web_identity_form(const WebIdentityRequest& request);

// The credentials in an STS reply: `<result>/Credentials/{AccessKeyId, SecretAccessKey,
// SessionToken, Expiration}`, `result` being the operation's result element ("AssumeRoleResult",
// "AssumeRoleWithWebIdentityResult"). Errc::unavailable naming the fields when one is missing or
// Expiration is not a timestamp; never copies a credential into the message.
Result<TimedCredentials> sts_credentials_of(const QueryXml& reply, std::string_view result);

// Reads an AssumeRoleWithWebIdentityResponse (status 200) or an ErrorResponse. Errc::denied for
// 4xx (the message carries STS's Code and Message), Errc::unavailable for other failures or a
// reply without the four Credentials fields. Never copies a credential into a message.
Result<TimedCredentials> parse_web_identity_response(const net::HttpResponse& response);

// POST / to `endpoint` and parse the reply. Messages name the endpoint, never the token.
Result<TimedCredentials> assume_role_with_web_identity(net::HttpClient& http, const net::Endpoint& endpoint,
                                                       const WebIdentityRequest& request);

// Reads the token file, builds the request (session name defaulting to
// "jit-access-<epoch seconds>") and calls STS at sts_endpoint(env, region).
// Errc::unavailable when the token file cannot be read.
Result<TimedCredentials> fetch_web_identity_credentials(net::HttpClient& http, const EnvLookup& env,
                                                        const std::optional<std::string>& region,
                                                        const std::string& role_arn,
                                                        const std::string& token_file,
                                                        std::optional<std::string> session_name,
                                                        const Clock& clock);

}  // namespace jit::aws
