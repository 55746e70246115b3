// Taking apart what arrives on a Socket Mode WebSocket (pure: no I/O), apart from the client so
// the fuzz targets build it without the network layer.
#include <nlohmann/json.hpp>

#include "slack/json_fields.h"
#include "slack/socket_mode.h"

namespace jit::slack {

std::string envelope_kind(const Envelope& envelope) {
  if (envelope.type == "interactive") {
    if (auto kind = string_at(envelope.payload, {"type"}); !kind.empty()) return kind;
    return "interactive";
  }
  return envelope.type;
}

std::optional<SocketMessage> parse_socket_message(std::string_view text) {
  auto message = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!message.is_object()) return std::nullopt;
  SocketMessage out;
  if (const auto id = message.find("envelope_id"); id != message.end() && id->is_string()) {
    Envelope& envelope = out.envelope.emplace();
    envelope.envelope_id = id->get<std::string>();
    envelope.type = string_at(message, {"type"});
    if (const auto payload = message.find("payload"); payload != message.end()) envelope.payload = std::move(*payload);
    if (const auto accepts = message.find("accepts_response_payload"); accepts != message.end() && accepts->is_boolean())
      envelope.accepts_response_payload = accepts->get<bool>();
    if (const auto retry = message.find("retry_attempt"); retry != message.end() && retry->is_number_integer())
      envelope.retry_attempt = retry->get<int>();
    envelope.retry_reason = string_at(message, {"retry_reason"});
    return out;
  }
  out.type = string_at(message, {"type"});
  out.reason = string_at(message, {"reason"});
  if (const auto n = message.find("num_connections"); n != message.end() && n->is_number_integer())
    out.num_connections = n->get<int>();
  return out;
}

}  // namespace jit::slack
