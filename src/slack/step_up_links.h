// What the inbound handler needs of the WebAuthn step-up (issue 15): links to send, and the
// "/jit enroll list|remove" operations. An interface, so the handler's tests can answer it without
// a store, a verifier or a page; ServiceStepUpLinks (slack/step_up_service_links.h) is the real
// one, over stepup::StepUpService.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "ports/step_up_store.h"
#include "stepup/service.h"

namespace jit::slack {

// Same contracts as the StepUpService methods of the same names. Thread-safe.
class StepUpLinks {
 public:
  virtual ~StepUpLinks() = default;
  virtual Result<stepup::Link> enrollment_link(const std::string& user_id) = 0;
  virtual Result<stepup::Link> approval_link(const std::string& request_id, const std::string& approver) = 0;
  virtual Result<std::vector<WebAuthnCredential>> credentials_of(const std::string& user_id) = 0;
  virtual Result<WebAuthnCredential> remove_credential(const std::string& actor, const std::string& owner,
                                                       const std::string& credential_prefix) = 0;
};

}  // namespace jit::slack
