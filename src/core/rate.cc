#include "core/rate.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "core/text.h"

namespace jit {

namespace {
constexpr int kMaxCount = 1'000'000;
}

Result<Rate> parse_rate(std::string_view text) {
  const auto bad = [&] {
    return fail(Error::Invalid(fmt::format("rate \"{}\": expected <count>/<unit> such as \"10/min\", with a count "
                                           "from 1 to {} and a unit of s, min or hour",
                                           text, kMaxCount)));
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return bad();
  const std::string_view number = text.substr(0, slash);
  const std::string unit = text::to_lower(text.substr(slash + 1));
  Rate rate;
  const auto parsed = std::from_chars(number.data(), number.data() + number.size(), rate.count);
  if (number.empty() || parsed.ec != std::errc() || parsed.ptr != number.data() + number.size() || rate.count < 1 ||
      rate.count > kMaxCount)
    return bad();
  if (unit == "s" || unit == "sec" || unit == "second") rate.per = std::chrono::seconds(1);
  else if (unit == "m" || unit == "min" || unit == "minute") rate.per = std::chrono::minutes(1);
  else if (unit == "h" || unit == "hour") rate.per = std::chrono::hours(1);
  else return bad();
  return rate;
}

std::string format_rate(const Rate& rate) {
  if (rate.per == std::chrono::hours(1)) return fmt::format("{}/hour", rate.count);
  if (rate.per == std::chrono::minutes(1)) return fmt::format("{}/min", rate.count);
  return fmt::format("{}/{}s", rate.count, rate.per.count());  // "1/1s" reads back as seconds only for 1
}

double TokenBucket::tokens_at(TimePoint now, const Rate& rate, int burst) const {
  double tokens = tokens_;
  if (now > last_)
    tokens += std::chrono::duration<double>(now - last_).count() * rate.count /
              static_cast<double>(std::max<long long>(1, rate.per.count()));
  return std::min(tokens, static_cast<double>(std::max(1, burst)));
}

void TokenBucket::refill(TimePoint now, const Rate& rate, int burst) {
  tokens_ = tokens_at(now, rate, burst);
  last_ = std::max(last_, now);
}

bool TokenBucket::take(TimePoint now, const Rate& rate, int burst) {
  refill(now, rate, burst);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

std::chrono::milliseconds TokenBucket::wait(TimePoint now, const Rate& rate, int burst) {
  refill(now, rate, burst);
  if (tokens_ >= 1.0) return std::chrono::milliseconds(0);
  const double per_token_ms = 1000.0 * static_cast<double>(rate.per.count()) / std::max(1, rate.count);
  return std::chrono::milliseconds(static_cast<long long>(std::ceil((1.0 - tokens_) * per_token_ms)));
}

bool TokenBucket::full(TimePoint now, const Rate& rate, int burst) const {
  return tokens_at(now, rate, burst) >= static_cast<double>(std::max(1, burst));
}

}  // namespace jit
