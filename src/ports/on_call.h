// Who is on call (issue 17's on-call auto-approval): PagerDuty in production (src/pagerduty), a
// fake in unit tests.
#pragma once

#include <string>

#include "core/error.h"
#include "core/time.h"

namespace jit {

// The answer for one person: on call or not, and when on call, whom the on-call service matched.
struct OnCallAnswer {
  bool on_call = false;
  std::string user_id;  // the on-call service's id of the user whose e-mail matched ("" when not on call)
  std::string email;    // that user's e-mail, as the service has it
};

class OnCall {
 public:
  virtual ~OnCall() = default;

  // Is the person with e-mail address `email` on call on schedule `schedule` at `at`? The e-mail is
  // compared case-insensitively with the e-mail of each user the service names on call on that
  // schedule at that moment; nobody else's answer counts.
  //
  // Errors, each meaning "no answer": the engine then leaves the decision to people, never
  // approves.
  //   Errc::unavailable  the service did not answer in time, answered 5xx or 429 after the
  //                      retries, or with a body that is not what its API documents (or too big);
  //   Errc::denied       it refused our credentials (401/403): an operator must fix the token;
  //   Errc::not_found    it does not know the schedule (404);
  //   Errc::invalid      `schedule` or `email` cannot be asked about (not a schedule id, empty).
  // Messages name the schedule and what failed, never the token. May block for up to the
  // adapter's deadline; thread-safe.
  virtual Result<OnCallAnswer> on_call(const std::string& schedule, const std::string& email, TimePoint at) = 0;
};

}  // namespace jit
