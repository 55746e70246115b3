#include "policy_text.h"

#include <algorithm>

namespace jit::emulators {

std::optional<std::vector<char32_t>> code_points(std::string_view text) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const int extra = lead < 0x80 ? 0 : (lead >> 5) == 0x6 ? 1 : (lead >> 4) == 0xE ? 2 : (lead >> 3) == 0x1E ? 3 : -1;
    if (extra < 0 || i + extra >= text.size()) return std::nullopt;
    char32_t c = extra == 0 ? lead : lead & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next >> 6) != 0x2) return std::nullopt;
      c = (c << 6) | (next & 0x3F);
    }
    out.push_back(c);
    i += extra + 1;
  }
  return out;
}

namespace {
bool is_policy_whitespace(char32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
}  // namespace

std::size_t non_whitespace_characters(std::string_view text) {
  auto points = code_points(text);
  if (!points) return text.size();
  return static_cast<std::size_t>(std::count_if(points->begin(), points->end(), [](char32_t c) { return !is_policy_whitespace(c); }));
}

bool in_policy_character_set(std::string_view text) {
  auto points = code_points(text);
  return points && std::all_of(points->begin(), points->end(), [](char32_t c) {
           return c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0xFF);
         });
}

}  // namespace jit::emulators
