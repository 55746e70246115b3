// parse_socket_message (every WebSocket message from Slack, on the socket's I/O thread): any text
// gives a message or nullopt, and nothing throws. An envelope's payload then goes through the pure
// readers the inbound handler uses: the command text through parse_command, a view through the
// modal readers (slack/modal.h).
#include "fuzz_support.h"
#include "slack/command.h"
#include "slack/json_fields.h"
#include "slack/modal.h"
#include "slack/socket_mode.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jit;
  const auto message = slack::parse_socket_message(fuzz::as_text(data, size));
  if (!message || !message->envelope) return 0;
  fuzz::check(message->type.empty() && message->reason.empty(), "an envelope is not also a control message");
  const auto& payload = message->envelope->payload;
  (void)slack::parse_command(slack::string_at(payload, {"text"}));
  if (const auto* view = slack::member(payload, "view")) {
    (void)slack::choice_of(*view);
    (void)slack::read_submission(*view);
    (void)slack::read_deny_submission(*view);
  }
  return 0;
}
