// POST /api/finish: the link is consumed first (once, whatever the outcome), then the browser's
// answer is verified, and only then does the engine hear of an approval or the store of a key.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "audit/credentials.h"
#include "core/time.h"
#include "core/user_text.h"
#include "stepup/credential_trail.h"
#include "stepup/service_internal.h"

namespace jit::stepup {

namespace {

constexpr std::size_t kMaxNameLength = 64;  // code points
constexpr std::size_t kMaxNameBytes = 4 * kMaxNameLength;
constexpr const char* kDefaultName = "security key";

// Base64url text of n raw bytes is at most ceil(4n/3) characters.
constexpr std::size_t b64(std::size_t raw) { return (raw * 4 + 2) / 3; }

// The fields every answer of a security key has: id, clientDataJSON, authenticatorData.
struct CommonFields {
  std::string id, client_data_json, authenticator_data;
};

Result<CommonFields> read_common(const nlohmann::json& object) {
  auto id = string_field(object, "id", b64(kMaxCredentialIdBytes));
  if (!id) return fail(id.error());
  auto client = string_field(object, "clientDataJSON", b64(kMaxClientDataBytes));
  if (!client) return fail(client.error());
  auto auth = string_field(object, "authenticatorData", b64(kMaxAuthenticatorDataBytes));
  if (!auth) return fail(auth.error());
  return CommonFields{std::move(*id), std::move(*client), std::move(*auth)};
}

Result<Assertion> read_assertion(const nlohmann::json& a) {
  auto common = read_common(a);
  if (!common) return fail(common.error());
  auto sig = string_field(a, "signature", b64(kMaxSignatureBytes));
  if (!sig) return fail(sig.error());
  return Assertion{common->id, common->client_data_json, common->authenticator_data, *sig};
}

struct RegistrationInput {
  Registration registration;
  std::string name;
};

Result<RegistrationInput> read_registration(const nlohmann::json& r) {
  auto common = read_common(r);
  if (!common) return fail(common.error());
  auto alg = r.find("publicKeyAlgorithm");
  if (alg == r.end() || !alg->is_number_integer()) return fail(Error::Invalid("\"publicKeyAlgorithm\" is missing or not an integer"));
  const auto alg_value = alg->get<std::int64_t>();
  if (alg_value != -7 && alg_value != -8) return fail(Error::Invalid("\"publicKeyAlgorithm\" is not -7 (ES256) or -8 (EdDSA)"));
  std::string name = kDefaultName;
  if (r.contains("name") && !r["name"].is_null()) {
    auto given = string_field(r, "name", kMaxNameBytes);
    if (!given) return fail(given.error());
    if (auto length = user_text::check_length("name", *given, kMaxNameLength); !length) return fail(length.error());
    if (user_text::printable(*given) != *given)
      return fail(Error::Invalid("the name must be plain text: no control or direction characters"));
    if (!user_text::is_blank(*given)) name = *given;
  }
  return RegistrationInput{{common->id, common->client_data_json, common->authenticator_data, static_cast<int>(alg_value)},
                           std::move(name)};
}

// The member `key` when it is an object, nullopt when absent or null, Errc::invalid otherwise.
Result<std::optional<nlohmann::json>> optional_object(const nlohmann::json& request, const char* key) {
  auto it = request.find(key);
  if (it == request.end() || it->is_null()) return std::optional<nlohmann::json>{};
  if (!it->is_object()) return fail(Error::Invalid(fmt::format("\"{}\" must be an object or null", key)));
  return std::optional<nlohmann::json>{*it};
}

std::string again_text(const StepUpChallenge& c) {
  return c.purpose == StepUpPurpose::enroll ? "ask for a new link with /jit enroll"
                                            : "click Approve in Slack again for a new link";
}

std::string approval_message(const Engine& engine, const AccessRequest& r) {
  switch (r.state) {
    case State::active:
      return fmt::format("Approved: {} has {} on {} until {}.", r.requester, r.role, r.account,
                         r.expires_at ? format_time(*r.expires_at) : std::string("its expiry"));
    case State::approved:
    case State::granting:
      return "Approved: the grant is being made.";
    case State::failed:
      return fmt::format("Your approval was recorded, but the grant failed: {}", r.end_reason);
    case State::pending: {
      int have = 0;
      for (const auto& d : r.decisions) have += d.approved ? 1 : 0;
      const auto policy = engine.policy();
      const AccountPolicy* account = policy->find_account(r.account);
      const RolePolicy* role = account ? account->find_role(r.role) : nullptr;
      return fmt::format("Your approval is recorded: approval {} of {}. The request waits for another approver.",
                         have, role ? role->approvals_required : have + 1);
    }
    default:
      return fmt::format("Your approval was recorded; the request is now {}.", state_name(r.state));
  }
}

}  // namespace

Result<std::pair<WebAuthnCredential, VerifiedAssertion>> StepUpService::Impl::verify_step_up(
    const StepUpChallenge& challenge, const Assertion& assertion) {
  auto credential = links.find_credential(assertion.credential_id);
  if (!credential) {
    if (credential.error().code == Errc::not_found) return fail(Error::Denied("this security key is not enrolled"));
    return fail(credential.error());
  }
  if (credential->user_id != challenge.user_id)
    return fail(Error::Denied(fmt::format("this security key is not one of {}'s", challenge.user_id)));
  if (auto standing = check_standing(audit, engine.audit_keys(), *credential); !standing) return fail(standing.error());
  auto verified = verify_assertion(relying_party(), challenge, *credential, assertion);
  if (!verified) return fail(verified.error());
  if (auto advanced = links.advance_sign_count(credential->credential_id, credential->sign_count,
                                               verified->sign_count, clock.now());
      !advanced) {
    if (advanced.error().code == Errc::conflict)
      return fail(Error::Conflict("this security key was used for another step-up at the same moment"));
    return fail(advanced.error());
  }
  return std::pair{std::move(*credential), std::move(*verified)};
}

PageAnswer StepUpService::finish(const nlohmann::json& request) {
  auto token = string_field(request, "token", 64);
  if (!token || !is_token(*token)) return refuse(400, "bad_token", "this link is not valid: ask for a new one in Slack");
  auto assertion_json = optional_object(request, "assertion");
  if (!assertion_json) return refuse(400, "bad_input", assertion_json.error().message);
  auto registration_json = optional_object(request, "registration");
  if (!registration_json) return refuse(400, "bad_input", registration_json.error().message);
  std::optional<Assertion> assertion;
  if (*assertion_json) {
    auto a = read_assertion(**assertion_json);
    if (!a) return refuse(400, "bad_input", "the security key's answer is not readable: " + a.error().message);
    assertion = std::move(*a);
  }
  std::optional<RegistrationInput> registration;
  if (*registration_json) {
    auto r = read_registration(**registration_json);
    if (!r) return refuse(400, "bad_input", "the security key's registration is not readable: " + r.error().message);
    registration = std::move(*r);
  }

  // Single use whatever happens next.
  auto consumed = impl_->links.consume_challenge(*token, impl_->clock.now());
  if (!consumed) {
    switch (consumed.error().code) {
      case Errc::not_found: return refuse(404, "unknown_link", "this link is not known: ask for a new one in Slack");
      case Errc::conflict: return refuse(410, "link_used", "this link was used already: ask for a new one in Slack");
      case Errc::denied: return refuse(410, "link_expired", "this link has expired: ask for a new one in Slack");
      default: return refuse(503, "store_unavailable", "the service could not use this link now: try again in a minute");
    }
  }
  const StepUpChallenge& challenge = *consumed;
  const std::string again = again_text(challenge);
  auto refused = [&](const Error& e, std::string_view reason) {
    return refuse(status_of(e.code), reason, fmt::format("{}. This link is used up: {}.", e.message, again), &challenge);
  };

  if (challenge.purpose == StepUpPurpose::approve) {
    if (challenge.action != "approve" || challenge.request_id.empty())
      return refused(Error::Denied("this link is not for an approval"), "wrong_purpose");
    if (!assertion || registration) return refused(Error::Invalid("an approval needs a security key's assertion only"), "bad_input");
    auto step_up = impl_->verify_step_up(challenge, *assertion);
    if (!step_up) return refused(step_up.error(), "assertion_refused");
    const auto& [credential, verified] = *step_up;
    auto approved = impl_->engine.approve(challenge.request_id, challenge.user_id,
                                          StepUpProof{credential.credential_id, verified.assertion_sha256, challenge.id});
    if (!approved) return refused(approved.error(), "engine_refused");
    spdlog::info("event=step_up_approved user={} request={} credential={} state={}", challenge.user_id,
                 challenge.request_id, audit::credential_trail_id(credential.credential_id), state_name(approved->state));
    return {200, {{"ok", true}, {"message", approval_message(impl_->engine, *approved)}}};
  }

  if (challenge.action != "enroll" || !challenge.request_id.empty())
    return refused(Error::Denied("this link is not for an enrolment"), "wrong_purpose");
  if (!registration) return refused(Error::Invalid("an enrolment needs the new security key's registration"), "bad_input");
  auto usable = impl_->usable_credentials(challenge.user_id);
  if (!usable) return refused(usable.error(), "store_unavailable");
  if (!usable->empty()) {
    if (!assertion)
      return refused(Error::Denied("you have a security key already: step up with it before adding another"),
                     "step_up_missing");
    auto step_up = impl_->verify_step_up(challenge, *assertion);
    if (!step_up) return refused(step_up.error(), "assertion_refused");
  }
  auto verified = verify_registration(impl_->relying_party(), challenge, registration->registration);
  if (!verified) return refused(verified.error(), "registration_refused");
  const WebAuthnCredential credential{.credential_id = verified->credential_id, .user_id = challenge.user_id,
                                      .cose_alg = verified->cose_alg, .public_key = verified->public_key,
                                      .sign_count = verified->sign_count, .name = registration->name,
                                      .created_at = impl_->clock.now()};
  if (auto added = impl_->links.add_credential(credential); !added) {
    if (added.error().code == Errc::conflict)
      return refused(Error::Conflict("this security key is enrolled already"), "already_enrolled");
    return refused(added.error(), "store_unavailable");
  }
  if (auto e = impl_->audit.append_audit(enrolled_event(credential, impl_->clock.now())); !e) {
    // Without its enrolment event the credential would never stand: take it back out.
    (void)impl_->links.remove_credential(credential.user_id, credential.credential_id);
    return refused(Error::Unavailable("the audit trail could not record the new security key; try again"),
                   "audit_unavailable");
  }
  spdlog::info("event=step_up_enrolled user={} credential={}", challenge.user_id,
               audit::credential_trail_id(credential.credential_id));
  return {200, {{"ok", true}, {"message", fmt::format("Security key \"{}\" registered. You can close this page.", credential.name)}}};
}

}  // namespace jit::stepup
