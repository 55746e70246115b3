#include "stepup/service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "audit/credentials.h"
#include "core/duration.h"
#include "core/limits.h"
#include "core/time.h"
#include "crypto/digest.h"
#include "crypto/ed25519.h"
#include "stepup/credential_trail.h"
#include "stepup/service_internal.h"

namespace jit::stepup {

namespace {

constexpr std::size_t kTokenBytes = 24;  // 32 base64url characters
constexpr std::size_t kNonceBytes = 32;
constexpr int kWebAuthnTimeoutMs = 60000;
constexpr std::size_t kMinCredentialPrefix = 8;
constexpr int kTokenAttempts = 3;  // a clash of 192 random bits is not expected even once

// "https://host:8443" -> "host"; "https://[::1]:8443" -> "::1".
std::string host_of(const std::string& origin) {
  std::string_view rest = origin;
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos) rest.remove_prefix(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  if (rest.starts_with('[')) return std::string(rest.substr(1, rest.find(']') - 1));
  return std::string(rest.substr(0, rest.find(':')));
}

nlohmann::json credential_list(const std::vector<WebAuthnCredential>& credentials) {
  auto list = nlohmann::json::array();
  for (const auto& c : credentials) list.push_back({{"type", "public-key"}, {"id", c.credential_id}});
  return list;
}

nlohmann::json get_options(const RelyingParty& rp, const StepUpChallenge& challenge,
                           const std::vector<WebAuthnCredential>& credentials) {
  return {{"challenge", crypto::base64url(challenge_bytes(challenge))},
          {"rpId", rp.rp_id},
          {"allowCredentials", credential_list(credentials)},
          {"userVerification", "required"},
          {"timeout", kWebAuthnTimeoutMs}};
}

nlohmann::json create_options(const RelyingParty& rp, const StepUpChallenge& challenge,
                              const std::vector<WebAuthnCredential>& existing) {
  const std::string user_handle = crypto::sha256(challenge.user_id).substr(0, 16);
  return {{"challenge", crypto::base64url(challenge_bytes(challenge))},
          {"rp", {{"id", rp.rp_id}, {"name", "JIT Access"}}},
          {"user", {{"id", crypto::base64url(user_handle)}, {"name", challenge.user_id}, {"displayName", challenge.user_id}}},
          {"pubKeyCredParams", {{{"type", "public-key"}, {"alg", -7}}, {{"type", "public-key"}, {"alg", -8}}}},
          {"authenticatorSelection", {{"userVerification", "required"}, {"residentKey", "discouraged"}}},
          {"attestation", "none"},
          {"excludeCredentials", credential_list(existing)},
          {"timeout", kWebAuthnTimeoutMs}};
}

PageAnswer page_error(int status, const std::string& message) {
  return {status, {{"error", message}}};
}

}  // namespace

bool is_token(std::string_view token) {
  return token.size() == 32 && std::all_of(token.begin(), token.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
         });
}

Result<std::string> string_field(const nlohmann::json& object, const char* key, std::size_t max_bytes) {
  if (!object.is_object()) return fail(Error::Invalid(fmt::format("expected an object holding \"{}\"", key)));
  auto it = object.find(key);
  if (it == object.end() || !it->is_string())
    return fail(Error::Invalid(fmt::format("\"{}\" is missing or not a string", key)));
  const auto& text = it->get_ref<const std::string&>();
  if (text.size() > max_bytes) return fail(Error::Invalid(fmt::format("\"{}\" is longer than {} bytes", key, max_bytes)));
  return text;
}

int status_of(Errc code) {
  switch (code) {
    case Errc::invalid: return 400;
    case Errc::not_found: return 404;
    case Errc::conflict: return 409;
    case Errc::denied: return 403;
    case Errc::unavailable: return 503;
    case Errc::internal: break;
  }
  return 500;
}

std::string_view purpose_name(StepUpPurpose purpose) {
  return purpose == StepUpPurpose::enroll ? "enroll" : "approve";
}

PageAnswer refuse(int status, std::string_view reason, const std::string& message, const StepUpChallenge* challenge) {
  if (challenge)
    spdlog::warn("event=step_up_refused reason={} purpose={} user={} request={} status={}", reason,
                 purpose_name(challenge->purpose), challenge->user_id, challenge->request_id, status);
  else
    spdlog::warn("event=step_up_refused reason={} status={}", reason, status);
  return {status, {{"ok", false}, {"error", message}}};
}

RelyingParty StepUpService::Impl::relying_party() const {
  const auto settings = engine.settings();
  const auto& s = settings->step_up;
  return {s.origin, s.rp_id.empty() ? host_of(s.origin) : s.rp_id};
}

Result<std::vector<WebAuthnCredential>> StepUpService::Impl::usable_credentials(const std::string& user_id) {
  auto all = links.credentials_of(user_id);
  if (!all) return fail(all.error());
  std::vector<WebAuthnCredential> usable;
  for (auto& c : *all) {
    auto standing = check_standing(audit, engine.audit_keys(), c);
    if (standing) {
      usable.push_back(std::move(c));
    } else if (standing.error().code != Errc::denied) {
      return fail(standing.error());
    }
  }
  return usable;
}

StepUpService::StepUpService(Engine& engine, StepUpStore& links, Store& audit, const Clock& clock)
    : impl_(std::make_shared<Impl>(Impl{engine, links, audit, clock})) {}

Result<Link> StepUpService::Impl::issue(StepUpPurpose purpose, const std::string& user_id,
                                        const std::string& request_id) {
  const auto settings = engine.settings();
  const TimePoint now = clock.now();
  StepUpChallenge challenge{.purpose = purpose, .user_id = user_id, .request_id = request_id,
                            .action = std::string(purpose_name(purpose)),
                            .nonce = crypto::base64url(crypto::random_bytes(kNonceBytes)),
                            .created_at = now, .expires_at = now + settings->step_up.link_lifetime};
  for (int attempt = 0;; ++attempt) {
    // The token must be unguessable: the CSPRNG, not the Clock's jitter source.
    challenge.id = crypto::base64url(crypto::random_bytes(kTokenBytes));
    auto put = links.put_challenge(challenge);
    if (put) break;
    if (put.error().code != Errc::conflict || attempt + 1 == kTokenAttempts) return fail(put.error());
  }
  spdlog::info("event=step_up_link purpose={} user={} request={} expires_at={}", purpose_name(purpose), user_id,
               request_id, format_time(challenge.expires_at));
  return Link{settings->step_up.origin + "/s/" + challenge.id, challenge.expires_at};
}

Result<Link> StepUpService::enrollment_link(const std::string& user_id) {
  if (user_id.empty()) return fail(Error::Invalid("no user id came with the command; nothing was done"));
  return impl_->issue(StepUpPurpose::enroll, user_id, "");
}

Result<Link> StepUpService::approval_link(const std::string& request_id, const std::string& approver) {
  if (request_id.empty() || request_id.size() > limits::kMaxRequestIdLength)
    return fail(Error::Invalid("that is not a request id of ours"));
  if (auto can = impl_->engine.check_can_decide(request_id, approver); !can) return fail(can.error());
  auto needs = impl_->engine.needs_step_up(request_id);
  if (!needs) return fail(needs.error());
  if (!*needs)
    return fail(Error::Invalid(fmt::format("request {} needs no security-key step-up: approve it in Slack", request_id)));
  auto usable = impl_->usable_credentials(approver);
  if (!usable) return fail(usable.error());
  if (usable->empty())
    return fail(Error::Invalid("this approval needs a security key and you have none enrolled: enrol first: /jit enroll"));
  return impl_->issue(StepUpPurpose::approve, approver, request_id);
}

Result<std::vector<WebAuthnCredential>> StepUpService::credentials_of(const std::string& user_id) {
  return impl_->links.credentials_of(user_id);
}

Result<WebAuthnCredential> StepUpService::remove_credential(const std::string& actor, const std::string& owner,
                                                            const std::string& credential_prefix) {
  if (actor != owner) {
    auto admin = impl_->engine.is_jit_admin(actor);
    if (!admin) return fail(admin.error());
    if (!*admin)
      return fail(Error::Denied(fmt::format("{} is not an admin: only the owner or a jit admin may remove a security key", actor)));
  }
  auto all = impl_->links.credentials_of(owner);
  if (!all) return fail(all.error());
  std::vector<WebAuthnCredential> matches;
  for (const auto& c : *all) {
    const bool by_id = credential_prefix.size() >= kMinCredentialPrefix && c.credential_id.starts_with(credential_prefix);
    if (by_id || c.name == credential_prefix) matches.push_back(c);
  }
  if (matches.empty())
    return fail(Error::NotFound(fmt::format(
        "{} has no security key named that or whose id starts with it (at least {} characters): see /jit enroll list",
        owner, kMinCredentialPrefix)));
  if (matches.size() > 1)
    return fail(Error::Invalid(fmt::format("{} security keys match: give more of the id (see /jit enroll list)", matches.size())));
  const auto& credential = matches.front();
  // The trail first: once it records the removal the credential no longer stands, even if the
  // store's delete below fails.
  if (auto e = impl_->audit.append_audit(removed_event(credential, actor, impl_->clock.now())); !e) return fail(e.error());
  if (auto removed = impl_->links.remove_credential(owner, credential.credential_id); !removed) return fail(removed.error());
  spdlog::info("event=step_up_credential_removed user={} actor={} credential={}", owner, actor,
               audit::credential_trail_id(credential.credential_id));
  return credential;
}

PageAnswer StepUpService::options(const nlohmann::json& request) {
  auto token = string_field(request, "token", 64);
  if (!token || !is_token(*token)) return page_error(400, "this link is not valid: ask for a new one in Slack");
  auto challenge = impl_->links.get_challenge(*token);
  if (!challenge) {
    if (challenge.error().code == Errc::not_found)
      return page_error(404, "this link is not known (or expired long ago): ask for a new one in Slack");
    return page_error(status_of(challenge.error().code), "the service could not read this link: try again in a minute");
  }
  const std::string again = challenge->purpose == StepUpPurpose::enroll ? "ask for a new link with /jit enroll"
                                                                         : "click Approve in Slack again for a new link";
  if (challenge->used_at) return page_error(410, "this link was used already: " + again);
  if (impl_->clock.now() >= challenge->expires_at) return page_error(410, "this link has expired: " + again);

  const RelyingParty rp = impl_->relying_party();
  auto usable = impl_->usable_credentials(challenge->user_id);
  if (!usable) return page_error(status_of(usable.error().code), "could not read your security keys: try again in a minute");

  nlohmann::json body = {{"purpose", purpose_name(challenge->purpose)},
                         {"user", challenge->user_id},
                         {"expires_at", format_time(challenge->expires_at)},
                         {"get", nullptr},
                         {"create", nullptr}};
  if (challenge->purpose == StepUpPurpose::approve) {
    auto r = impl_->audit.get_request(challenge->request_id);
    if (!r) return page_error(status_of(r.error().code), "could not read the request: try again in a minute");
    if (auto can = impl_->engine.check_can_decide(r->id, challenge->user_id); !can)
      return page_error(status_of(can.error().code), can.error().message);
    body["summary"] = {{"request_id", r->id},     {"requester", r->requester},
                       {"account", r->account},   {"role", r->role},
                       {"duration", format_duration(r->duration)},
                       {"reason", r->reason},     {"ticket", r->ticket}};
    body["get"] = get_options(rp, *challenge, *usable);
  } else {
    if (!usable->empty()) body["get"] = get_options(rp, *challenge, *usable);
    body["create"] = create_options(rp, *challenge, *usable);
  }
  return {200, std::move(body)};
}

}  // namespace jit::stepup
