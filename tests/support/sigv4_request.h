// The raw HTTP requests of AWS's SigV4 test suite (request.txt, header-signed-request.txt, ...),
// parsed into the signer's request type. Shared by the suite runner (tests/aws) and its fuzz target.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "net/http.h"

namespace jit::sigv4_suite {

// Parses the suite's format: a request line "METHOD target VERSION" (the target may hold spaces,
// as in get-space-normalized), header lines "Name:value" (value kept verbatim), a blank line, then
// the body (kept verbatim). Lines end in "\n" or "\r\n". A line starting with a space or tab
// continues the previous header's value (obsolete line folding, RFC 7230 3.2.4): the line break
// and the continuation's leading whitespace become one space, so
//   "My-Header1:value1\n  value2\n     value3" is one header "value1 value2 value3"
// (the official get-header-value-multiline case). On failure, says what is wrong with which line.
std::expected<net::HttpRequest, std::string> parse_suite_request(std::string_view text);

}  // namespace jit::sigv4_suite
