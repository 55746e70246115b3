// SlackEmulator: the Web API front (tokens, rate limits, outages), Socket Mode (tickets, hello,
// envelopes, acks, retries, pings, disconnects) and the user actions that create envelopes.
#include "emulators/slack/slack_emulator.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "emulators/slack/block_kit.h"
#include "net/http.h"
#include "emulators/slack/slack_emulator_impl.h"

namespace jit::emulators {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view kApiPrefix = "/api/";
constexpr std::string_view kControlPrefix = "/_emulator/";
constexpr int kMaxRetries = 3;  // Slack redelivers an unacked envelope up to three times

const std::set<std::string, std::less<>> kMethods = {
    "auth.test",          "apps.connections.open", "chat.postMessage", "chat.update",
    "chat.postEphemeral", "chat.getPermalink",     "conversations.open", "views.open",
    "views.update",       "views.publish",         "users.info",         "usergroups.users.list"};

net::HttpResponse slack_answer(int status, const json& body, net::Headers headers = {}) {
  headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  return {status, std::move(headers), body.dump()};
}

std::string header(const net::HttpRequest& request, std::string_view name) {
  return net::HttpResponse{0, request.headers, ""}.header(name).value_or("");
}

// The call's arguments: query parameters, then the JSON or form body.
std::optional<json> call_arguments(const net::HttpRequest& request) {
  json args = json::object();
  if (const auto q = request.target.find('?'); q != std::string::npos)
    for (auto& [k, v] : net::parse_form(std::string_view(request.target).substr(q + 1))) args[k] = v;
  if (request.body.empty()) return args;
  if (header(request, "Content-Type").starts_with("application/json")) {
    json body = json::parse(request.body, nullptr, false);
    if (!body.is_object()) return std::nullopt;
    args.update(body);
  } else {
    for (auto& [k, v] : net::parse_form(request.body)) args[k] = v;
  }
  return args;
}

}  // namespace

SlackEmulator::Impl::Impl(SlackEmulatorOptions options_) : options(std::move(options_)), workspace(options) {}

long long SlackEmulator::Impl::ms_since_start(SteadyClock::time_point t) const {
  return std::chrono::duration_cast<milliseconds>(t - started).count();
}

std::string SlackEmulator::Impl::random_hex(int digits) {
  std::string out;
  while (static_cast<int>(out.size()) < digits) out += fmt::format("{:016x}", random());
  return out.substr(0, static_cast<std::size_t>(digits));
}

json SlackEmulator::Impl::user_json(const std::string& user) const {
  const auto* u = workspace.find_user(user);
  const std::string name = u ? u->name : user;
  return {{"id", user}, {"username", name}, {"name", name}, {"team_id", options.team_id}};
}

json SlackEmulator::Impl::team_json() const { return {{"id", options.team_id}, {"domain", slack_workspace::kDomain}}; }

void SlackEmulator::Impl::changed() {
  {
    std::lock_guard lock(change_mutex);
    ++version;
  }
  change_cv.notify_all();
}

bool SlackEmulator::Impl::wait(const std::function<bool()>& done, milliseconds timeout) const {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    std::uint64_t seen;
    {
      std::lock_guard lock(change_mutex);
      seen = version;
    }
    if (done()) return true;
    std::unique_lock lock(change_mutex);
    if (!change_cv.wait_until(lock, deadline, [&] { return version != seen; })) {
      lock.unlock();
      return done();
    }
  }
}

// ---- Web API ----

net::HttpResponse SlackEmulator::Impl::handle(const net::HttpRequest& request) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path.starts_with(kApiPrefix)) return web_api(request, path.substr(kApiPrefix.size()));
  return {404, {{"Content-Type", "text/plain"}},
          fmt::format("jit-slack-emulator: no {} {}; the Web API is under /api/, the control API under /_emulator/\n",
                      request.method, path)};
}

net::HttpResponse SlackEmulator::Impl::web_api(const net::HttpRequest& request, const std::string& method) {
  const auto now = SteadyClock::now();
  auto args = call_arguments(request);
  std::string token = header(request, "Authorization");
  token = token.starts_with("Bearer ") ? token.substr(7) : "";
  if (args && args->contains("token")) {
    if (token.empty() && (*args)["token"].is_string()) token = (*args)["token"].get<std::string>();
    args->erase("token");
  }
  std::lock_guard lock(mutex);
  Call call{method, false, "", 200, ms_since_start(now), args ? *args : json()};
  auto answer = [&](int status, json body, net::Headers headers = {}) {
    call.http_status = status;
    call.ok = body.value("ok", false);
    call.error = body.value("error", "");
    calls.push_back(call);
    changed();
    return slack_answer(status, body, std::move(headers));
  };
  if (down) return answer(503, {{"ok", false}, {"error", "service_unavailable"}}, {{"Connection", "close"}});
  if (!kMethods.contains(method)) return answer(200, {{"ok", false}, {"error", "unknown_method"}, {"req_method", method}});
  for (auto& limit : rate_limits) {
    if (limit.remaining <= 0 || (limit.method != "*" && limit.method != method)) continue;
    --limit.remaining;
    return answer(429, {{"ok", false}, {"error", "ratelimited"}}, {{"Retry-After", std::to_string(limit.retry_after_s)}});
  }
  if (!args) return answer(200, {{"ok", false}, {"error", "invalid_json"}});
  if (token.empty()) return answer(200, {{"ok", false}, {"error", "not_authed"}});
  const bool bot = token == options.bot_token, app = token == options.app_token;
  if (!bot && !app) return answer(200, {{"ok", false}, {"error", "invalid_auth"}});
  if (method == "auth.test") {
    json body{{"ok", true}, {"url", fmt::format("https://{}.slack.com/", slack_workspace::kDomain)},
              {"team", "JIT Emulator"},
              {"team_id", options.team_id}, {"is_enterprise_install", false}};
    if (bot) body.update({{"user", "jit"}, {"user_id", options.bot_user_id}, {"bot_id", "B" + options.app_id.substr(1)}});
    else body["app_id"] = options.app_id;
    return answer(200, body);
  }
  if ((method == "apps.connections.open") != app) return answer(200, {{"ok", false}, {"error", "not_allowed_token_type"}});
  if (method == "apps.connections.open") {
    if (!link_enabled) return answer(200, {{"ok", false}, {"error", "link_disabled"}});
    const std::string ticket = random_hex(32);
    tickets[ticket] = false;
    std::string base = server->url();  // "http://127.0.0.1:PORT"
    base.replace(0, 4, "ws");
    return answer(200, {{"ok", true}, {"url", fmt::format("{}/link/?ticket={}&app_id={}", base, ticket, options.app_id)}});
  }
  auto result = workspace.call(method, *args, now);
  if (!result) {
    json body{{"ok", false}, {"error", result.error().error}};
    if (!result.error().messages.empty()) body["response_metadata"] = {{"messages", result.error().messages}};
    return answer(200, body);
  }
  return answer(200, *result);
}

// ---- Socket Mode ----

Result<net::WebSocketCallbacks> SlackEmulator::Impl::accept(const net::HttpRequest& request,
                                                            const std::shared_ptr<net::WebSocket>& socket) {
  const auto q = request.target.find('?');
  const auto query = net::parse_form(q == std::string::npos ? "" : std::string_view(request.target).substr(q + 1));
  const auto ticket = query.find("ticket");
  int id = 0;
  {
    std::lock_guard lock(mutex);
    if (down) return fail(Error::Unavailable("the emulator is down"));
    if (!link_enabled) return fail(Error::Denied("link_disabled"));
    auto known = ticket == query.end() ? tickets.end() : tickets.find(ticket->second);
    if (known == tickets.end() || known->second)
      return fail(Error::Denied("invalid or used ticket: call apps.connections.open for a new URL"));
    known->second = true;
    const auto now = SteadyClock::now();
    Connection c;
    c.id = id = static_cast<int>(connections.size()) + 1;
    c.socket = socket;
    c.opened_at = c.last_ping = now;
    const auto open = 1 + std::count_if(connections.begin(), connections.end(),
                                        [](const auto& x) { return x.open && !x.closing; });
    if (open > options.max_connections) {
      // Over Slack's limit: refused in Slack's words, then closed.
      c.closing = true;
      c.hello_sent = false;
      c.disconnect_sent = now;
      c.disconnect_reason = "too_many_websockets";
      connections.push_back(c);
      (void)socket->send_text(json{{"type", "disconnect"}, {"reason", "too_many_websockets"},
                                   {"debug_info", {{"host", "emulator"}}}}.dump());
      socket->close(1000, "too_many_websockets");
      changed();
      return net::WebSocketCallbacks{.on_text = [](std::string) {},
                                     .on_closed = [this, id](const net::WebSocketClosed& how) { on_closed(id, how); }};
    }
    connections.push_back(c);
    (void)socket->send_text(json{{"type", "hello"},
                                 {"num_connections", open},
                                 {"debug_info", {{"host", "emulator"}, {"approximate_connection_time", 18060}}},
                                 {"connection_info", {{"app_id", options.app_id}}}}
                                .dump());
    connections.back().hello_sent = true;
    deliver_queued(now);
  }
  changed();
  return net::WebSocketCallbacks{
      .on_text = [this, id](std::string text) { on_client_message(id, text); },
      .on_closed = [this, id](const net::WebSocketClosed& how) { on_closed(id, how); }};
}

void SlackEmulator::Impl::on_client_message(int connection, const std::string& text) {
  const auto now = SteadyClock::now();
  const json message = json::parse(text, nullptr, false);
  if (!message.is_object() || !message.contains("envelope_id") || !message["envelope_id"].is_string()) return;
  {
    std::lock_guard lock(mutex);
    const auto it = envelope_index.find(message["envelope_id"].get<std::string>());
    if (it == envelope_index.end()) return;
    Envelope& e = envelopes[it->second];
    ++e.acks;
    if (e.acked) {
      changed();  // a redelivery acked again
      return;
    }
    e.acked = true;
    e.connection = connection;
    if (e.delivered_at) e.ack_latency_ms = std::chrono::duration_cast<milliseconds>(now - *e.delivered_at).count();
    if (message.contains("payload")) e.ack_payload = message["payload"];
    // A slash command's answer in the ack: Slack shows it to the user as the command's reply.
    if (e.type == "slash_commands" && e.ack_payload.is_object()) {
      if (auto shown = workspace.respond_to_command(e.payload, e.ack_payload); !shown)
        e.ack_payload_error = shown.error().error;
    }
    if (!e.view_id.empty()) {
      const json& p = e.ack_payload;
      const std::string action = p.is_object() ? p.value("response_action", "") : "";
      auto* view = workspace.find_view(e.view_id);
      if (view && action == "update" && p.contains("view") && p["view"].is_object())
        (void)workspace.replace_view(*view, p["view"]);
      else if (view && action != "errors" && action != "push" && action != "update")
        workspace.close_view(e.view_id);
    }
  }
  changed();
}

void SlackEmulator::Impl::on_closed(int connection, const net::WebSocketClosed& how) {
  {
    std::lock_guard lock(mutex);
    Connection& c = connections.at(static_cast<std::size_t>(connection - 1));
    c.open = false;
    c.closed_at = SteadyClock::now();
    c.close_code = how.code;
  }
  changed();
}

std::string SlackEmulator::Impl::create_envelope(const std::string& type, json payload, bool accepts_response_payload,
                                                 const std::string& view_id) {
  const std::string h = random_hex(32);
  Envelope e;
  e.id = fmt::format("{}-{}-4{}-a{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 3), h.substr(15, 3), h.substr(18, 12));
  e.type = type;
  e.payload = std::move(payload);
  e.accepts_response_payload = accepts_response_payload;
  e.view_id = view_id;
  envelope_index[e.id] = envelopes.size();
  envelopes.push_back(std::move(e));
  deliver(envelopes.back(), SteadyClock::now());
  changed();
  return envelopes.back().id;
}

void SlackEmulator::Impl::deliver(Envelope& e, SteadyClock::time_point now) {
  e.connection.reset();
  if (down || !link_enabled) return;
  std::vector<Connection*> ready;
  for (auto& c : connections)
    if (c.open && c.hello_sent && !c.closing && !c.disconnect_sent) ready.push_back(&c);
  if (ready.empty()) return;  // queued until a connection opens
  Connection& c = *ready[round_robin++ % ready.size()];
  json message{{"envelope_id", e.id},
               {"type", e.type},
               {"payload", e.payload},
               {"accepts_response_payload", e.accepts_response_payload},
               {"retry_attempt", e.retry_attempt},
               {"retry_reason", e.retry_reason}};
  if (!c.socket->send_text(message.dump())) return;
  e.connection = c.id;
  e.delivered_at = now;
}

void SlackEmulator::Impl::deliver_queued(SteadyClock::time_point now) {
  for (auto& e : envelopes)
    if (!e.acked && !e.connection) deliver(e, now);
}

void SlackEmulator::Impl::tick(SteadyClock::time_point now) {
  bool any = false;
  for (auto& c : connections) {
    if (!c.open) continue;
    if (now - c.last_ping >= options.ping_interval) {
      (void)c.socket->ping("emulator");
      c.last_ping = now;
    }
    if (c.disconnect_sent && !c.closing && now - *c.disconnect_sent >= options.disconnect_grace) {
      c.closing = true;
      c.socket->close(1000, "disconnect grace over");
      any = true;
    }
  }
  for (auto& e : envelopes) {
    if (e.acked || !e.connection || !e.delivered_at || now - *e.delivered_at < options.retry_unacked_after) continue;
    if (e.retry_attempt >= kMaxRetries) continue;  // Slack gives up
    ++e.retry_attempt;
    e.retry_reason = "timeout";
    deliver(e, now);
    any = true;
  }
  const bool queued = std::any_of(envelopes.begin(), envelopes.end(), [](const auto& e) { return !e.acked && !e.connection; });
  if (queued) deliver_queued(now);
  if (any) changed();
}

std::vector<SlackEmulator::Impl::Connection*> SlackEmulator::Impl::targets(std::optional<int> connection) {
  std::vector<Connection*> out;
  for (auto& c : connections)
    if (c.open && !c.closing && (!connection || *connection == c.id)) out.push_back(&c);
  return out;
}

// ---- SlackEmulator ----

Result<std::unique_ptr<SlackEmulator>> SlackEmulator::start(SlackEmulatorOptions options) {
  if (options.address != "127.0.0.1" && options.address != "::1" && !options.address.starts_with("127."))
    return fail(Error::Invalid(fmt::format(
        "slack emulator: address '{}' is not loopback; the control API is unauthenticated, so bind 127.0.0.1 or ::1",
        options.address)));
  if (options.bot_token.empty() || options.app_token.empty() || options.bot_token == options.app_token)
    return fail(Error::Invalid("slack emulator: bot_token and app_token must be set and differ"));
  for (auto d : {options.ping_interval, options.retry_unacked_after, options.trigger_ttl, options.disconnect_grace})
    if (d.count() <= 0) return fail(Error::Invalid("slack emulator: intervals and timeouts must be positive"));
  auto impl = std::make_unique<Impl>(std::move(options));
  Impl* raw = impl.get();
  net::ServerOptions server_options;
  server_options.address = raw->options.address;
  server_options.port = raw->options.port;
  server_options.threads = std::max(1, raw->options.threads);
  for (const char* path : {"/link/", "/link"})
    server_options.websocket_routes[path] = [raw](const net::HttpRequest& r, const std::shared_ptr<net::WebSocket>& s) {
      return raw->accept(r, s);
    };
  SlackEmulator* emulator = nullptr;  // set below, before the server can call back
  auto self = std::unique_ptr<SlackEmulator>(new SlackEmulator(std::move(impl)));
  emulator = self.get();
  auto server = net::HttpServer::start(server_options, [raw, emulator](const net::HttpRequest& r) {
    const std::string path = r.target.substr(0, r.target.find('?'));
    if (path.starts_with(kControlPrefix)) return control_api(*emulator, r, std::string_view(path).substr(kControlPrefix.size()));
    return raw->handle(r);
  });
  if (!server) return fail(server.error());
  raw->server = std::move(*server);
  const auto tick_every = std::clamp(std::min({raw->options.ping_interval, raw->options.retry_unacked_after,
                                               raw->options.disconnect_grace}) / 10,
                                     milliseconds(5), milliseconds(100));
  raw->ticker = std::thread([raw, tick_every] {
    std::unique_lock lock(raw->mutex);
    while (!raw->stopping) {
      raw->tick(SteadyClock::now());
      raw->ticker_cv.wait_for(lock, tick_every);
    }
  });
  return self;
}

SlackEmulator::SlackEmulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SlackEmulator::~SlackEmulator() { stop(); }

void SlackEmulator::stop() {
  if (impl_->server) impl_->server->stop();  // ends the sockets: on_closed takes the mutex
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->ticker_cv.notify_all();
  if (impl_->ticker.joinable()) impl_->ticker.join();
}

std::string SlackEmulator::url() const { return impl_->server->url(); }
std::string SlackEmulator::api_url() const { return url() + std::string(kApiPrefix); }
std::uint16_t SlackEmulator::port() const { return impl_->server->port(); }
const SlackEmulatorOptions& SlackEmulator::options() const { return impl_->options; }

bool SlackEmulator::wait_for(std::function<bool(const SlackEmulator&)> predicate, milliseconds timeout) const {
  return impl_->wait([&] { return predicate(*this); }, timeout);
}

std::uint64_t SlackEmulator::version() const {
  std::lock_guard lock(impl_->change_mutex);
  return impl_->version;
}

std::uint64_t SlackEmulator::wait_change(std::uint64_t seen, milliseconds timeout) const {
  impl_->wait([&] { return version() != seen; }, timeout);
  return version();
}

}  // namespace jit::emulators
