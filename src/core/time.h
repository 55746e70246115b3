// Time values of the domain: whole seconds, UTC.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace jit {

using Seconds = std::chrono::seconds;
using TimePoint = std::chrono::sys_seconds;

// "2026-11-24T23:11:32Z"
std::string format_time(TimePoint t);
// Parses the format above (and a date alone, "2026-11-24", as its midnight UTC).
std::optional<TimePoint> parse_time(std::string_view text);

inline long long epoch_seconds(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint from_epoch(long long s) { return TimePoint{Seconds{s}}; }

}  // namespace jit
