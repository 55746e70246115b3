#include "slack/escape.h"

#include <fmt/format.h>

#include <algorithm>

namespace jit::slack {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string date_token(TimePoint t) {
  return fmt::format("<!date^{}^{{date_short_pretty}} {{time}}|{}>", epoch_seconds(t), format_time(t));
}

bool looks_like_user_id(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

std::string mention(std::string_view user_id) {
  if (!looks_like_user_id(user_id)) return escape(user_id);
  return fmt::format("<@{}>", user_id);
}

std::string mention_entry(std::string_view entry) {
  if (entry.starts_with('S') && mention(entry).starts_with("<@")) return fmt::format("<!subteam^{}>", entry);
  return mention(entry);
}

std::string mention_all(const std::vector<std::string>& entries) {
  std::string out;
  for (const auto& e : entries) out += (out.empty() ? "" : " ") + mention_entry(e);
  return out;
}

}  // namespace jit::slack
