// parse_socket_message (every WebSocket message from Slack, on the socket's I/O thread): any text
// gives a message or nullopt; an envelope always has its id; nothing throws.
#include "fuzz_support.h"
#include "slack/socket_mode.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jit;
  const auto message = slack::parse_socket_message(fuzz::as_text(data, size));
  if (message && message->envelope)
    fuzz::check(message->type.empty() && message->reason.empty(), "an envelope is not also a control message");
  return 0;
}
