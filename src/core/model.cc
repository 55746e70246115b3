#include "core/model.h"

namespace jit {

std::optional<Grant> grant_of(const AccessRequest& r) {
  if (!r.expires_at) return std::nullopt;
  return Grant{.request_id = r.id,
               .principal = r.principal,
               .requester = r.requester,
               .account = r.account,
               .account_id = r.account_id,
               .role = r.role,
               .permission_set_arn = r.permission_set_arn,
               .granted_at = r.granted_at,
               .expires_at = *r.expires_at,
               .state = r.state,
               .ended_at = r.ended_at,
               .end_reason = r.end_reason};
}

}  // namespace jit
