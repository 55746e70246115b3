// Durations as people write them in policy and in /jit: "15m", "1h30m", "2h", "90s".
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/time.h"

namespace jit {

// Parses a sequence of <number><unit> with units d, h, m, s, each at most once, largest first.
// Rejects empty input, zero, signs, spaces, unknown units and totals over 366 days.
// The error message says what was expected ("expected a duration like 90m or 2h").
Result<Seconds> parse_duration(std::string_view text);

// The shortest canonical form: 5400s -> "1h30m", 30s -> "30s", 0 -> "0s".
std::string format_duration(Seconds d);

}  // namespace jit
