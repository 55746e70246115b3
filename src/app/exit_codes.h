// The exit codes of every `jit` command (and of `jit demo`).
#pragma once

namespace jit {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;  // usage or configuration error

}  // namespace jit
