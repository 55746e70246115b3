// Whether a chat user may be given access at all, whatever the policy's role rules say: the person
// behind the account is known (a confirmed e-mail), still there, a person (no bot or app), a full
// member (no guest, unless the policy admits guests) of this workspace (no other team).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace jit {

// A user as the directory sees them now (Slack users.info).
struct UserProfile {
  std::string user_id;
  std::string email;                  // "" when the directory shows none
  bool email_confirmed = false;       // is_email_confirmed
  bool deleted = false;               // deactivated
  bool bot = false;                   // is_bot or is_app_user
  bool multi_channel_guest = false;   // is_restricted
  bool single_channel_guest = false;  // is_ultra_restricted
  std::string team_id;                // the workspace the account belongs to

  bool operator==(const UserProfile&) const = default;
};

// Ok when `profile` may be given access: not deleted, not a bot or app user, an e-mail that is
// there and confirmed, a member of `own_team` (the workspace the app is installed in; "" means
// unknown, and the team is then not checked), and no guest unless `allow_guests`. Otherwise
// Errc::denied with a message that names the user and the reason, for the person who asked.
Result<> check_user_standing(const UserProfile& profile, std::string_view own_team, bool allow_guests);

}  // namespace jit
