// A scene of `jit demo` (issue 16): the "legacy" account, on the IAM-role path. A grant is a
// time-conditioned Allow in the elevated IAM role's trust policy (beside the admin's own statement,
// kept byte for byte) and a cut-off Deny in its inline policy; dana assumes the role from her
// base-role session with the product's own STS client; AWS (the emulator's trust and deny
// evaluation) ends the access at the expiry second, and serve's revoke tidies up afterwards.
#pragma once

#include "demo/demo_world.h"
#include "demo/timeline.h"

namespace jit::demo {

// Plays the scene on `timeline`, a check per step: dana asks for legacy admin for kGrantSeconds,
// alice approves in #legacy, the trust policy holds dana's window, dana assumes the role and eve
// cannot, AWS ends the session and refuses AssumeRole from the expiry, serve removes dana's
// statement. Takes the grant's length and a second or two.
void play_iam_role_path(Timeline& timeline, DemoWorld& world);

}  // namespace jit::demo
