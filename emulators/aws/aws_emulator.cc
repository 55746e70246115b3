// AwsEmulator's HTTP side: routes each request (control API, sso-admin, identitystore, STS),
// applies the injected faults, verifies signatures, counts calls and renders AWS's answers.
// Scheduler (rest-json) requests are told apart by their path, /schedules[/{Name}].
#include "aws_emulator.h"

#include <fmt/format.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "core/time.h"
#include "emulator_state.h"
#include "iam_service.h"
#include "query_replies.h"
#include "net/http_server.h"
#include "scheduler.h"
#include "signature_check.h"

namespace jit::emulators {

using json = nlohmann::json;

namespace {

constexpr std::string_view kControlPrefix = "/_emulator/";
constexpr std::string_view kSsoAdminPrefix = "SWBExternalService";
constexpr std::string_view kIdentityStorePrefix = "AWSIdentityStore";

enum class Service { sso_admin, identitystore, sts, iam, scheduler, unknown };

struct Route {
  Service service = Service::unknown;
  std::string operation;  // "CreateAccountAssignment"
  std::string label;      // "sso-admin:CreateAccountAssignment": the key in /_emulator/calls
};

net::HttpResponse json_response(int status, const json& body, net::Headers headers = {}) {
  headers.emplace_back("Content-Type", "application/json");
  return {status, std::move(headers), body.dump() + "\n"};
}

}  // namespace

struct AwsEmulator::Impl {
  AwsEmulatorOptions options;
  EmulatorClock base_clock;  // the configured clock: signatures' 15-minute window
  std::atomic<long long> clock_offset_ms{0};  // POST /_emulator/clock
  EmulatorClock clock;       // base_clock + clock_offset_ms: every service's "now"
  std::vector<aws::Credentials> configured;
  EmulatorState state;
  IamService iam;
  Scheduler scheduler;  // after `state`, which its firing thread uses
  std::unique_ptr<net::HttpServer> server;

  mutable std::mutex mutex;  // guards faults, counters and calls
  EmulatorFaults faults;
  long long throttle_counter = 0;
  // throttle_per_second: per operation, the second being counted and the calls let through in it.
  std::map<std::string, std::pair<long long, int>> per_second;
  std::map<std::string, std::map<std::string, long long>> calls;
  long long total_calls = 0;

  Impl(AwsEmulatorOptions o, EmulatorClock c)
      : options(std::move(o)),
        base_clock(std::move(c)),
        clock([this] { return base_clock() + std::chrono::milliseconds(clock_offset_ms.load()); }),
        configured(options.credentials),
        state(options, clock),
        iam(options, clock),
        scheduler(options, clock, state) {
    if (configured.empty()) configured.push_back({kEmulatorAccessKeyId, kEmulatorSecretAccessKey, ""});
    iam.set_principal_lookup([this](std::string_view key) { return state.web_identity_principal(key); });
  }

  net::HttpResponse handle(const net::HttpRequest& request);
  net::HttpResponse control(const net::HttpRequest& request, std::string_view path);
  net::HttpResponse clock_control(const net::HttpRequest& request);
  net::HttpResponse aws_call(const net::HttpRequest& request);
  Route route(const net::HttpRequest& request) const;
  net::HttpResponse error_response(const Route& route, const ApiError& error, bool lower_case_message = false);
  void count(const Route& route, std::string_view outcome);
  // fail_assignments lives in the state (it counts down there); it is replaced only when
  // `set_assignment_failures`, so a later POST of other faults does not re-arm it.
  void set_faults(const EmulatorFaults& f, bool set_assignment_failures = true) {
    std::lock_guard lock(mutex);
    faults = f;
    throttle_counter = 0;
    per_second.clear();
    if (set_assignment_failures) state.fail_assignments(f.fail_assignments);
  }
  EmulatorFaults current_faults() {
    std::lock_guard lock(mutex);
    EmulatorFaults out = faults;
    out.fail_assignments = state.pending_assignment_failures();
    return out;
  }
};

namespace {

json faults_json(const EmulatorFaults& f) {
  return {{"throttle_every", f.throttle_every}, {"fail_next", f.fail_next},     {"status", f.fail_status},
          {"delay_ms", f.delay_ms},             {"down", f.down},               {"fail_assignments", f.fail_assignments},
          {"throttle_per_second", f.throttle_per_second}};
}

// Applies the members present in `body` to `faults`; an unknown member or a wrong type is an error.
std::expected<void, std::string> merge_faults(const json& body, EmulatorFaults& faults) {
  if (!body.is_object()) return std::unexpected(std::string("the body must be a JSON object"));
  for (const auto& [key, value] : body.items()) {
    int* target = key == "throttle_every" ? &faults.throttle_every
                  : key == "fail_next"    ? &faults.fail_next
                  : key == "status"       ? &faults.fail_status
                  : key == "delay_ms"     ? &faults.delay_ms
                  : key == "fail_assignments" ? &faults.fail_assignments
                  : key == "throttle_per_second" ? &faults.throttle_per_second
                                          : nullptr;
    if (key == "down") {
      if (!value.is_boolean()) return std::unexpected(std::string("'down' must be true or false"));
      faults.down = value.get<bool>();
    } else if (target) {
      if (!value.is_number_integer() || value.get<long long>() < 0)
        return std::unexpected(fmt::format("'{}' must be a non-negative integer", key));
      *target = value.get<int>();
    } else {
      return std::unexpected(fmt::format(
          "unknown fault '{}'; known: throttle_every, fail_next, status, delay_ms, down, fail_assignments, "
          "throttle_per_second",
          key));
    }
  }
  if (faults.fail_status < 400 || faults.fail_status > 599)
    return std::unexpected(std::string("'status' must be an HTTP error status (400-599)"));
  return {};
}

}  // namespace

Route AwsEmulator::Impl::route(const net::HttpRequest& request) const {
  const net::HttpResponse view{0, request.headers, ""};
  if (auto target = view.header("X-Amz-Target")) {
    const auto dot = target->find('.');
    const std::string prefix = target->substr(0, dot);
    const std::string operation = dot == std::string::npos ? "" : target->substr(dot + 1);
    if (prefix == kSsoAdminPrefix) return {Service::sso_admin, operation, "sso-admin:" + operation};
    if (prefix == kIdentityStorePrefix) return {Service::identitystore, operation, "identitystore:" + operation};
    return {Service::unknown, *target, "unknown:" + *target};
  }
  if (auto operation = scheduler_operation(request.method, request.target))
    return {Service::scheduler, *operation, "scheduler:" + (operation->empty() ? request.method : *operation)};
  const auto content_type = view.header("Content-Type").value_or("");
  if (authorization_service(request) == "iam") {
    const auto form = net::parse_form(request.body);
    const std::string action = form.contains("Action") ? form.at("Action") : "";
    return {Service::iam, action, "iam:" + action};
  }
  if (authorization_service(request) == "sts" || content_type.starts_with("application/x-www-form-urlencoded")) {
    const auto form = net::parse_form(request.body);
    const std::string action = form.contains("Action") ? form.at("Action") : "";
    return {Service::sts, action, "sts:" + action};
  }
  return {Service::unknown, "", "unknown:"};
}

void AwsEmulator::Impl::count(const Route& route, std::string_view outcome) {
  std::lock_guard lock(mutex);
  ++calls[route.label][std::string(outcome)];
  ++total_calls;
}

net::HttpResponse AwsEmulator::Impl::error_response(const Route& route, const ApiError& error, bool lower_case_message) {
  count(route, error.code);
  const std::string request_id = state.new_uuid();
  if (route.service == Service::sts || route.service == Service::iam)
    return {error.status,
            {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", request_id}},
            query_error_xml(route.service == Service::iam ? kIamNamespace : kStsNamespace, error, request_id)};
  if (route.service == Service::scheduler)  // rest-json: the code in x-amzn-ErrorType, the body {"Message"}
    return {error.status,
            {{"Content-Type", "application/json"}, {"x-amzn-RequestId", request_id}, {"x-amzn-ErrorType", error.code}},
            json{{lower_case_message ? "message" : "Message", error.message}}.dump()};
  json body = error.extra;
  body["__type"] = error.code;
  body[lower_case_message ? "message" : "Message"] = error.message;
  return {error.status,
          {{"Content-Type", "application/x-amz-json-1.1"}, {"x-amzn-RequestId", request_id}, {"x-amzn-ErrorType", error.code}},
          body.dump()};
}

net::HttpResponse AwsEmulator::Impl::handle(const net::HttpRequest& request) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path.starts_with(kControlPrefix)) return control(request, path.substr(kControlPrefix.size()));
  if (request.method == "GET" && path == "/")
    return {200, {{"Content-Type", "text/plain"}}, "jit-aws-emulator: see /_emulator/assignments and README.md\n"};
  return aws_call(request);
}

net::HttpResponse AwsEmulator::Impl::aws_call(const net::HttpRequest& request) {
  const Route r = route(request);

  // Faults come first (before the signature check), in this order: down, delay, throttle, fail.
  EmulatorFaults f;
  bool throttle = false, fail = false;
  {
    std::lock_guard lock(mutex);
    f = faults;
    if (!f.down) {
      ++throttle_counter;
      throttle = f.throttle_every > 0 && throttle_counter % f.throttle_every == 0;
      if (!throttle && f.throttle_per_second > 0) {
        const long long second =
            std::chrono::duration_cast<std::chrono::seconds>(clock().time_since_epoch()).count();
        auto& [counted_second, let_through] = per_second[r.label];
        if (counted_second != second) counted_second = second, let_through = 0;
        throttle = let_through >= f.throttle_per_second;
        if (!throttle) ++let_through;
      }
      if (!throttle && faults.fail_next > 0) {
        --faults.fail_next;
        fail = true;
      }
    }
  }
  if (f.down) {
    count(r, "down");
    return {503, {{"Content-Type", "text/plain"}, {"Connection", "close"}}, "Service Unavailable (emulator is down)\n"};
  }
  if (f.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(f.delay_ms));
  if (throttle)
    return error_response(r, {r.service == Service::scheduler ? 429 : 400,
                              r.service == Service::sts || r.service == Service::iam ? "Throttling" : "ThrottlingException", "Rate exceeded"});
  if (fail) {
    const std::string code = f.fail_status == 503 ? "ServiceUnavailableException"
                             : f.fail_status >= 500 ? "InternalServerException"
                                                    : "InjectedFault";
    return error_response(r, {f.fail_status, code, "Injected failure (emulator fail_next)"});
  }

  if (request.method != "POST" && r.service != Service::scheduler)
    return error_response(r, {400, "UnknownOperationException", "AWS API calls are POST / requests"});
  if (r.service == Service::unknown)
    return error_response(r, {400, "UnknownOperationException",
                              r.operation.empty() ? "No X-Amz-Target header and not an STS form request"
                                                  : fmt::format("Unknown target {}", r.operation)});

  // Signature: AssumeRoleWithWebIdentity is unsigned in AWS; an STS request that is signed anyway
  // is verified like any other.
  const bool unsigned_allowed = r.service == Service::sts && r.operation == "AssumeRoleWithWebIdentity";
  const bool has_authorization = net::HttpResponse{0, request.headers, ""}.header("Authorization").has_value();
  std::string caller_key;  // who signed: the IAM-role path's caller
  if (!(unsigned_allowed && !has_authorization)) {
    const std::string_view signing_name = r.service == Service::sso_admin       ? "sso"
                                          : r.service == Service::identitystore ? "identitystore"
                                          : r.service == Service::scheduler     ? "scheduler"
                                          : r.service == Service::iam           ? "iam"
                                                                                : "sts";
    auto accepted = state.accepted_credentials();
    for (auto& c : iam.credentials()) accepted.push_back(std::move(c));
    // IAM is global: its requests are signed for us-east-1 whatever the emulator's region.
    // (Both arms string_view: a const char* and a std::string arm would make a temporary string.)
    const std::string_view region =
        r.service == Service::iam ? std::string_view("us-east-1") : std::string_view(options.region);
    auto signed_by = verify_sigv4(request, accepted, region, signing_name, base_clock());
    if (!signed_by) return error_response(r, {signed_by.error().status, signed_by.error().code, signed_by.error().message}, true);
    caller_key = signed_by->access_key_id;
  }

  if (r.service == Service::iam || (r.service == Service::sts && r.operation == "AssumeRole")) {
    const auto form = net::parse_form(request.body);
    auto xml = r.service == Service::iam ? iam.iam(caller_key, form) : iam.assume_role(caller_key, form);
    if (!xml) return error_response(r, xml.error());
    count(r, "ok");
    return {200, {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", state.new_uuid()}}, std::move(*xml)};
  }

  if (r.service == Service::sts) {
    auto xml = state.sts(net::parse_form(request.body));
    if (!xml) return error_response(r, xml.error());
    count(r, "ok");
    return {200, {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", state.new_uuid()}}, std::move(*xml)};
  }

  if (r.service == Service::scheduler) {
    auto input = scheduler_input(r.operation, request);
    auto result = input ? scheduler.call(r.operation, *input) : ApiResult(std::unexpected(input.error()));
    if (!result) return error_response(r, result.error());
    count(r, "ok");
    return {200, {{"Content-Type", "application/json"}, {"x-amzn-RequestId", state.new_uuid()}}, result->dump()};
  }

  json input = json::object();
  if (!request.body.empty()) {
    input = json::parse(request.body, nullptr, false);
    if (input.is_discarded() || !input.is_object())
      return error_response(r, {400, "SerializationException", "Start of structure or map found where not expected."});
  }
  auto result = r.service == Service::sso_admin ? state.sso_admin(r.operation, input) : state.identity_store(r.operation, input);
  if (!result) return error_response(r, result.error());
  count(r, "ok");
  return {200, {{"Content-Type", "application/x-amz-json-1.1"}, {"x-amzn-RequestId", state.new_uuid()}}, result->dump()};
}

net::HttpResponse AwsEmulator::Impl::control(const net::HttpRequest& request, std::string_view path) {
  const auto& m = request.method;
  if (path == "faults" && m == "GET") return json_response(200, faults_json(current_faults()));
  if (path == "faults" && (m == "POST" || m == "DELETE")) {
    EmulatorFaults next;
    bool set_assignment_failures = true;
    if (m == "POST") {
      next = current_faults();
      const json body = request.body.empty() ? json::object() : json::parse(request.body, nullptr, false);
      if (auto ok = merge_faults(body, next); !ok) return json_response(400, {{"error", ok.error()}});
      set_assignment_failures = body.contains("fail_assignments");
    }
    set_faults(next, set_assignment_failures);
    return json_response(200, faults_json(current_faults()));
  }
  if (path == "assignments" && m == "GET") return json_response(200, state.assignments());
  if (path == "schedules" && m == "GET") return json_response(200, scheduler.snapshot());
  const auto query = request.target.find('?') == std::string::npos ? "" : request.target.substr(request.target.find('?') + 1);
  if (auto answer = state.session_control(m, path, query, request.body)) return json_response(answer->first, answer->second);
  if (auto answer = iam.control(m, path, query, request.body)) return json_response(answer->first, answer->second);
  if (path == "clock") return clock_control(request);
  if (path == "calls" && m == "GET") {
    std::lock_guard lock(mutex);
    return json_response(200, {{"total", total_calls}, {"operations", calls}});
  }
  if (path == "reset" && m == "POST") {
    state.reset();
    iam.reset();
    clock_offset_ms = 0;
    scheduler.reset();
    set_faults({});
    std::lock_guard lock(mutex);
    calls.clear();
    total_calls = 0;
    return json_response(200, {{"ok", true}});
  }
  return json_response(404, {{"error", fmt::format("no control endpoint {} /_emulator/{}; see emulators/aws/README.md", m, path)}});
}

// GET: {"now", "offset_ms"}; POST {"now": "2026-12-03T15:16:29Z"} or {"offset_ms": N} moves the
// emulator's clock (not the signatures' window) to that time / by that much from the base clock.
net::HttpResponse AwsEmulator::Impl::clock_control(const net::HttpRequest& request) {
  if (request.method == "POST") {
    const json body = json::parse(request.body, nullptr, false);
    const bool by_time = body.is_object() && body.size() == 1 && body.value("now", json()).is_string();
    const bool by_offset = body.is_object() && body.size() == 1 && body.value("offset_ms", json()).is_number_integer();
    auto now = by_time ? parse_time(body["now"].get<std::string>()) : std::nullopt;
    if (!(by_offset || (now && body["now"].get<std::string>().size() == 20)))
      return json_response(400, {{"error", "the body must be {\"now\": \"2026-12-03T15:16:29Z\"} or {\"offset_ms\": integer}"}});
    clock_offset_ms = by_offset ? body["offset_ms"].get<long long>()
                                : std::chrono::ceil<std::chrono::milliseconds>(*now - base_clock()).count();  // never short of `now`
  } else if (request.method != "GET") {
    return json_response(405, {{"error", "GET or POST /_emulator/clock"}});
  }
  return json_response(200, {{"now", iso8601(clock())}, {"offset_ms", clock_offset_ms.load()}});
}

Result<std::unique_ptr<AwsEmulator>> AwsEmulator::start(AwsEmulatorOptions options) {
  if (!net::Endpoint{"http", options.address, 80, ""}.is_loopback() && options.address != "::1")
    return fail(Error::Invalid(fmt::format(
        "aws emulator: address '{}' is not loopback; the control API is unauthenticated, so bind 127.0.0.1 or ::1",
        options.address)));
  if (options.region.empty()) return fail(Error::Invalid("aws emulator: region is empty; use e.g. us-east-1"));
  if (options.assignment_delay.count() < 0) return fail(Error::Invalid("aws emulator: assignment_delay must be >= 0"));
  if (options.deletion_delay && options.deletion_delay->count() < 0)
    return fail(Error::Invalid("aws emulator: deletion_delay must be >= 0"));
  if (options.provision_delay.count() < 0) return fail(Error::Invalid("aws emulator: provision_delay must be >= 0"));
  for (const auto& p : options.permission_sets)
    if (auto problem = permission_set_problem(p)) return fail(Error::Invalid("aws emulator: " + *problem));
  if (options.throttle_per_second < 0) return fail(Error::Invalid("aws emulator: throttle_per_second must be >= 0"));
  if (options.schedule_fire_delay.count() < 0 || options.schedule_fire_delay > std::chrono::seconds(60))
    return fail(Error::Invalid("aws emulator: schedule_fire_delay must be within 0..60 s (Scheduler fires within a minute)"));
  for (const auto& group : options.schedule_groups)
    if (group.empty() || group.size() > 64 ||
        !std::all_of(group.begin(), group.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; }))
      return fail(Error::Invalid(fmt::format("aws emulator: schedule group '{}' must be 1..64 of [0-9a-zA-Z-_.]", group)));
  if (auto problem = IamService::check_seed({options.principals, options.roles}))
    return fail(Error::Invalid("aws emulator: " + *problem));
  if (options.trust_policy_size_limit <= 0) return fail(Error::Invalid("aws emulator: trust_policy_size_limit must be > 0"));
  for (const auto& c : options.credentials)
    if (c.access_key_id.empty() || c.secret_access_key.empty())
      return fail(Error::Invalid("aws emulator: every key pair needs an access key id and a secret access key"));
  EmulatorClock clock = options.clock ? options.clock : EmulatorClock([] { return std::chrono::system_clock::now(); });
  auto impl = std::make_unique<Impl>(options, clock);
  impl->faults.throttle_per_second = options.throttle_per_second;
  net::ServerOptions server_options;
  server_options.address = options.address;
  server_options.port = options.port;
  server_options.threads = std::max(1, options.threads);
  Impl* raw = impl.get();
  auto server = net::HttpServer::start(server_options, [raw](const net::HttpRequest& r) { return raw->handle(r); });
  if (!server) return fail(server.error());
  impl->server = std::move(*server);
  return std::unique_ptr<AwsEmulator>(new AwsEmulator(std::move(impl)));
}

AwsEmulator::AwsEmulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AwsEmulator::~AwsEmulator() { stop(); }

std::uint16_t AwsEmulator::port() const { return impl_->server->port(); }
std::string AwsEmulator::url() const { return impl_->server->url(); }
net::Endpoint AwsEmulator::endpoint() const { return impl_->server->endpoint(); }
const std::vector<aws::Credentials>& AwsEmulator::credentials() const { return impl_->configured; }
const AwsEmulatorOptions& AwsEmulator::options() const { return impl_->options; }

void AwsEmulator::set_faults(const EmulatorFaults& faults) { impl_->set_faults(faults); }
EmulatorFaults AwsEmulator::faults() const { return impl_->current_faults(); }
nlohmann::json AwsEmulator::assignments() const { return impl_->state.assignments(); }
nlohmann::json AwsEmulator::calls() const {
  std::lock_guard lock(impl_->mutex);
  return {{"total", impl_->total_calls}, {"operations", impl_->calls}};
}
void AwsEmulator::reset() {
  impl_->control({"POST", "/_emulator/reset", {}, ""}, "reset");
}
nlohmann::json AwsEmulator::schedules() const { return impl_->scheduler.snapshot(); }
int AwsEmulator::fire_due_schedules() { return impl_->scheduler.fire_due(); }
namespace {
Error session_error(const ApiError& e) {
  return {e.status == 404 ? Errc::not_found : e.status == 409 ? Errc::conflict : Errc::invalid, e.message};
}
}  // namespace

Result<EmulatedSession> AwsEmulator::open_session(const std::string& principal, const std::string& account,
                                                  const std::string& permission_set_arn) {
  auto session = impl_->state.open_session(principal, account, permission_set_arn);
  if (!session) return fail(session_error(session.error()));
  return *session;
}
Result<SessionVerdict> AwsEmulator::session_allowed(const std::string& id,
                                                    std::optional<std::chrono::system_clock::time_point> at) {
  auto verdict = impl_->state.session_allowed(id, at);
  if (!verdict) return fail(session_error(verdict.error()));
  return *verdict;
}
std::optional<std::string> AwsEmulator::inline_policy(const std::string& arn) const { return impl_->state.inline_policy(arn); }
std::optional<std::string> AwsEmulator::provisioned_policy(const std::string& arn, const std::string& account) const {
  return impl_->state.provisioned_policy(arn, account);
}
nlohmann::json AwsEmulator::permission_sets() const { return impl_->state.permission_sets(); }

Result<> AwsEmulator::seed_iam(const nlohmann::json& seed) {
  auto parsed = parse_iam_seed(seed);
  if (!parsed) return fail(Error::Invalid(parsed.error()));
  if (auto ok = impl_->iam.seed(*parsed); !ok) return fail(Error::Invalid(ok.error()));
  return {};
}
nlohmann::json AwsEmulator::iam() const { return impl_->iam.snapshot(); }
Result<SessionVerdict> AwsEmulator::role_session_allowed(const std::string& access_key_id,
                                                         std::optional<std::chrono::system_clock::time_point> at) {
  auto verdict = impl_->iam.role_session_allowed(access_key_id, at);
  if (!verdict) return fail(session_error(verdict.error()));
  return *verdict;
}
void AwsEmulator::set_clock_offset(std::chrono::milliseconds offset) { impl_->clock_offset_ms = offset.count(); }

void AwsEmulator::stop() {
  if (impl_ && impl_->server) impl_->server->stop();
  if (impl_) impl_->scheduler.stop_firing();
}

}  // namespace jit::emulators
