// WebSocket frames (RFC 6455) as our sockets read them (net/websocket.cc: Beast's stream with
// read_message_max), the server role: a fixed upgrade request, then the fuzzer's bytes as what the
// peer sends (masked frames, fragments, control frames, close). Messages are read until the
// stream fails or closes; none may outgrow read_message_max, and nothing may crash or hang.
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/websocket.hpp>

#include "fuzz_support.h"
#include "net/asio.h"

namespace {

namespace beast = jit::net::detail::beast;
namespace asio = jit::net::detail::asio;
namespace websocket = boost::beast::websocket;

constexpr std::size_t kMaxMessage = 16 * 1024;  // small, so the fuzzer reaches the limit

constexpr std::string_view kUpgrade =
    "GET /link HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  asio::io_context io;
  beast::test::stream peer(io), ours(io);
  peer.connect(ours);
  ours.append(beast::string_view(kUpgrade.data(), kUpgrade.size()));  // Beast 1.74: boost::string_view
  ours.append(beast::string_view(reinterpret_cast<const char*>(data), size));
  peer.close();  // after its bytes the peer is gone: reads end instead of waiting

  websocket::stream<beast::test::stream&> ws(ours);
  ws.read_message_max(kMaxMessage);
  beast::error_code ec;
  ws.accept(ec);
  jit::fuzz::check(!ec, "the fixed upgrade request is accepted");
  for (int messages = 0; messages < 1000; ++messages) {
    beast::flat_buffer buffer;
    ws.read(buffer, ec);
    if (ec) break;
    jit::fuzz::check(buffer.size() <= kMaxMessage, "a message is within read_message_max");
  }
  return 0;
}
