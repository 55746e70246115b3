// StepUpLinks answered by the step-up service itself (issue 15). Kept apart from the interface so
// that only what constructs it (jit serve) links jit_stepup.
#pragma once

#include "slack/step_up_links.h"
#include "stepup/service.h"

namespace jit::slack {

// The step-up service itself, as StepUpLinks. `service` must outlive it.
class ServiceStepUpLinks final : public StepUpLinks {
 public:
  explicit ServiceStepUpLinks(stepup::StepUpService& service) : service_(service) {}
  Result<stepup::Link> enrollment_link(const std::string& user_id) override {
    return service_.enrollment_link(user_id);
  }
  Result<stepup::Link> approval_link(const std::string& request_id, const std::string& approver) override {
    return service_.approval_link(request_id, approver);
  }
  Result<std::vector<WebAuthnCredential>> credentials_of(const std::string& user_id) override {
    return service_.credentials_of(user_id);
  }
  Result<WebAuthnCredential> remove_credential(const std::string& actor, const std::string& owner,
                                               const std::string& credential_prefix) override {
    return service_.remove_credential(actor, owner, credential_prefix);
  }

 private:
  stepup::StepUpService& service_;
};

}  // namespace jit::slack
