// What no well-behaved Slack sends, for the adversarial tests: envelopes of any shape, replays of
// an envelope already delivered, raw WebSocket messages, tampered views.
#include <fmt/format.h>

#include "emulators/slack/slack_emulator.h"
#include "emulators/slack/slack_emulator_impl.h"

namespace jit::emulators {

using nlohmann::json;

std::string SlackEmulator::send_envelope(const std::string& type, json payload, bool accepts_response_payload) {
  auto& s = *impl_;
  std::lock_guard lock(s.mutex);
  return s.create_envelope(type, std::move(payload), accepts_response_payload);
}

Result<void> SlackEmulator::redeliver(const std::string& envelope_id) {
  auto& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    const auto it = s.envelope_index.find(envelope_id);
    if (it == s.envelope_index.end()) return fail(Error::NotFound(fmt::format("no envelope {}", envelope_id)));
    Impl::Envelope& e = s.envelopes[it->second];
    const auto before = e.connection;
    s.deliver(e, SteadyClock::now());  // the record of the first ack stays; a later ack counts in `acks`
    if (!e.connection) {
      e.connection = before;
      return fail(Error::Unavailable("no open Socket Mode connection to replay it on"));
    }
  }
  s.changed();
  return {};
}

int SlackEmulator::send_raw(const std::string& text, std::optional<int> connection) {
  auto& s = *impl_;
  int sent = 0;
  {
    std::lock_guard lock(s.mutex);
    for (auto* c : s.targets(connection))
      if (c->socket->send_text(text)) ++sent;
  }
  s.changed();
  return sent;
}

Result<void> SlackEmulator::tamper_view(const std::string& user, const std::string& view_id,
                                        const std::string& private_metadata) {
  auto& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    auto* view = s.workspace.find_view(view_id);
    if (!view || view->user != user) return fail(Error::NotFound(fmt::format("{} has no open view {}", user, view_id)));
    view->view["private_metadata"] = private_metadata;
  }
  s.changed();
  return {};
}

}  // namespace jit::emulators
