#include "core/user_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace jit::user_text {

namespace {

// Decodes the code point starting at text[i] and advances i past it; nullopt on invalid UTF-8.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  std::size_t extra = 0;
  char32_t cp = 0, min = 0;
  if ((lead & 0xE0) == 0xC0) extra = 1, cp = lead & 0x1F, min = 0x80;
  else if ((lead & 0xF0) == 0xE0) extra = 2, cp = lead & 0x0F, min = 0x800;
  else if ((lead & 0xF8) == 0xF0) extra = 3, cp = lead & 0x07, min = 0x10000;
  else return std::nullopt;
  if (text.size() - i <= extra) return std::nullopt;
  for (std::size_t k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  i += extra + 1;
  return cp;
}

bool is_space(char32_t c) {
  switch (c) {
    case U' ': case U'\t': case U'\n': case U'\v': case U'\f': case U'\r':
    case 0x85: case 0xA0: case 0x1680: case 0x180E:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000: case 0xFEFF:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200B;  // en quad ... zero-width space
  }
}

}  // namespace

Result<std::size_t> code_points(std::string_view field, std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++count)
    if (!next_code_point(text, i))
      return fail(Error::Invalid(fmt::format("{} is not valid UTF-8 (byte {}): retype it", field, i + 1)));
  return count;
}

Result<> check_length(std::string_view field, std::string_view text, std::size_t limit) {
  auto length = code_points(field, text);
  if (!length) return fail(length.error());
  if (*length > limit)
    return fail(Error::Invalid(fmt::format("{} is {} characters long; the limit is {}", field, *length, limit)));
  return {};
}

bool is_blank(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    auto c = next_code_point(text, i);
    if (!c || !is_space(*c)) return false;
  }
  return true;
}

namespace {

bool shown_escaped(char32_t c) {
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029 ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// printable() of `text`, stopping before the first piece that would take the result past `max_bytes`;
// `cut` tells whether it stopped early.
std::string printable_within(std::string_view text, std::size_t max_bytes, bool& cut) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  cut = false;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    const auto c = next_code_point(text, i);
    std::string piece;
    if (!c) {
      piece = "\xEF\xBF\xBD";  // U+FFFD for the one byte that could not start a code point
      i = start + 1;
    } else if (*c < 0x80 && shown_escaped(*c)) {
      piece = fmt::format("\\x{:02x}", static_cast<unsigned>(*c));
    } else if (shown_escaped(*c)) {
      piece = fmt::format("\\u{:04x}", static_cast<unsigned>(*c));
    } else {
      piece = text.substr(start, i - start);
    }
    if (out.size() + piece.size() > max_bytes) {
      cut = true;
      break;
    }
    out += piece;
  }
  return out;
}

}  // namespace

std::string printable(std::string_view text) {
  bool cut = false;
  return printable_within(text, std::string::npos, cut);
}

std::string printable_excerpt(std::string_view text, std::size_t max_bytes) {
  bool cut = false;
  std::string out = printable_within(text, max_bytes, cut);
  if (cut) out += "\u2026";
  return out;
}

}  // namespace jit::user_text
