#include "demo/session_watch.h"

#include <fmt/format.h>

#include <thread>

#include "core/time.h"

namespace jit::demo {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kPoll{20};  // how often the session calls AWS while everyone waits

SystemTime now() { return std::chrono::system_clock::now(); }

}  // namespace

long long ms_between(SystemTime from, SystemTime to) {
  return std::chrono::duration_cast<milliseconds>(to - from).count();
}

std::optional<json> statement_of(const json& document, const std::string& sid) {
  const json policy = document.is_string() ? json::parse(document.get<std::string>(), nullptr, false) : document;
  const json statements = policy.is_object() ? policy.value("Statement", json::array()) : json::array();
  for (const auto& s : statements.is_array() ? statements : json::array({statements}))
    if (s.is_object() && s.value("Sid", "") == sid) return s;
  return std::nullopt;
}

void check_judged_ahead(Timeline& timeline, const DemoWorld& world, const std::string& path, SystemTime expiry,
                        const std::string& cutoff_sid, const std::string& whose) {
  auto judged = [&](SystemTime at) {
    return world.aws().get(fmt::format("{}?at={}", path, format_time(std::chrono::floor<seconds>(at))));
  };
  auto before = judged(expiry - seconds(1)), after = judged(expiry + seconds(1));
  timeline.check(before && before->value("allowed", false) && after && !after->value("allowed", true) &&
                     after->value("statement", "") == cutoff_sid,
                 fmt::format("asked ahead, AWS allows {} at {} and denies it at {} ({})", whose,
                             clock_time(expiry - seconds(1)), clock_time(expiry + seconds(1)),
                             after ? after->value("reason", "") : after.error().message));
}

ExpiryWatch watch_session_at_expiry(Timeline& timeline, const DemoWorld& world, const std::string& path,
                                    SystemTime expiry, const std::function<bool()>& ended, SystemTime end_deadline,
                                    const std::string& whose, const std::string& cut) {
  timeline.act("everyone", fmt::format("waits for the expiry at {} (in {:.1f} s): {} calls AWS every {} ms",
                                       clock_time(expiry), std::chrono::duration<double>(expiry - now()).count(),
                                       whose, kPoll.count()));
  ExpiryWatch seen;
  std::string reason;
  const SystemTime session_deadline = expiry + seconds(5);
  for (;;) {
    const SystemTime asked = now();
    if (!seen.denied && asked < session_deadline) {
      if (auto verdict = world.aws().get(path); verdict && verdict->value("allowed", false)) {
        seen.allowed = asked;  // judged at this time or later
      } else if (verdict) {
        seen.denied = now();  // judged at this time or earlier
        reason = verdict->value("reason", "");
      }
    }
    if (!seen.ended && ended()) seen.ended = now();
    if ((seen.denied || asked >= session_deadline) && (seen.ended || asked >= end_deadline)) break;
    std::this_thread::sleep_for(kPoll);
  }
  const auto& [allowed, denied, _] = seen;
  if (denied)
    timeline.note(*denied, fmt::format("AWS: {}, allowed at {}, is denied at {}: {}", whose,
                                       allowed ? clock_time(*allowed, true) : "-", clock_time(*denied, true), reason));
  timeline.check(denied && *denied >= expiry && *denied - expiry < seconds(1) && allowed &&
                     expiry - *allowed < seconds(1),
                 denied ? fmt::format("{}: denied at {}, {} ms after {}", cut, clock_time(*denied, true),
                                      ms_between(expiry, *denied), clock_time(expiry))
                        : cut);
  return seen;
}

}  // namespace jit::demo
