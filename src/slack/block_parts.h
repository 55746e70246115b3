// The small Block Kit objects every message, modal and Home tab is built from (one definition, so
// they all render text the same way).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace jit::slack::parts {

// A mrkdwn text object: `text` must already be escaped where a person typed it.
inline nlohmann::json mrkdwn(const std::string& text) { return {{"type", "mrkdwn"}, {"text", text}}; }
// A plain_text object (emoji shortcodes rendered).
inline nlohmann::json plain(const std::string& text) {
  return {{"type", "plain_text"}, {"text", text}, {"emoji", true}};
}
// A section block of mrkdwn text.
inline nlohmann::json section(const std::string& text) { return {{"type", "section"}, {"text", mrkdwn(text)}}; }

}  // namespace jit::slack::parts
