// What the scenes of `jit demo` that end a grant in AWS itself (aws_side_scene, iam_role_scene)
// share: a session in the AWS emulator judged ahead of time and watched live around the grant's
// expiry, and the statements of the policies that end it. `path` is the session's verdict under
// /_emulator/: "sessions/<id>" (Identity Center) or "role-sessions/<access key id>" (an IAM role).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "demo/demo_world.h"
#include "demo/timeline.h"

namespace jit::demo {

long long ms_between(SystemTime from, SystemTime to);

// The statement `sid` of a policy document (JSON text, or a JSON object); nullopt when absent.
std::optional<nlohmann::json> statement_of(const nlohmann::json& document, const std::string& sid);

// Checks that AWS, asked ahead, allows the session a second before `expiry` and denies it a second
// after, by the statement `cutoff_sid`. `whose`: "dana's session", as the line names it.
void check_judged_ahead(Timeline& timeline, const DemoWorld& world, const std::string& path, SystemTime expiry,
                        const std::string& cutoff_sid, const std::string& whose);

// What watch_session_at_expiry saw (each time as the scene's own measurement).
struct ExpiryWatch {
  std::optional<SystemTime> allowed;  // the last verdict that allowed the session, asked at or before
  std::optional<SystemTime> denied;   // the first that denied it, judged at or before
  std::optional<SystemTime> ended;    // when `ended` first held
};

// Everyone waits for `expiry` while the session calls AWS every 20 ms: its verdict is asked live
// until AWS denies it (until 5 s past the expiry), and `ended` until it holds (until
// `end_deadline`). Notes the denial and checks it came within the expiry second, the check's line
// starting with `cut` ("the live session is cut at the expiry second").
ExpiryWatch watch_session_at_expiry(Timeline& timeline, const DemoWorld& world, const std::string& path,
                                    SystemTime expiry, const std::function<bool()>& ended, SystemTime end_deadline,
                                    const std::string& whose, const std::string& cut);

}  // namespace jit::demo
