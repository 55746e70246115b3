#include "support/sigv4_request.h"

namespace jit::sigv4_suite {

std::expected<net::HttpRequest, std::string> parse_suite_request(std::string_view text) {
  std::size_t pos = 0;
  auto next_line = [&](std::string_view& line) {
    if (pos >= text.size()) return false;
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return true;
  };

  net::HttpRequest request;
  std::string_view line;
  if (!next_line(line)) return std::unexpected("empty request");
  const std::size_t first = line.find(' '), last = line.rfind(' ');
  if (first == std::string_view::npos || first == last)
    return std::unexpected("request line is not 'METHOD target VERSION'");
  request.method = line.substr(0, first);
  request.target = line.substr(first + 1, last - first - 1);

  while (next_line(line)) {
    if (line.empty()) {
      if (pos < text.size()) request.body = text.substr(pos);
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (request.headers.empty()) return std::unexpected("folded line before any header");
      const std::size_t start = line.find_first_not_of(" \t");
      if (start == std::string_view::npos) continue;  // whitespace alone adds nothing
      request.headers.back().second += ' ';
      request.headers.back().second += line.substr(start);
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::unexpected("header line without ':': " + std::string(line));
    request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return request;
}

}  // namespace jit::sigv4_suite
