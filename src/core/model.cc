#include "core/model.h"

#include <fmt/format.h>

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

OpenSlot open_slot_of(State state, const std::string& extends) {
  const bool before_active = state == State::pending || state == State::approved || state == State::granting;
  return !extends.empty() && before_active ? OpenSlot::extension : OpenSlot::main;
}

std::optional<std::string> open_slot_conflict(const AccessRequest& r, bool entering, const std::vector<OpenRow>& others) {
  if (!is_open(r.state)) return std::nullopt;
  const OpenSlot slot = open_slot_of(r);
  const OpenRow* main_holder = nullptr;
  const OpenRow* extension_holder = nullptr;
  for (const auto& o : others) {
    if (!is_open(o.state) || o.id == r.id) continue;
    (open_slot_of(o.state, o.extends) == OpenSlot::main ? main_holder : extension_holder) = &o;
  }
  const OpenRow* taken = slot == OpenSlot::main ? main_holder : extension_holder;
  if (taken)
    return fmt::format(
        "{} already has an open request for role {} on account {} ({}, {}): wait for it to end or cancel it",
        r.requester, r.role, r.account, taken->id, state_name(taken->state));
  if (!entering) return std::nullopt;
  if (slot == OpenSlot::extension && (!main_holder || main_holder->id != r.extends))
    return fmt::format("request {} extends {}, which is not {}'s open grant of role {} on account {}{}", r.id,
                       r.extends, r.requester, r.role, r.account,
                       main_holder ? fmt::format(" ({} is)", main_holder->id) : std::string(" (none is open)"));
  if (slot == OpenSlot::main && extension_holder)
    return fmt::format(
        "{} already has an open request for role {} on account {} ({}, {}, extending {}): wait for it to end or "
        "cancel it",
        r.requester, r.role, r.account, extension_holder->id, state_name(extension_holder->state),
        extension_holder->extends);
  return std::nullopt;
}

}  // namespace jit
