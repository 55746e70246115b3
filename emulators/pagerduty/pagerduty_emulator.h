// PagerDutyEmulator: a local stand-in for the few endpoints of PagerDuty's REST API v2 that JIT
// Access's on-call auto-approval reads (issue 17), on 127.0.0.1, so that our own client
// (src/pagerduty) and PagerDuty's JavaScript client (@pagerduty/pdjs) both talk to it.
//
//   GET /oncalls          schedule_ids[], user_ids[], include[]=users, since, until, time_zone,
//                         earliest, limit (1..100, default 25), offset: the on-call entries of the
//                         schedules whose period overlaps [since, until] (both default to now)
//   GET /schedules/{id}   {"schedule": {...}} or 404
//   GET /users/{id}       {"user": {...}} or 404
//   GET /abilities        {"abilities": [...]}: a cheap check of the token
//
// Every API request needs `Authorization: Token token=<token>`: 401 otherwise, with PagerDuty's
// error body. A control API under /_emulator/ (no authentication: loopback only) sets who is on
// call and injects faults; see README.md.
//
//   jit::emulators::PagerDutyEmulatorOptions options;
//   options.users = {{"PDANA01", "dana", "dana@example.com"}};
//   options.schedules = {{"PSCHED1", "Primary", {{"PDANA01"}}}};
//   auto emulator = jit::emulators::PagerDutyEmulator::start(options);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/time.h"
#include "net/http.h"

namespace jit::emulators {

// The token the emulator accepts unless told otherwise.
inline constexpr char kPagerDutyEmulatorToken[] = "pd-emulator-token";

struct PagerDutyUser {
  std::string id;  // "PDANA01"
  std::string name;
  std::string email;
};

// One on-call period of a user on a schedule; no start: since ever, no end: for ever.
struct PagerDutyShift {
  std::string user_id;
  std::optional<TimePoint> start = std::nullopt;
  std::optional<TimePoint> end = std::nullopt;
};

struct PagerDutySchedule {
  std::string id;  // "PSCHED1"
  std::string name;
  std::vector<PagerDutyShift> on_call;
};

// What the API does instead of answering (PagerDutyEmulator::set_fault).
struct PagerDutyFault {
  enum class Kind { none, status, hang, garbage, oversized } kind = Kind::none;
  int status = 500;                             // Kind::status: this status, PagerDuty's error body
  std::chrono::milliseconds hang{0};            // Kind::hang: wait this long, then answer 503
  int count = 0;                                // requests it applies to; 0: until cleared
};

struct PagerDutyEmulatorOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  int threads = 4;
  std::string token = kPagerDutyEmulatorToken;
  std::vector<PagerDutyUser> users;
  std::vector<PagerDutySchedule> schedules;
  // "Now", for since/until left out. Default: the system clock.
  std::function<TimePoint()> now;
};

class PagerDutyEmulator {
 public:
  // Binds and serves before it returns; Errc::invalid for an address that is not loopback.
  static Result<std::unique_ptr<PagerDutyEmulator>> start(PagerDutyEmulatorOptions options);
  ~PagerDutyEmulator();

  std::string url() const;  // "http://127.0.0.1:PORT" (the API's base URL)
  void stop();

  // Who is on call on `schedule` from now on (the schedule is created if new).
  void set_on_call(const std::string& schedule, std::vector<PagerDutyShift> shifts);
  void add_user(PagerDutyUser user);
  void set_fault(PagerDutyFault fault);
  // Requests to the API so far (not the control API), as {"method", "target", "accept",
  // "authorized"}.
  nlohmann::json requests() const;

  // The answer to one request (the server's handler; public for tests of one answer).
  net::HttpResponse handle(const net::HttpRequest& request);

  struct Impl;

 private:
  explicit PagerDutyEmulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jit::emulators
