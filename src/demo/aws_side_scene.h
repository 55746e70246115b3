// A scene of `jit demo` (issue 14): AWS itself ends a grant of a high-tier role while `jit serve`
// is down. The deny armed at grant time in the permission set's policy cuts dana's live session at
// the expiry second, and the grant's EventBridge schedule deletes the assignment; serve, started
// again, records the end.
#pragma once

#include "demo/demo_world.h"
#include "demo/timeline.h"

namespace jit::demo {

// Plays the scene on `timeline`, a check per step: dana asks for sandbox ops (tier high, the
// policy's high_role), alice approves, dana opens a session in the emulated AWS, serve gets
// SIGKILL, the expiry passes, serve starts again. Leaves serve running unless it could not start
// again (a failed check says so). Takes the grant's length and a few seconds.
void play_aws_ends_access(Timeline& timeline, DemoWorld& world);

}  // namespace jit::demo
