// The WebAuthn step-up service (issue 15): issues single-use links for enrolment and for one
// approval, answers the step-up page's two JSON endpoints, verifies what the browser returns
// (stepup/webauthn.h) and only then calls Engine::approve with the proof. Slack (inbound) asks it
// for links; the page (stepup/page.h) hands it the page's requests. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/settings.h"
#include "engine/engine.h"
#include "ports/clock.h"
#include "ports/step_up_store.h"
#include "ports/store.h"
#include "stepup/webauthn.h"

namespace jit::stepup {

// A link to send in Slack: origin + "/s/" + token, and when it stops working.
struct Link {
  std::string url;
  TimePoint expires_at{};
};

// An answer for the page: HTTP status and a JSON body ({"error": "..."} on failure, written for
// the person at the browser, naming what to do: "ask for a new link with /jit enroll").
struct PageAnswer {
  int status = 200;
  nlohmann::json body;
};

class StepUpService {
 public:
  // `settings` gives origin, RP id and link lifetime (read at each call: link_lifetime is live on
  // reload); `audit` is the store whose trail records enrolments (credential_enrolled /
  // credential_removed) and proves each credential before it is used.
  StepUpService(Engine& engine, StepUpStore& links, Store& audit, const Clock& clock);

  // --- Slack asks for links. ---

  // A single-use enrolment link for `user_id` ("/jit enroll"). A user who has credentials already
  // must step up with one of them on the page before the new one is registered.
  Result<Link> enrollment_link(const std::string& user_id);
  // A single-use link for `approver` to approve `request_id` with a step-up. Refused (Errc::denied
  // or conflict, the engine's words) when they may not decide on it now (check_can_decide), and
  // Errc::invalid "enrol first: /jit enroll" when they have no credential.
  Result<Link> approval_link(const std::string& request_id, const std::string& approver);

  // --- "/jit enroll list|remove". ---
  Result<std::vector<WebAuthnCredential>> credentials_of(const std::string& user_id);
  // Removes `owner`'s credential whose id starts with `credential_prefix` (at least 8 characters)
  // or whose name equals it, when `actor` is `owner` or a jit admin (policy now). Audited
  // (credential_removed). Errc::not_found / invalid (ambiguous) / denied.
  Result<WebAuthnCredential> remove_credential(const std::string& actor, const std::string& owner,
                                               const std::string& credential_prefix);

  // --- The page's endpoints (stepup/page.h parses and bounds the HTTP request first). ---

  // POST /api/options {"token"}: what the link is for and the WebAuthn options to run:
  // {"purpose": "approve"|"enroll", "user": <user id>, "summary": {requester, account, role,
  //  duration, reason, ticket, request_id} (approve only), "get": <PublicKeyCredentialRequestOptions,
  //  binary fields base64url> or null, "create": <PublicKeyCredentialCreationOptions> or null,
  //  "expires_at": "...Z"}. 404 unknown token, 410 used or expired.
  PageAnswer options(const nlohmann::json& request);
  // POST /api/finish {"token", "assertion": {id, clientDataJSON, authenticatorData, signature} or
  // null, "registration": {id, clientDataJSON, authenticatorData, publicKeyAlgorithm, name} or
  // null}: consumes the link (once, whatever the outcome), verifies, and for an approval calls
  // Engine::approve with the proof; for an enrolment stores and audits the credential.
  // {"ok": true, "message": "..."} or {"ok": false, "error": "..."} with 400/403/404/409/410.
  PageAnswer finish(const nlohmann::json& request);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace jit::stepup
