// EventBridge Scheduler operations and firing (scheduler.h).
#include "scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <regex>

#include "core/time.h"
#include "validation.h"

namespace jit::emulators {

using json = nlohmann::json;
using std::chrono::system_clock;

namespace {

constexpr std::string_view kSchedulesPath = "/schedules";
constexpr std::string_view kNamePattern = "^[0-9a-zA-Z-_.]+$";
constexpr long long kMaxResults = 100;
// RetryPolicy when the request has none (AWS's defaults, as GetSchedule shows them).
constexpr long long kDefaultMaximumEventAge = 86400;
constexpr long long kDefaultMaximumRetryAttempts = 185;
constexpr auto kMaxBackoff = std::chrono::seconds(60);

// The model's shapes (scheduler/2021-06-30).
const StringRule kName{true, 1, 64, kNamePattern};
const StringRule kGroupName{false, 1, 64, kNamePattern};
const StringRule kClientToken{false, 1, 64, "^[a-zA-Z0-9-_]+$"};
const StringRule kRoleArn{true, 1, 1600, "^arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/[\\w+=,.@\\/-]+$"};
const StringRule kKmsKeyArn{false, 1, 2048, "^arn:aws(-[a-z]+)?:kms:[a-z0-9\\-]+:\\d{12}:(key|alias)\\/[0-9a-zA-Z-_]*$"};
const StringRule kDeadLetterArn{false, 1, 1600, "^arn:aws(-[a-z]+)?:sqs:[a-z0-9\\-]+:\\d{12}:[a-zA-Z0-9\\-_]+$"};
const StringRule kScheduleState{false, 0, 0, {}, {"ENABLED", "DISABLED"}};

ApiError validation_error(std::string message) { return {400, "ValidationException", std::move(message)}; }
ApiError not_found(std::string message) { return {404, "ResourceNotFoundException", std::move(message)}; }

double epoch_seconds_fraction(system_clock::time_point t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

// at(yyyy-mm-ddThh:mm:ss): the time it names (UTC); nullopt for anything else.
std::optional<system_clock::time_point> at_time(const std::string& expression) {
  static const std::regex kAt(R"(at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\))");
  std::smatch m;
  if (!std::regex_match(expression, m, kAt)) return std::nullopt;
  auto t = parse_time(m[1].str() + "Z");
  if (!t || format_time(*t) != m[1].str() + "Z") return std::nullopt;  // 2026-02-30 and the like
  return system_clock::time_point(*t);
}

// rate(value unit) or cron(six fields): accepted, stored, never fired.
bool recurring_expression(const std::string& expression) {
  static const std::regex kRate(R"(rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\))");
  static const std::regex kCron(R"(cron\(\S+ \S+ \S+ \S+ \S+ \S+\))");
  return std::regex_match(expression, kRate) || std::regex_match(expression, kCron);
}

bool utc_zone(std::string_view zone) { return zone == "UTC" || zone == "Etc/UTC" || zone == "GMT" || zone == "Etc/GMT"; }

// A timestamp member (rest-json body: epoch seconds) must be a number.
void check_timestamp(Validator& v, const json& input, std::string_view member) {
  if (input.contains(member) && !input.at(member).is_null() && !input.at(member).is_number())
    v.add(fmt::format("Value at '{}' failed to satisfy constraint: Member must be a timestamp", lower_camel(member)));
}

// Checks input[member] as a structure with `check`; records "must be a structure" otherwise.
template <class Check>
void check_structure(Validator& v, const json& input, std::string_view member, const std::string& prefix, Check check) {
  if (!input.contains(member) || input.at(member).is_null()) return;
  const json& nested = input.at(member);
  if (!nested.is_object()) {
    v.add(fmt::format("Value at '{}' failed to satisfy constraint: Member must be a structure", prefix + lower_camel(member)));
    return;
  }
  Validator inner(nested, prefix + lower_camel(member) + ".");
  check(inner, nested);
  v.absorb(inner);
}

// Page tokens: "s" + the offset of the next schedule.
std::expected<size_t, ApiError> list_offset(const std::optional<std::string>& token) {
  if (!token) return 0;
  size_t offset = 0;
  const char* end = token->data() + token->size();
  if (token->size() > 1 && (*token)[0] == 's') {
    auto [ptr, ec] = std::from_chars(token->data() + 1, end, offset);
    if (ec == std::errc() && ptr == end) return offset;
  }
  return std::unexpected(validation_error("The NextToken is invalid."));
}

}  // namespace

struct Scheduler::Schedule {
  std::string group, name, client_token;
  json request;  // the Create input without ClientToken: a repeat with the same token must match it
  json shape;    // GetSchedule's answer without the dates
  system_clock::time_point created;
  std::optional<system_clock::time_point> at;  // one-time schedules only
  int attempts = 0;
  std::optional<system_clock::time_point> next_attempt;  // the invocation due; none when done or recurring
};

struct Scheduler::Firing {
  std::string name, group, at;
  system_clock::time_point fired_at;
  int attempt = 0;
  std::string outcome;  // succeeded | retrying | failed | unsupported target
  std::string detail;
};

std::optional<std::string> scheduler_operation(std::string_view method, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == kSchedulesPath) return std::string(method == "GET" ? "ListSchedules" : "");
  if (!path.starts_with(kSchedulesPath) || path[kSchedulesPath.size()] != '/') return std::nullopt;
  if (path.find('/', kSchedulesPath.size() + 1) != std::string_view::npos) return std::nullopt;
  if (method == "POST") return "CreateSchedule";
  if (method == "GET") return "GetSchedule";
  if (method == "DELETE") return "DeleteSchedule";
  return std::string();
}

std::expected<json, ApiError> scheduler_input(std::string_view operation, const net::HttpRequest& request) {
  json input = json::object();
  if (!request.body.empty()) {
    input = json::parse(request.body, nullptr, false);
    if (input.is_discarded() || !input.is_object())
      return std::unexpected(ApiError{400, "SerializationException", "Start of structure or map found where not expected."});
  }
  const auto question = request.target.find('?');
  const std::string path = request.target.substr(0, question);
  const auto query = net::parse_form(question == std::string::npos ? "" : request.target.substr(question + 1));
  // Query name -> member, as the model's locationName binds them.
  const std::vector<std::pair<std::string, std::string>> bindings =
      operation == "ListSchedules"
          ? std::vector<std::pair<std::string, std::string>>{{"ScheduleGroup", "GroupName"}, {"NamePrefix", "NamePrefix"},
                                                             {"State", "State"}, {"MaxResults", "MaxResults"},
                                                             {"NextToken", "NextToken"}}
          : std::vector<std::pair<std::string, std::string>>{{"groupName", "GroupName"}, {"clientToken", "ClientToken"}};
  for (const auto& [query_name, member] : bindings) {
    auto found = query.find(query_name);
    if (found == query.end()) continue;
    long long number = 0;
    const auto& text = found->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (member == "MaxResults" && ec == std::errc() && end == text.data() + text.size()) input[member] = number;
    else input[member] = text;
  }
  if (operation != "ListSchedules") input["Name"] = net::percent_decode(path.substr(kSchedulesPath.size() + 1), false);
  return input;
}

Scheduler::Scheduler(const AwsEmulatorOptions& options, EmulatorClock clock, EmulatorState& state)
    : options_(options), clock_(std::move(clock)), state_(state) {
  groups_.insert("default");
  groups_.insert(options_.schedule_groups.begin(), options_.schedule_groups.end());
  thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() { stop_firing(); }

void Scheduler::stop_firing() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void Scheduler::run() {
  std::unique_lock lock(stop_mutex_);
  while (!stopping_) {
    lock.unlock();
    fire_due();
    lock.lock();
    stop_wake_.wait_for(lock, kFirePoll, [this] { return stopping_; });
  }
}

ApiResult Scheduler::call(std::string_view operation, const json& input) {
  if (operation == "CreateSchedule") return create(input);
  if (operation == "GetSchedule") return get(input);
  if (operation == "DeleteSchedule") return remove(input);
  if (operation == "ListSchedules") return list(input);
  return std::unexpected(ApiError{400, "UnknownOperationException",
                                  operation.empty() ? std::string("This method and path name no Scheduler operation the emulator supports")
                                                    : fmt::format("Operation {} is not supported by the emulator.", operation)});
}

std::expected<std::string, ApiError> Scheduler::group_of(const json& input) const {
  const std::string group = input.value("GroupName", "default");
  if (!groups_.contains(group)) return std::unexpected(not_found(fmt::format("Schedule group {} does not exist.", group)));
  return group;
}

Scheduler::Schedule* Scheduler::find(std::string_view group, std::string_view name) {
  auto it = std::find_if(schedules_.begin(), schedules_.end(),
                         [&](const Schedule& s) { return s.group == group && s.name == name; });
  return it == schedules_.end() ? nullptr : &*it;
}

ApiResult Scheduler::create(const json& input) {
  Validator v(input);
  auto name = v.string("Name", kName);
  v.string("GroupName", kGroupName);
  auto token = v.string("ClientToken", kClientToken);
  auto expression = v.string("ScheduleExpression", {true, 1, 256});
  auto zone = v.string("ScheduleExpressionTimezone", {false, 1, 50});
  v.string("Description", {false, 0, 512});
  v.string("KmsKeyArn", kKmsKeyArn);
  auto action = v.string("ActionAfterCompletion", {false, 0, 0, {}, {"NONE", "DELETE"}});
  auto state = v.string("State", kScheduleState);
  check_timestamp(v, input, "StartDate");
  check_timestamp(v, input, "EndDate");
  v.require("FlexibleTimeWindow");
  std::optional<std::string> mode;
  std::optional<long long> window;
  check_structure(v, input, "FlexibleTimeWindow", "", [&](Validator& w, const json&) {
    mode = w.string("Mode", {true, 0, 0, {}, {"OFF", "FLEXIBLE"}});
    window = w.integer("MaximumWindowInMinutes", 1, 1440);
  });
  v.require("Target");
  check_structure(v, input, "Target", "", [&](Validator& t, const json& target) {
    t.string("Arn", {true, 1, 1600});
    t.string("RoleArn", kRoleArn);
    t.string("Input", {false, 1, 0});
    check_structure(t, target, "RetryPolicy", "target.", [](Validator& r, const json&) {
      r.integer("MaximumEventAgeInSeconds", 60, 86400);
      r.integer("MaximumRetryAttempts", 0, 185);
    });
    check_structure(t, target, "DeadLetterConfig", "target.", [](Validator& d, const json&) { d.string("Arn", kDeadLetterArn); });
  });
  if (!v.ok()) return std::unexpected(validation_error(v.message()));

  const auto at = at_time(*expression);
  if (!at && !recurring_expression(*expression))
    return std::unexpected(validation_error(fmt::format("Invalid Schedule Expression {}.", *expression)));
  if (zone && !utc_zone(*zone))
    return std::unexpected(validation_error(
        fmt::format("Invalid ScheduleExpressionTimezone {}: the emulator supports UTC only.", *zone)));
  if (mode == "FLEXIBLE" && !window)
    return std::unexpected(validation_error("MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE."));

  std::lock_guard lock(mutex_);
  auto group = group_of(input);
  if (!group) return std::unexpected(group.error());
  json request = input;
  request.erase("ClientToken");
  if (const Schedule* existing = find(*group, *name)) {
    // AWS: a retried Create with the same ClientToken and the same request has the same result.
    if (token && *token == existing->client_token && request == existing->request)
      return json{{"ScheduleArn", existing->shape["Arn"]}};
    return std::unexpected(ApiError{409, "ConflictException", fmt::format("Schedule {} already exists.", *name)});
  }

  json target = input["Target"];
  json retry = target.value("RetryPolicy", json::object());
  if (!retry.contains("MaximumEventAgeInSeconds")) retry["MaximumEventAgeInSeconds"] = kDefaultMaximumEventAge;
  if (!retry.contains("MaximumRetryAttempts")) retry["MaximumRetryAttempts"] = kDefaultMaximumRetryAttempts;
  target["RetryPolicy"] = retry;

  Schedule s;
  s.group = *group;
  s.name = *name;
  s.client_token = token.value_or("");
  s.request = std::move(request);
  s.created = clock_();
  s.at = at;
  s.shape = {{"ActionAfterCompletion", action.value_or("NONE")},
             {"Arn", fmt::format("arn:aws:scheduler:{}:{}:schedule/{}/{}", options_.region, options_.account_id, *group, *name)},
             {"FlexibleTimeWindow", input["FlexibleTimeWindow"]},
             {"GroupName", *group},
             {"Name", *name},
             {"ScheduleExpression", *expression},
             {"ScheduleExpressionTimezone", zone.value_or("UTC")},
             {"State", state.value_or("ENABLED")},
             {"Target", std::move(target)}};
  for (const char* optional : {"Description", "KmsKeyArn", "StartDate", "EndDate"})
    if (input.contains(optional) && !input[optional].is_null()) s.shape[optional] = input[optional];
  if (at && s.shape["State"] == "ENABLED") s.next_attempt = *at + options_.schedule_fire_delay;
  json out = {{"ScheduleArn", s.shape["Arn"]}};
  schedules_.push_back(std::move(s));
  return out;
}

std::expected<Scheduler::Schedule*, ApiError> Scheduler::lookup(const json& input) {
  Validator v(input);
  auto name = v.string("Name", kName);
  v.string("GroupName", kGroupName);
  v.string("ClientToken", kClientToken);  // DeleteSchedule's; GetSchedule has none
  if (!v.ok()) return std::unexpected(validation_error(v.message()));
  auto group = group_of(input);
  if (!group) return std::unexpected(group.error());
  Schedule* s = find(*group, *name);
  if (!s) return std::unexpected(not_found(fmt::format("Schedule {} does not exist.", *name)));
  return s;
}

ApiResult Scheduler::get(const json& input) {
  std::lock_guard lock(mutex_);
  auto s = lookup(input);
  if (!s) return std::unexpected(s.error());
  json out = (*s)->shape;
  out["CreationDate"] = epoch_seconds_fraction((*s)->created);
  out["LastModificationDate"] = epoch_seconds_fraction((*s)->created);
  return out;
}

ApiResult Scheduler::remove(const json& input) {
  std::lock_guard lock(mutex_);
  auto s = lookup(input);
  if (!s) return std::unexpected(s.error());
  schedules_.erase(schedules_.begin() + (*s - schedules_.data()));
  return json::object();
}

ApiResult Scheduler::list(const json& input) {
  Validator v(input);
  auto group = v.string("GroupName", kGroupName);
  auto prefix = v.string("NamePrefix", {false, 1, 64, kNamePattern});
  auto state = v.string("State", kScheduleState);
  auto max_results = v.integer("MaxResults", 1, kMaxResults);
  auto token = v.string("NextToken", {false, 1, 2048});
  if (!v.ok()) return std::unexpected(validation_error(v.message()));
  auto offset = list_offset(token);
  if (!offset) return std::unexpected(offset.error());
  std::lock_guard lock(mutex_);
  if (group && !groups_.contains(*group)) return std::unexpected(not_found(fmt::format("Schedule group {} does not exist.", *group)));
  std::vector<const Schedule*> matching;
  for (const auto& s : schedules_)
    if ((!group || s.group == *group) && (!prefix || s.name.starts_with(*prefix)) && (!state || s.shape["State"] == *state))
      matching.push_back(&s);
  const size_t page = static_cast<size_t>(max_results.value_or(kMaxResults));
  json out = {{"Schedules", json::array()}};
  for (size_t i = *offset; i < matching.size() && i < *offset + page; ++i) {
    const Schedule& s = *matching[i];
    out["Schedules"].push_back({{"Arn", s.shape["Arn"]},
                                {"CreationDate", epoch_seconds_fraction(s.created)},
                                {"GroupName", s.group},
                                {"LastModificationDate", epoch_seconds_fraction(s.created)},
                                {"Name", s.name},
                                {"State", s.shape["State"]},
                                {"Target", {{"Arn", s.shape["Target"]["Arn"]}}}});
  }
  if (*offset + page < matching.size()) out["NextToken"] = fmt::format("s{}", *offset + page);
  return out;
}

// One invocation. Success, a final failure or an unsupported target completes the schedule (no
// next attempt); a failure within the RetryPolicy sets the next attempt after a backoff of 1, 2,
// 4, ... seconds (at most 60), counted from the event's time (at() plus the fire delay).
void Scheduler::invoke(Schedule& s, system_clock::time_point now) {
  ++s.attempts;
  const json& target = s.shape["Target"];
  Firing firing{s.name, s.group, iso8601(*s.at), now, s.attempts, "", ""};
  s.next_attempt.reset();
  if (target["Arn"] != kDeleteAssignmentTarget) {
    firing.outcome = "unsupported target";
    firing.detail = fmt::format("the emulator invokes only {}", kDeleteAssignmentTarget);
  } else {
    const json request = json::parse(target.value("Input", ""), nullptr, false);
    ApiResult result = request.is_object()
                           ? state_.sso_admin("DeleteAccountAssignment", request)
                           : ApiResult(std::unexpected(validation_error("Target Input is not a JSON object.")));
    if (result) {
      firing.outcome = "succeeded";
      firing.detail = fmt::format("deletion request {}", (*result)["AccountAssignmentDeletionStatus"].value("RequestId", ""));
    } else {
      firing.detail = fmt::format("{}: {}", result.error().code, result.error().message);
      const json& retry = target["RetryPolicy"];
      const auto event_time = *s.at + options_.schedule_fire_delay;
      const auto backoff = std::min<std::chrono::seconds>(std::chrono::seconds(1LL << std::min(s.attempts - 1, 6)), kMaxBackoff);
      const auto next = now + backoff;
      const bool retry_left = s.attempts - 1 < retry.value("MaximumRetryAttempts", kDefaultMaximumRetryAttempts);
      const bool young_enough = next - event_time <= std::chrono::seconds(retry.value("MaximumEventAgeInSeconds", kDefaultMaximumEventAge));
      firing.outcome = retry_left && young_enough ? "retrying" : "failed";
      if (retry_left && young_enough) s.next_attempt = next;
    }
  }
  firings_.push_back(std::move(firing));
}

int Scheduler::fire_due() {
  std::lock_guard lock(mutex_);
  if (std::none_of(schedules_.begin(), schedules_.end(), [](const Schedule& s) { return s.next_attempt.has_value(); }))
    return 0;
  const auto now = clock_();
  int invoked = 0;
  for (size_t i = 0; i < schedules_.size();) {
    Schedule& s = schedules_[i];
    if (!s.next_attempt || *s.next_attempt > now) {
      ++i;
      continue;
    }
    invoke(s, now);
    ++invoked;
    if (!s.next_attempt && s.shape["ActionAfterCompletion"] == "DELETE") {
      schedules_.erase(schedules_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    ++i;
  }
  return invoked;
}

json Scheduler::snapshot() {
  std::lock_guard lock(mutex_);
  json out = {{"schedules", json::array()}, {"firings", json::array()}};
  for (const auto& s : schedules_)
    out["schedules"].push_back({{"name", s.name},
                                {"group", s.group},
                                {"expression", s.shape["ScheduleExpression"]},
                                {"state", s.shape["State"]},
                                {"target", s.shape["Target"]["Arn"]},
                                {"action_after_completion", s.shape["ActionAfterCompletion"]},
                                {"at", s.at ? json(iso8601(*s.at)) : json()},
                                {"next_attempt", s.next_attempt ? json(iso8601(*s.next_attempt)) : json()},
                                {"attempts", s.attempts}});
  for (const auto& f : firings_)
    out["firings"].push_back({{"name", f.name},
                              {"group", f.group},
                              {"at", f.at},
                              {"fired_at", iso8601(f.fired_at)},
                              {"attempt", f.attempt},
                              {"outcome", f.outcome},
                              {"detail", f.detail}});
  return out;
}

void Scheduler::reset() {
  std::lock_guard lock(mutex_);
  schedules_.clear();
  firings_.clear();
}

}  // namespace jit::emulators
