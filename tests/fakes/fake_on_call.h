// An OnCall (ports/on_call.h) in memory, for unit tests: who is on call on which schedule, or an
// error to answer with; every question is recorded.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/text.h"
#include "ports/on_call.h"

namespace jit::testing {

class FakeOnCall : public OnCall {
 public:
  struct Question {
    std::string schedule, email;
    TimePoint at;
  };
  struct OnCallUser {
    std::string user_id, email;
  };

  // Who is on call on `schedule` from now on (replaces the list).
  void set_on_call(const std::string& schedule, std::vector<OnCallUser> users) {
    std::lock_guard lock(mu_);
    on_call_[schedule] = std::move(users);
  }
  // Every question from now on is answered with `error` (nullopt: answered again).
  void fail_with(std::optional<Error> error) {
    std::lock_guard lock(mu_);
    error_ = std::move(error);
  }
  // Answers "on call" with this user whatever is asked (a PagerDuty that names someone else).
  void answer_with(std::optional<OnCallAnswer> answer) {
    std::lock_guard lock(mu_);
    forced_ = std::move(answer);
  }
  std::vector<Question> questions() const {
    std::lock_guard lock(mu_);
    return questions_;
  }

  Result<OnCallAnswer> on_call(const std::string& schedule, const std::string& email, TimePoint at) override {
    std::lock_guard lock(mu_);
    questions_.push_back({schedule, email, at});
    if (error_) return fail(*error_);
    if (forced_) return *forced_;
    if (auto it = on_call_.find(schedule); it != on_call_.end())
      for (const auto& u : it->second)
        if (text::iequals(u.email, email)) return OnCallAnswer{true, u.user_id, u.email};
    return OnCallAnswer{};
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<OnCallUser>> on_call_;
  std::optional<Error> error_;
  std::optional<OnCallAnswer> forced_;
  std::vector<Question> questions_;
};

}  // namespace jit::testing
