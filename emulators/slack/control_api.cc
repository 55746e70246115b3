// The control API under /_emulator/: SlackEmulator's public methods as unauthenticated JSON over
// HTTP (see README.md). Bad input is a 400 whose message names the field.
#include <fmt/format.h>

#include <cstdlib>
#include <functional>

#include "net/http.h"
#include "emulators/slack/slack_emulator_impl.h"

namespace jit::emulators {

using nlohmann::json;

namespace {

net::HttpResponse reply(int status, const json& body) {
  return {status, {{"Content-Type", "application/json"}}, body.dump() + "\n"};
}

net::HttpResponse bad(const std::string& message) { return reply(400, {{"error", message}}); }

net::HttpResponse from_error(const Error& e) {
  return reply(e.code == Errc::not_found ? 404 : e.code == Errc::invalid ? 400 : 500, {{"error", e.message}});
}

// Reads the fields of a JSON request body, collecting the first problem.
class Body {
 public:
  explicit Body(const std::string& text) : json_(text.empty() ? json::object() : json::parse(text, nullptr, false)) {
    if (!json_.is_object()) problem_ = "the body must be a JSON object";
  }
  std::string text(const char* field, bool required = true) {
    const auto it = json_.is_object() ? json_.find(field) : json_.end();
    if (it == json_.end() || it->is_null()) {
      if (required) note(fmt::format("'{}' is required (a non-empty string)", field));
      return "";
    }
    if (!it->is_string() || (required && it->get<std::string>().empty())) {
      note(fmt::format("'{}' must be a non-empty string", field));
      return "";
    }
    return it->get<std::string>();
  }
  std::optional<long long> integer(const char* field, long long min, long long max) {
    const auto it = json_.is_object() ? json_.find(field) : json_.end();
    if (it == json_.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer() || it->get<long long>() < min || it->get<long long>() > max) {
      note(fmt::format("'{}' must be an integer from {} to {}", field, min, max));
      return std::nullopt;
    }
    return it->get<long long>();
  }
  std::optional<bool> boolean(const char* field) {
    const auto it = json_.is_object() ? json_.find(field) : json_.end();
    if (it == json_.end() || !it->is_boolean()) {
      note(fmt::format("'{}' is required (true or false)", field));
      return std::nullopt;
    }
    return it->get<bool>();
  }
  std::map<std::string, std::string> strings(const char* field) {
    std::map<std::string, std::string> out;
    const auto it = json_.is_object() ? json_.find(field) : json_.end();
    if (it == json_.end() || !it->is_object()) {
      note(fmt::format("'{}' is required (an object of block_id to value)", field));
      return out;
    }
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) note(fmt::format("'{}.{}' must be a string", field, k));
      else out[k] = v.get<std::string>();
    }
    return out;
  }
  // Any JSON value (null when absent).
  json value(const char* field) const {
    const auto it = json_.is_object() ? json_.find(field) : json_.end();
    return it == json_.end() ? json() : *it;
  }
  const std::string& problem() const { return problem_; }

 private:
  void note(std::string p) {
    if (problem_.empty()) problem_ = std::move(p);
  }
  json json_;
  std::string problem_;
};

net::HttpResponse envelope_or_error(const Result<std::string>& id) {
  if (!id) return from_error(id.error());
  return reply(200, {{"envelope_id", *id}});
}

net::HttpResponse ok_or_error(const Result<void>& done) {
  return done ? reply(200, {{"ok", true}}) : from_error(done.error());
}

}  // namespace

net::HttpResponse control_api(SlackEmulator& emulator, const net::HttpRequest& request, std::string_view path) {
  const auto q = request.target.find('?');
  const auto query = net::parse_form(q == std::string::npos ? "" : std::string_view(request.target).substr(q + 1));
  auto query_field = [&](const char* name) -> std::optional<std::string> {
    const auto it = query.find(name);
    if (it == query.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  const std::string& m = request.method;
  if (m == "GET") {
    if (path == "messages") {
      auto channel = query_field("channel");
      return channel ? reply(200, emulator.messages(*channel)) : bad("'channel' query parameter is required");
    }
    if (path == "dm") {
      auto user = query_field("user");
      return user ? reply(200, emulator.dm(*user)) : bad("'user' query parameter is required");
    }
    if (path == "views") {
      auto user = query_field("user");
      return user ? reply(200, emulator.views(*user)) : bad("'user' query parameter is required");
    }
    if (path == "home") {
      auto user = query_field("user");
      return user ? reply(200, emulator.home(*user)) : bad("'user' query parameter is required");
    }
    if (path == "envelopes") return reply(200, emulator.envelopes());
    if (path == "connections") return reply(200, emulator.connections());
    if (path == "calls") return reply(200, emulator.calls());
    if (path == "call_counts") return reply(200, emulator.call_counts());
    if (path == "wait") {
      // Long poll: answers once the state's version differs from `version` (at once without one).
      const auto version = query_field("version");
      const auto timeout = query_field("timeout_ms");
      char* end = nullptr;
      const unsigned long long seen = version ? std::strtoull(version->c_str(), &end, 10) : 0;
      if (version && (end == version->c_str() || *end != '\0'))
        return bad("'version' must be a number from an earlier /wait answer");
      const long long wait_ms = timeout ? std::strtoll(timeout->c_str(), &end, 10) : 10000;
      if (timeout && (end == timeout->c_str() || *end != '\0' || wait_ms < 0 || wait_ms > 60000))
        return bad("'timeout_ms' must be an integer from 0 to 60000");
      if (!version) return reply(200, {{"version", emulator.version()}});
      return reply(200, {{"version", emulator.wait_change(seen, std::chrono::milliseconds(wait_ms))}});
    }
  }
  if (m == "POST") {
    Body body(request.body);
    if (path == "slash") {
      const auto user = body.text("user"), text = body.text("text", false), channel = body.text("channel", false);
      if (!body.problem().empty()) return bad(body.problem());
      return reply(200, {{"envelope_id", emulator.slash_command(user, text, channel.empty() ? "C0GENERAL" : channel)}});
    }
    if (path == "click") {
      const auto user = body.text("user"), channel = body.text("channel"), ts = body.text("ts"),
                 action = body.text("action_id");
      const json value = body.value("value");
      if (body.problem().empty() && !value.is_null() && !value.is_string()) return bad("'value' must be a string");
      if (!body.problem().empty()) return bad(body.problem());
      // With a value: a stale or forged click, whatever the message shows now.
      if (value.is_string()) return reply(200, {{"envelope_id", emulator.click_with_value(user, channel, ts, action, value)}});
      return envelope_or_error(emulator.click(user, channel, ts, action));
    }
    if (path == "home_opened") {
      const auto user = body.text("user"), tab = body.text("tab", false);
      if (!body.problem().empty()) return bad(body.problem());
      if (!tab.empty() && tab != "home" && tab != "messages") return bad("'tab' must be \"home\" or \"messages\"");
      return reply(200, {{"envelope_id", emulator.open_home(user, tab.empty() ? "home" : tab)}});
    }
    if (path == "home_click") {
      // {"user", "action_id", "value"}: the button with that value in the user's Home; with
      // "forge": true, a click carrying the value whatever their Home shows.
      const auto user = body.text("user"), action = body.text("action_id"), value = body.text("value", false);
      const json forge = body.value("forge");
      if (!body.problem().empty()) return bad(body.problem());
      if (forge.is_boolean() && forge.get<bool>())
        return reply(200, {{"envelope_id", emulator.click_home_with_value(user, action, value)}});
      return envelope_or_error(emulator.click_home(user, action, value));
    }
    if (path == "envelope") {
      const auto type = body.text("type", false);
      const json accepts = body.value("accepts_response_payload");
      if (!body.problem().empty()) return bad(body.problem());
      return reply(200, {{"envelope_id", emulator.send_envelope(type, body.value("payload"), accepts.is_boolean() && accepts.get<bool>())}});
    }
    if (path == "redeliver") {
      const auto id = body.text("envelope_id");
      if (!body.problem().empty()) return bad(body.problem());
      auto done = emulator.redeliver(id);
      return done ? reply(200, {{"ok", true}}) : from_error(done.error());
    }
    if (path == "raw") {
      const auto text = body.text("text", false);
      const auto repeat = body.integer("repeat", 1, 64 << 20);
      const auto id = body.integer("connection", 1, 1 << 30);
      if (!body.problem().empty()) return bad(body.problem());
      std::string message;
      for (long long k = 0; k < repeat.value_or(1); ++k) message += text;
      const auto which = id ? std::optional<int>(static_cast<int>(*id)) : std::nullopt;
      return reply(200, {{"sent", emulator.send_raw(message, which)}});
    }
    if (path == "tamper_view") {
      const auto user = body.text("user"), view = body.text("view_id"), metadata = body.text("private_metadata", false);
      if (!body.problem().empty()) return bad(body.problem());
      auto done = emulator.tamper_view(user, view, metadata);
      return done ? reply(200, {{"ok", true}}) : from_error(done.error());
    }
    if (path == "select") {
      const auto user = body.text("user"), view = body.text("view_id"), block = body.text("block_id"),
                 action = body.text("action_id", false), value = body.text("value");
      if (!body.problem().empty()) return bad(body.problem());
      return envelope_or_error(emulator.select_in_view(user, view, block, action, value));
    }
    if (path == "submit") {
      const auto user = body.text("user"), view = body.text("view_id");
      const auto values = body.strings("values");
      const auto wait_ms = body.integer("wait_ms", 0, 60000);
      if (!body.problem().empty()) return bad(body.problem());
      auto outcome = emulator.submit_view(user, view, values, std::chrono::milliseconds(wait_ms.value_or(3000)));
      return outcome ? reply(200, *outcome) : from_error(outcome.error());
    }
    if (path == "user") {
      // {"user": id, <field>: <value>, …}: the fields SlackEmulator::update_user changes.
      const auto user = body.text("user");
      if (!body.problem().empty()) return bad(body.problem());
      json changes = json::parse(request.body);
      changes.erase("user");
      return ok_or_error(emulator.update_user(user, changes));
    }
    if (path == "usergroup") {
      // {"usergroup": id, "enabled": bool} or {"usergroup": id, "deleted": true}.
      const auto usergroup = body.text("usergroup");
      const json fields = json::parse(request.body, nullptr, false);
      const bool deleted = fields.is_object() && fields.contains("deleted") && fields["deleted"] == true;
      const auto enabled = deleted ? std::optional<bool>() : body.boolean("enabled");
      if (!body.problem().empty()) return bad(body.problem());
      return ok_or_error(deleted ? emulator.delete_usergroup(usergroup)
                                 : emulator.set_usergroup_enabled(usergroup, *enabled));
    }
    // A fault switch: the fields read above, then `act`, then {"ok":true}.
    auto apply = [&](const std::function<void()>& act) {
      if (!body.problem().empty()) return bad(body.problem());
      act();
      return reply(200, {{"ok", true}});
    };
    auto connection = [&]() -> std::optional<int> {
      const auto id = body.integer("connection", 1, 1 << 30);
      return id ? std::optional<int>(static_cast<int>(*id)) : std::nullopt;
    };
    if (path == "disconnect") {
      const auto reason = body.text("reason");
      const auto which = connection();
      return apply([&] { emulator.disconnect(reason, which); });
    }
    if (path == "drop") {
      const auto which = connection();
      return apply([&] { emulator.drop(which); });
    }
    if (path == "link") {
      const auto enabled = body.boolean("enabled");
      return apply([&] { emulator.set_link_enabled(enabled.value_or(true)); });
    }
    if (path == "down") {
      const auto down = body.boolean("down");
      return apply([&] { emulator.set_down(down.value_or(false)); });
    }
    if (path == "ratelimit") {
      const auto method = body.text("method");
      const auto count = body.integer("count", 1, 1000000);
      const auto retry_after = body.integer("retry_after", 0, 3600);
      if (body.problem().empty() && !count) return bad("'count' is required (an integer from 1 to 1000000)");
      return apply([&] { emulator.rate_limit(method, static_cast<int>(count.value_or(0)), static_cast<int>(retry_after.value_or(1))); });
    }
  }
  return reply(404, {{"error", fmt::format("no control endpoint {} /_emulator/{}; see emulators/slack/README.md", m,
                                           std::string(path))}});
}

}  // namespace jit::emulators
