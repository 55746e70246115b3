#include "core/user_standing.h"

#include <fmt/format.h>

namespace jit {

Result<> check_user_standing(const UserProfile& p, std::string_view own_team, bool allow_guests) {
  auto refuse = [&](std::string_view why) {
    return fail(Error::Denied(fmt::format("{} cannot be given access: {}", p.user_id, why)));
  };
  if (p.deleted) return refuse("the Slack account is deactivated");
  if (p.bot) return refuse("it is a bot or app user, not a person");
  if (!own_team.empty() && p.team_id != own_team)
    return refuse(fmt::format("the Slack account belongs to another workspace ({}, not {})",
                              p.team_id.empty() ? "none" : p.team_id, own_team));
  if (!allow_guests && p.single_channel_guest) return refuse("single-channel guests may not request access");
  if (!allow_guests && p.multi_channel_guest) return refuse("multi-channel guests may not request access");
  if (p.email.empty()) return refuse("Slack shows no e-mail address for the account");
  if (!p.email_confirmed)
    return refuse(fmt::format("the e-mail address {} is not confirmed in Slack; confirm it and ask again", p.email));
  return {};
}

}  // namespace jit
