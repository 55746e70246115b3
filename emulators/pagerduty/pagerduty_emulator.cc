#include "emulators/pagerduty/pagerduty_emulator.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <thread>

#include "net/http_server.h"

namespace jit::emulators {

namespace {

using Json = nlohmann::json;

constexpr std::chrono::milliseconds kMaxHang{30000};
constexpr int kDefaultLimit = 25, kMaxLimit = 100;

net::HttpResponse json_answer(int status, const Json& body) {
  return {status, {{"Content-Type", "application/json; charset=utf-8"}}, body.dump()};
}

// PagerDuty's error body: {"error": {"message": ..., "code": ..., "errors": [...]}}.
net::HttpResponse error_answer(int status, std::string message, int code, std::vector<std::string> errors = {}) {
  Json error{{"message", std::move(message)}, {"code", code}};
  if (!errors.empty()) error["errors"] = errors;
  return json_answer(status, {{"error", error}});
}

// "a[]=1&a[]=2&b=x" (names and values percent-decoded, "[]" dropped) -> {a: [1, 2], b: [x]}.
std::map<std::string, std::vector<std::string>> query_of(const std::string& target) {
  std::map<std::string, std::vector<std::string>> out;
  const auto q = target.find('?');
  if (q == std::string::npos) return out;
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    std::string name = net::percent_decode(pair.substr(0, eq), true);
    if (name.ends_with("[]")) name.resize(name.size() - 2);
    out[name].push_back(eq == std::string_view::npos ? "" : net::percent_decode(pair.substr(eq + 1), true));
  }
  return out;
}

// A request header by name, any case ("" when absent), as the Slack emulator reads them.
std::string header_of(const net::HttpRequest& request, std::string_view name) {
  return net::HttpResponse{0, request.headers, ""}.header(name).value_or("");
}

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

Json time_json(const std::optional<TimePoint>& t) { return t ? Json(format_time(*t)) : Json(nullptr); }

}  // namespace

struct PagerDutyEmulator::Impl {
  PagerDutyEmulatorOptions options;
  std::unique_ptr<net::HttpServer> server;
  mutable std::mutex mu;
  std::map<std::string, PagerDutyUser> users;
  std::map<std::string, PagerDutySchedule> schedules;
  PagerDutyFault fault;
  Json requests = Json::array();

  std::string base() const { return server ? server->url() : ""; }

  Json user_reference(const std::string& id, bool full) const {
    const auto it = users.find(id);
    const std::string name = it == users.end() ? id : it->second.name;
    Json u{{"id", id},
           {"type", full ? "user" : "user_reference"},
           {"summary", name},
           {"self", base() + "/users/" + id},
           {"html_url", "https://jit-emulator.pagerduty.com/users/" + id}};
    if (full && it != users.end()) {
      u["name"] = it->second.name;
      u["email"] = it->second.email;
      u["time_zone"] = "UTC";
      u["role"] = "user";
    }
    return u;
  }

  Json schedule_reference(const PagerDutySchedule& s) const {
    return {{"id", s.id},
            {"type", "schedule_reference"},
            {"summary", s.name},
            {"self", base() + "/schedules/" + s.id},
            {"html_url", "https://jit-emulator.pagerduty.com/schedules/" + s.id}};
  }

  // Takes one request's share of the fault, if any.
  std::optional<PagerDutyFault> take_fault() {
    if (fault.kind == PagerDutyFault::Kind::none) return std::nullopt;
    PagerDutyFault now = fault;
    if (fault.count > 0 && --fault.count == 0) fault = {};
    return now;
  }

  net::HttpResponse oncalls(const std::map<std::string, std::vector<std::string>>& q) {
    const auto one = [&](const char* key) -> std::optional<std::string> {
      auto it = q.find(key);
      if (it == q.end() || it->second.empty()) return std::nullopt;
      return it->second.back();
    };
    const auto many = [&](const char* key) {
      auto it = q.find(key);
      return it == q.end() ? std::vector<std::string>{} : it->second;
    };
    const TimePoint now = options.now ? options.now() : std::chrono::floor<Seconds>(std::chrono::system_clock::now());
    std::vector<std::string> errors;
    const auto time_arg = [&](const char* key) {
      auto text = one(key);
      if (!text) return std::optional<TimePoint>(now);
      auto t = parse_time(*text);
      if (!t) errors.push_back(fmt::format("{} is not a valid ISO 8601 date", key));
      return t;
    };
    const auto since = time_arg("since"), until = time_arg("until");
    int limit = kDefaultLimit, offset = 0;
    const auto number_arg = [&](const char* key, int& out, int low, int high) {
      auto text = one(key);
      if (!text) return;
      try {
        std::size_t used = 0;
        const int n = std::stoi(*text, &used);
        if (used != text->size() || n < low || n > high) throw std::out_of_range(key);
        out = n;
      } catch (const std::exception&) {
        errors.push_back(fmt::format("{} must be a number from {} to {}", key, low, high));
      }
    };
    number_arg("limit", limit, 1, kMaxLimit);
    number_arg("offset", offset, 0, 1'000'000);
    if (since && until && *until < *since) errors.push_back("until must not be before since");
    if (auto tz = one("time_zone"); tz && *tz != "UTC" && *tz != "Etc/UTC")
      errors.push_back("this emulator renders times in UTC only (time_zone=UTC)");
    if (!errors.empty()) return error_answer(400, "Invalid Input Provided", 2001, errors);
    const auto includes = many("include");
    const bool full_users = std::find(includes.begin(), includes.end(), "users") != includes.end();
    const auto schedule_ids = many("schedule_ids"), user_ids = many("user_ids");
    const auto wanted = [](const std::vector<std::string>& filter, const std::string& id) {
      return filter.empty() || std::find(filter.begin(), filter.end(), id) != filter.end();
    };
    Json all = Json::array();
    for (const auto& [id, schedule] : schedules) {
      if (!wanted(schedule_ids, id)) continue;
      for (const auto& shift : schedule.on_call) {
        if (!wanted(user_ids, shift.user_id)) continue;
        if ((shift.start && *shift.start > *until) || (shift.end && *shift.end <= *since)) continue;
        all.push_back({{"escalation_policy",
                        {{"id", "PEP" + id},
                         {"type", "escalation_policy_reference"},
                         {"summary", schedule.name + " policy"},
                         {"self", base() + "/escalation_policies/PEP" + id}}},
                       {"escalation_level", 1},
                       {"schedule", schedule_reference(schedule)},
                       {"user", user_reference(shift.user_id, full_users)},
                       {"start", time_json(shift.start)},
                       {"end", time_json(shift.end)}});
      }
    }
    Json page = Json::array();
    for (std::size_t i = offset; i < all.size() && page.size() < static_cast<std::size_t>(limit); ++i)
      page.push_back(all[i]);
    return json_answer(200, {{"oncalls", page},
                             {"limit", limit},
                             {"offset", offset},
                             {"more", static_cast<std::size_t>(offset) + page.size() < all.size()},
                             {"total", nullptr}});
  }

  net::HttpResponse api(const net::HttpRequest& r) {
    const bool authorized = header_of(r, "Authorization") == "Token token=" + options.token;
    std::optional<PagerDutyFault> fault_now;
    {
      std::lock_guard lock(mu);
      requests.push_back({{"method", r.method},
                          {"target", r.target},
                          {"accept", header_of(r, "Accept")},
                          {"authorized", authorized}});
      fault_now = take_fault();
    }
    if (fault_now) {
      switch (fault_now->kind) {
        case PagerDutyFault::Kind::status:
          return error_answer(fault_now->status, "Emulated failure", 2000 + fault_now->status);
        case PagerDutyFault::Kind::hang:
          std::this_thread::sleep_for(std::min(fault_now->hang, kMaxHang));
          return error_answer(503, "Service Unavailable", 2503);
        case PagerDutyFault::Kind::garbage:
          return {200, {{"Content-Type", "text/html"}}, "<html><body>Bad gateway</body></html>"};
        case PagerDutyFault::Kind::oversized:
          return json_answer(200, {{"oncalls", Json::array()}, {"more", false}, {"padding", std::string(2 << 20, 'x')}});
        case PagerDutyFault::Kind::none: break;
      }
    }
    if (!authorized) return error_answer(401, "Unauthorized", 2006);
    if (r.method != "GET") return error_answer(405, "Method Not Allowed", 2405);
    const std::string path = path_of(r.target);
    std::lock_guard lock(mu);
    if (path == "/oncalls") return oncalls(query_of(r.target));
    if (path == "/abilities") return json_answer(200, {{"abilities", {"teams", "read_only_users", "urgencies"}}});
    if (path.starts_with("/schedules/")) {
      const auto it = schedules.find(path.substr(11));
      if (it == schedules.end()) return error_answer(404, "Not Found", 2100);
      Json s = schedule_reference(it->second);
      s["type"] = "schedule";
      s["name"] = it->second.name;
      s["time_zone"] = "UTC";
      return json_answer(200, {{"schedule", s}});
    }
    if (path.starts_with("/users/")) {
      const std::string id = path.substr(7);
      if (!users.contains(id)) return error_answer(404, "Not Found", 2100);
      return json_answer(200, {{"user", user_reference(id, true)}});
    }
    return error_answer(404, "Not Found", 2100);
  }

  net::HttpResponse control(const net::HttpRequest& r) {
    const std::string path = path_of(r.target);
    if (path == "/_emulator/requests" && r.method == "GET") {
      std::lock_guard lock(mu);
      return json_answer(200, {{"requests", requests}});
    }
    const Json body = Json::parse(r.body, nullptr, false);
    if (!body.is_object()) return json_answer(400, {{"error", "the body must be a JSON object"}});
    try {
      if (path == "/_emulator/users" && r.method == "POST") {
        std::lock_guard lock(mu);
        PagerDutyUser u{body.at("id").get<std::string>(), body.value("name", body.at("id").get<std::string>()),
                        body.at("email").get<std::string>()};
        users[u.id] = u;
        return json_answer(200, {{"ok", true}});
      }
      if (path.starts_with("/_emulator/schedules/") && r.method == "PUT") {
        PagerDutySchedule s{path.substr(21), body.value("name", path.substr(21)), {}};
        for (const auto& entry : body.at("on_call")) {
          PagerDutyShift shift{entry.at("user").get<std::string>()};
          for (auto [key, out] : {std::pair{"start", &shift.start}, std::pair{"end", &shift.end}})
            if (entry.contains(key) && !entry[key].is_null()) {
              *out = parse_time(entry[key].get<std::string>());
              if (!*out) return json_answer(400, {{"error", fmt::format("{} is not a time like 2026-11-24T10:00:00Z", key)}});
            }
          s.on_call.push_back(shift);
        }
        std::lock_guard lock(mu);
        schedules[s.id] = std::move(s);
        return json_answer(200, {{"ok", true}});
      }
      if (path == "/_emulator/fault" && r.method == "POST") {
        static const std::map<std::string, PagerDutyFault::Kind> kinds{
            {"none", PagerDutyFault::Kind::none},       {"status", PagerDutyFault::Kind::status},
            {"hang", PagerDutyFault::Kind::hang},       {"garbage", PagerDutyFault::Kind::garbage},
            {"oversized", PagerDutyFault::Kind::oversized}};
        const auto kind = kinds.find(body.value("kind", "none"));
        if (kind == kinds.end()) return json_answer(400, {{"error", "kind: none, status, hang, garbage or oversized"}});
        std::lock_guard lock(mu);
        fault = {kind->second, body.value("status", 500), std::chrono::milliseconds(body.value("hang_ms", 0)),
                 body.value("count", 0)};
        return json_answer(200, {{"ok", true}});
      }
    } catch (const Json::exception& e) {
      return json_answer(400, {{"error", e.what()}});
    }
    return json_answer(404, {{"error", "no such control endpoint"}});
  }
};

PagerDutyEmulator::PagerDutyEmulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PagerDutyEmulator::~PagerDutyEmulator() { stop(); }

Result<std::unique_ptr<PagerDutyEmulator>> PagerDutyEmulator::start(PagerDutyEmulatorOptions options) {
  net::Endpoint bind{.scheme = "http", .host = options.address, .port = 1, .base_path = ""};
  if (!bind.is_loopback() || options.address == "localhost")
    return fail(Error::Invalid("the PagerDuty emulator binds loopback addresses only (its control API has no "
                               "authentication): use 127.0.0.1 or ::1"));
  auto impl = std::make_unique<Impl>();
  for (const auto& u : options.users) impl->users[u.id] = u;
  for (const auto& s : options.schedules) impl->schedules[s.id] = s;
  impl->options = std::move(options);
  std::unique_ptr<PagerDutyEmulator> emulator(new PagerDutyEmulator(std::move(impl)));
  auto server = net::HttpServer::start(
      {.address = emulator->impl_->options.address, .port = emulator->impl_->options.port,
       .threads = emulator->impl_->options.threads, .max_body_bytes = 1 << 20},
      [e = emulator.get()](const net::HttpRequest& r) { return e->handle(r); });
  if (!server) return fail(server.error());
  emulator->impl_->server = std::move(*server);
  return emulator;
}

std::string PagerDutyEmulator::url() const { return impl_->base(); }

void PagerDutyEmulator::stop() {
  if (impl_ && impl_->server) impl_->server->stop();
}

net::HttpResponse PagerDutyEmulator::handle(const net::HttpRequest& request) {
  if (request.target.starts_with("/_emulator/")) return impl_->control(request);
  return impl_->api(request);
}

void PagerDutyEmulator::set_on_call(const std::string& schedule, std::vector<PagerDutyShift> shifts) {
  std::lock_guard lock(impl_->mu);
  auto& s = impl_->schedules[schedule];
  s.id = schedule;
  if (s.name.empty()) s.name = schedule;
  s.on_call = std::move(shifts);
}

void PagerDutyEmulator::add_user(PagerDutyUser user) {
  std::lock_guard lock(impl_->mu);
  impl_->users[user.id] = std::move(user);
}

void PagerDutyEmulator::set_fault(PagerDutyFault fault) {
  std::lock_guard lock(impl_->mu);
  impl_->fault = fault;
}

nlohmann::json PagerDutyEmulator::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

}  // namespace jit::emulators
