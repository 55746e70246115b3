// A scene of `jit demo --step-up` (issue 15): a break-glass approval confirmed with a security key.
// The people's browsers are a real headless Chromium (src/demo/step_up_browser.mjs, a child
// process like the emulators) with a virtual authenticator each; the page is serve's own step-up
// page over TLS, with a certificate the demo made for localhost (DemoWorld, step_up).
#pragma once

#include <string>

#include "core/error.h"
#include "demo/demo_world.h"
#include "demo/timeline.h"

namespace jit::demo {

// Where step_up_browser.mjs is: beside this program (the build copies it beside `jit`), else
// $JIT_DEMO_BROWSER (the script's path). Errc::not_found naming the places looked at.
Result<std::string> find_step_up_browser();

// Plays the scene on `timeline`, a check per step: alice and bob register their keys from the
// links /jit enroll DMs them; dana asks for prod break-glass; alice's and bob's Approve clicks each
// give a single-use link; each reads the request on the page and confirms with the key; the grant
// is active in AWS and both approvals carry the key's proof in the audit trail. `browser` is the
// script (find_step_up_browser). REQUIRES: `world` started with step_up.
void play_step_up(Timeline& timeline, DemoWorld& world, const std::string& browser);

}  // namespace jit::demo
