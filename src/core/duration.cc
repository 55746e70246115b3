#include "core/duration.h"

#include <fmt/format.h>

namespace jit {

namespace {
constexpr long long kMaxSeconds = 366LL * 24 * 3600;
constexpr const char* kHint = "expected a duration like 90m or 2h";
}  // namespace

Result<Seconds> parse_duration(std::string_view text) {
  if (text.empty()) return fail(Error::Invalid(fmt::format("empty duration: {}", kHint)));
  static constexpr char kUnits[] = {'d', 'h', 'm', 's'};
  static constexpr long long kScale[] = {86400, 3600, 60, 1};
  long long total = 0;
  int next_unit = 0;  // units must appear in order, each once
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9')
      return fail(Error::Invalid(fmt::format("\"{}\": {}", text, kHint)));
    long long n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > kMaxSeconds) return fail(Error::Invalid(fmt::format("\"{}\": longer than 366 days", text)));
      ++i;
    }
    if (i == text.size()) return fail(Error::Invalid(fmt::format("\"{}\": missing unit; {}", text, kHint)));
    int u = next_unit;
    while (u < 4 && kUnits[u] != text[i]) ++u;
    if (u == 4) return fail(Error::Invalid(fmt::format("\"{}\": {}", text, kHint)));
    total += n * kScale[u];
    if (total > kMaxSeconds) return fail(Error::Invalid(fmt::format("\"{}\": longer than 366 days", text)));
    next_unit = u + 1;
    ++i;
  }
  if (total == 0) return fail(Error::Invalid(fmt::format("\"{}\": a duration must be longer than zero", text)));
  return Seconds{total};
}

std::string format_duration(Seconds d) {
  long long s = d.count();
  if (s == 0) return "0s";
  std::string out;
  if (s < 0) {
    out = "-";
    s = -s;
  }
  const long long days = s / 86400, hours = s % 86400 / 3600, minutes = s % 3600 / 60, secs = s % 60;
  if (days) out += fmt::format("{}d", days);
  if (hours) out += fmt::format("{}h", hours);
  if (minutes) out += fmt::format("{}m", minutes);
  if (secs) out += fmt::format("{}s", secs);
  return out;
}

}  // namespace jit
