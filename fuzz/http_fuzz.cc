// HTTP as jit reads it from the outside. The first byte picks the parser, the rest is its input:
//   0: Endpoint::parse (AWS_ENDPOINT_URL_*, Slack and proxy URLs from the environment);
//   1: parse_form and percent_decode (form bodies the emulators and the ops server read);
//   2: an HTTP/1.1 response read with the settings of the client (net/https_client.cc
//      exchange_on: header_limit 64 KiB, body_limit), then HttpResponse::header;
//   3: an HTTP/1.1 request read with the settings of the server (net/http_server.cc: body_limit).
// Beast does the wire parsing; this target holds it to the limits we give it.
#include <boost/beast/_experimental/test/stream.hpp>

#include "fuzz_support.h"
#include "net/asio.h"
#include "net/http.h"

namespace {

using namespace jit;
namespace beast = net::detail::beast;
namespace http = net::detail::http;
namespace asio = net::detail::asio;

constexpr std::size_t kMaxBody = 64 * 1024;  // small, so the fuzzer reaches the limit

template <class Parser>
void read_all(Parser& parser, std::string_view wire) {
  asio::io_context io;
  beast::test::stream stream(io, beast::string_view(wire.data(), wire.size()));  // Beast 1.74: boost::string_view
  stream.close_remote();  // the peer sends `wire`, then closes
  beast::flat_buffer buffer;
  beast::error_code ec;
  http::read_header(stream, buffer, parser, ec);
  if (!ec && parser.content_length() && *parser.content_length() > kMaxBody) return;  // as the client refuses it
  if (!ec && !parser.is_done()) http::read(stream, buffer, parser, ec);
  if (ec) return;
  fuzz::check(parser.is_done(), "a message read without error is complete");
  fuzz::check(parser.get().body().size() <= kMaxBody, "the body is within body_limit");
}

void response(std::string_view wire) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  parser.header_limit(64 * 1024);
  read_all(parser, wire);
  if (!parser.is_done()) return;
  net::HttpResponse out;
  auto message = parser.release();
  out.status = message.result_int();
  for (const auto& field : message) out.headers.emplace_back(field.name_string(), field.value());
  out.body = std::move(message.body());
  (void)out.header("content-type");
  (void)out.header("Retry-After");
}

void request(std::string_view wire) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  read_all(parser, wire);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto input = fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      if (auto endpoint = net::Endpoint::parse(input)) {
        fuzz::check(endpoint->scheme == "https" || endpoint->is_loopback(), "plain http only for loopback hosts");
        fuzz::check(endpoint->port != 0, "a parsed endpoint has a port");
        auto again = net::Endpoint::parse(endpoint->to_string());
        fuzz::check(again && again->to_string() == endpoint->to_string(), "an endpoint's text parses back to it");
        (void)endpoint->is_metadata_address();
      }
      break;
    case 1: {
      (void)net::parse_form(input);
      const auto decoded = net::percent_decode(input, false);
      fuzz::check(decoded.size() <= input.size(), "decoding never lengthens");
      fuzz::check(net::percent_decode(net::percent_encode(input), false) == input, "decode undoes encode");
      break;
    }
    case 2: response(input); break;
    case 3: request(input); break;
  }
  return 0;
}
