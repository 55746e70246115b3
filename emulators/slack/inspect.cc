// SlackEmulator's state as JSON for tests, and the faults they inject.
#include <fmt/format.h>

#include <functional>

#include "emulators/slack/slack_emulator.h"
#include "emulators/slack/slack_emulator_impl.h"

namespace jit::emulators {

using nlohmann::json;

json SlackEmulator::messages(const std::string& channel) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->workspace.messages_json(channel);
}

json SlackEmulator::dm(const std::string& user) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->workspace.messages_json(user);  // a U… id reads that user's DM
}

json SlackEmulator::views(const std::string& user) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->workspace.views_json(user);
}

json SlackEmulator::envelopes() const {
  const auto& s = *impl_;
  std::lock_guard lock(s.mutex);
  json out = json::array();
  for (const auto& e : s.envelopes)
    out.push_back({{"envelope_id", e.id},
                   {"type", e.type},
                   {"connection", e.connection ? json(*e.connection) : json()},
                   {"delivered_at_ms", e.delivered_at ? json(s.ms_since_start(*e.delivered_at)) : json()},
                   {"acked", e.acked},
                   {"ack_latency_ms", e.ack_latency_ms ? json(*e.ack_latency_ms) : json()},
                   {"retry_attempt", e.retry_attempt},
                   {"acks", e.acks},
                   {"ack_payload", e.ack_payload},
                   {"ack_payload_error", e.ack_payload_error},
                   {"payload", e.payload}});
  return out;
}

json SlackEmulator::connections() const {
  const auto& s = *impl_;
  std::lock_guard lock(s.mutex);
  json out = json::array();
  for (const auto& c : s.connections) {
    json j{{"id", c.id}, {"open", c.open}, {"opened_at_ms", s.ms_since_start(c.opened_at)}, {"hello_sent", c.hello_sent}};
    if (c.closed_at) {
      j["closed_at_ms"] = s.ms_since_start(*c.closed_at);
      j["close_code"] = c.close_code;
    }
    if (c.disconnect_sent) j["disconnect_sent"] = c.disconnect_reason;
    out.push_back(std::move(j));
  }
  return out;
}

json SlackEmulator::calls() const {
  std::lock_guard lock(impl_->mutex);
  json out = json::array();
  for (const auto& c : impl_->calls)
    out.push_back({{"method", c.method}, {"ok", c.ok}, {"error", c.error}, {"http_status", c.http_status},
                   {"at_ms", c.at_ms}, {"args", c.args}});
  return out;
}

json SlackEmulator::call_counts() const {
  std::lock_guard lock(impl_->mutex);
  json out = json::object();
  for (const auto& c : impl_->calls) out[c.method] = out.value(c.method, 0) + 1;
  return out;
}

int SlackEmulator::connections_opened() const {
  std::lock_guard lock(impl_->mutex);
  return static_cast<int>(std::count_if(impl_->connections.begin(), impl_->connections.end(),
                                         [](const auto& c) { return c.hello_sent; }));
}

void SlackEmulator::disconnect(const std::string& reason, std::optional<int> connection) {
  {
    std::lock_guard lock(impl_->mutex);
    const auto now = SteadyClock::now();
    for (auto* c : impl_->targets(connection)) {
      (void)c->socket->send_text(json{{"type", "disconnect"}, {"reason", reason},
                                      {"debug_info", {{"host", "emulator"}}}}.dump());
      c->disconnect_sent = now;
      c->disconnect_reason = reason;
      if (reason == "link_disabled" || reason == "too_many_websockets") {
        c->closing = true;
        c->socket->close(1000, reason);
      }
    }
    if (reason == "link_disabled") impl_->link_enabled = false;
  }
  impl_->changed();
}

void SlackEmulator::set_link_enabled(bool enabled) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->link_enabled = enabled;
    if (enabled) impl_->deliver_queued(SteadyClock::now());
  }
  impl_->changed();
}

void SlackEmulator::drop(std::optional<int> connection) {
  {
    std::lock_guard lock(impl_->mutex);
    for (auto* c : impl_->targets(connection)) {
      c->closing = true;
      c->socket->abort();  // the TCP connection ends without a close frame, as when a network drops
    }
  }
  impl_->changed();
}

void SlackEmulator::rate_limit(const std::string& method, int count, int retry_after_s) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->rate_limits.push_back({method, count, retry_after_s});
  }
  impl_->changed();
}

void SlackEmulator::set_down(bool down) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->down = down;
    if (down) {
      for (auto* c : impl_->targets({})) {
        c->closing = true;
        c->socket->abort();
      }
    } else {
      impl_->deliver_queued(SteadyClock::now());
    }
  }
  impl_->changed();
}

namespace {
// Runs one change of the directory under the emulator's lock; bumps the version so waiters see it.
Result<void> change_directory(SlackEmulator::Impl& impl,
                              const std::function<Result<void>(slack_workspace::Workspace&)>& change) {
  Result<void> done;
  {
    std::lock_guard lock(impl.mutex);
    done = change(impl.workspace);
  }
  impl.changed();
  return done;
}
}  // namespace

Result<void> SlackEmulator::update_user(const std::string& user, const nlohmann::json& changes) {
  return change_directory(*impl_, [&](auto& w) { return w.update_user(user, changes); });
}

Result<void> SlackEmulator::set_usergroup_enabled(const std::string& usergroup, bool enabled) {
  return change_directory(*impl_, [&](auto& w) { return w.set_usergroup_enabled(usergroup, enabled); });
}

Result<void> SlackEmulator::delete_usergroup(const std::string& usergroup) {
  return change_directory(*impl_, [&](auto& w) { return w.delete_usergroup(usergroup); });
}

}  // namespace jit::emulators
