#include "demo/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "core/time.h"

namespace jit::demo {

using std::chrono::milliseconds;

std::string clock_time(SystemTime t, bool millis) {
  const auto ms = std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::string hms = format_time(TimePoint{std::chrono::seconds(ms / 1000)}).substr(11, 8);
  return millis ? fmt::format("{}.{:03}", hms, ms % 1000) : hms;
}

double Timeline::elapsed(SystemTime t) const { return std::chrono::duration<double>(t - started_).count(); }

void Timeline::scene(const std::string& title) {
  show();
  fmt::print("\n{}\n", title);
}

void Timeline::act(const std::string& who, const std::string& what) {
  show();
  fmt::print("{:6.1f}s  {} {}\n", elapsed(std::chrono::system_clock::now()), who, what);
  std::fflush(stdout);
}

void Timeline::note(SystemTime at, const std::string& text) { show({{at, text}}); }

void Timeline::show(std::vector<Happening> also) {
  auto lines = world_.take_new();
  lines.insert(lines.end(), also.begin(), also.end());
  std::stable_sort(lines.begin(), lines.end(), [](const Happening& a, const Happening& b) { return a.at < b.at; });
  for (const auto& h : lines) fmt::print("{:6.1f}s    {}\n", elapsed(h.at), h.text);
  std::fflush(stdout);
}

bool Timeline::check(bool ok, const std::string& what) {
  show();
  ++checks_;
  failures_ += ok ? 0 : 1;
  fmt::print("         {} {}\n", ok ? "ok    " : "FAILED", what);
  std::fflush(stdout);
  return ok;
}

}  // namespace jit::demo
