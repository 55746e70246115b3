// EventBridge Scheduler (scheduler/2021-06-30, rest-json, signing name "scheduler"): the schedule
// operations, their HTTP binding, and the firing of one-time at() schedules on the emulator clock.
// Transport-free like EmulatorState: the HTTP layer (aws_emulator.cc) routes, verifies the
// signature and renders; this file knows the paths, the validation and the semantics.
//
// Firing applies the universal target arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment
// through EmulatorState::sso_admin("DeleteAccountAssignment", Input), so the deletion is validated
// and becomes IN_PROGRESS exactly as a DeleteAccountAssignment call over HTTP would.
#pragma once

#include <chrono>
#include <condition_variable>
#include <expected>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "aws_emulator.h"
#include "emulator_state.h"
#include "net/http.h"

namespace jit::emulators {

// The universal target the product uses; other target ARNs are stored but not invoked.
inline constexpr std::string_view kDeleteAssignmentTarget = "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment";

// The Scheduler operation a request names when its path is /schedules or /schedules/{Name}:
// CreateSchedule (POST), GetSchedule (GET), DeleteSchedule (DELETE), ListSchedules (GET
// /schedules). "" for another method on those paths; nullopt for any other path.
std::optional<std::string> scheduler_operation(std::string_view method, std::string_view target);

// The whole input of `operation`, as the model binds it: Name from the path (percent-decoded),
// the query members (groupName, clientToken; ListSchedules' ScheduleGroup, NamePrefix, State,
// MaxResults, NextToken) and the JSON body's members. A body that is not a JSON object is 400
// SerializationException.
std::expected<nlohmann::json, ApiError> scheduler_input(std::string_view operation, const net::HttpRequest& request);

// Schedules per group and their firings. Thread-safe (one mutex; it is held while a firing calls
// EmulatorState, which never calls back). The constructor starts a thread that fires what is due
// every `kFirePoll` of real time; stop_firing() or the destructor stops it. The clock is read only
// while some schedule has an invocation pending.
class Scheduler {
 public:
  static constexpr std::chrono::milliseconds kFirePoll{50};

  Scheduler(const AwsEmulatorOptions& options, EmulatorClock clock, EmulatorState& state);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // CreateSchedule, GetSchedule, DeleteSchedule, ListSchedules with the model's input and output
  // shapes (whole input, see scheduler_input). Errors carry the model's status: 400
  // ValidationException, 404 ResourceNotFoundException, 409 ConflictException. Another operation:
  // 400 UnknownOperationException.
  ApiResult call(std::string_view operation, const nlohmann::json& input);

  // Invokes every ENABLED one-time schedule whose at() time plus schedule_fire_delay has passed on
  // the clock, and every retry that is due. Returns the number of invocations made. Idempotent for
  // a given clock reading.
  int fire_due();

  // GET /_emulator/schedules: {"schedules":[...], "firings":[...]}.
  nlohmann::json snapshot();

  // Forgets every schedule and firing (the seeded groups stay).
  void reset();

  // Stops the firing thread and waits for it; fire_due() still works. Idempotent.
  void stop_firing();

 private:
  struct Schedule;
  struct Firing;

  ApiResult create(const nlohmann::json& input);
  ApiResult get(const nlohmann::json& input);
  ApiResult remove(const nlohmann::json& input);
  ApiResult list(const nlohmann::json& input);
  std::expected<std::string, ApiError> group_of(const nlohmann::json& input) const;  // REQUIRES: mutex_ held
  Schedule* find(std::string_view group, std::string_view name);                     // REQUIRES: mutex_ held
  // Get's and Delete's input: validated, group checked, the schedule found (else 400 / 404).
  std::expected<Schedule*, ApiError> lookup(const nlohmann::json& input);           // REQUIRES: mutex_ held
  void invoke(Schedule& schedule, std::chrono::system_clock::time_point now);        // REQUIRES: mutex_ held
  void run();

  const AwsEmulatorOptions& options_;
  const EmulatorClock clock_;
  EmulatorState& state_;
  std::set<std::string> groups_;

  std::mutex mutex_;
  std::vector<Schedule> schedules_;  // in creation order: ListSchedules walks it
  std::vector<Firing> firings_;

  std::mutex stop_mutex_;
  std::condition_variable stop_wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace jit::emulators
