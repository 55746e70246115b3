// Crash points for the process-level crash tests (tests/e2e): in a build made with
// JIT_FAULT_INJECTION (the CMake option, on for development and CI, off in the release image), a
// process whose JIT_CRASH_AT variable names a point kills itself with SIGKILL the first time it
// passes that point, exactly as `kill -9` would at that step. Other builds ignore the variable
// (and say so once in the log).
//
// Points (see Engine): after_write:<audit action> (the store write committed, nothing after it
// ran), before_provider:grant|revoke|arm|schedule|rearm|cancel, after_provider:<the same> (AWS
// acted, not yet recorded; arm and schedule at grant, rearm and cancel at revoke: issue 14),
// after_chat:<audit action> (Slack was told).
#pragma once

#include <string_view>

namespace jit {

// True when this build honours JIT_CRASH_AT.
bool fault_injection_enabled();

// Dies here (SIGKILL) when JIT_CRASH_AT names `point`; otherwise returns at once.
void crash_point(std::string_view point);

}  // namespace jit
