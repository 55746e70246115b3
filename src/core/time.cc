#include "core/time.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace jit {

std::string format_time(TimePoint t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", int(ymd.year()), unsigned(ymd.month()),
                     unsigned(ymd.day()), hms.hours().count(), hms.minutes().count(),
                     hms.seconds().count());
}

namespace {
// Exactly `len` decimal digits at `pos`: no sign (from_chars would take a '-').
bool read_int(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  auto first = s.data() + pos, last = first + len;
  if (!std::all_of(first, last, [](char c) { return c >= '0' && c <= '9'; })) return false;
  auto [p, ec] = std::from_chars(first, last, out);
  return ec == std::errc{} && p == last;
}
}  // namespace

std::optional<TimePoint> parse_time(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!read_int(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !read_int(s, 5, 2, mo) || s[7] != '-' ||
      !read_int(s, 8, 2, d))
    return std::nullopt;
  if (s.size() != 10) {
    if (s.size() != 20 || (s[10] != 'T' && s[10] != ' ') || !read_int(s, 11, 2, h) || s[13] != ':' ||
        !read_int(s, 14, 2, mi) || s[16] != ':' || !read_int(s, 17, 2, se) || s[19] != 'Z')
      return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month(unsigned(mo)),
                                        std::chrono::day(unsigned(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 59) return std::nullopt;
  return TimePoint{std::chrono::sys_days{ymd}} + std::chrono::hours{h} + std::chrono::minutes{mi} +
         Seconds{se};
}

}  // namespace jit
