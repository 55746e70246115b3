// Slack's own size limits on what we send, and the one way we make text fit them. Slack refuses a
// whole message or modal when one text is too long (invalid_blocks / invalid_arguments), so every
// message and view the app builds passes through fit_message or fit_view before it is sent:
// whatever a person typed, the request is posted and its buttons can be replaced.
//
// Lengths are counted as Slack's JavaScript-era limits are: UTF-16 code units (an emoji outside the
// Basic Multilingual Plane counts 2), the strictest reading of "characters".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace jit::slack {

// The top-level `text` of chat.postMessage / chat.update / chat.postEphemeral (msg_too_long past it).
inline constexpr std::size_t kMessageTextLimit = 40000;
// A section block's text, and any text object without a smaller limit (context elements included).
inline constexpr std::size_t kSectionTextLimit = 3000;
// Each of a section block's fields.
inline constexpr std::size_t kSectionFieldLimit = 2000;
// A header block's plain_text.
inline constexpr std::size_t kHeaderTextLimit = 150;
// A context block's text elements (Slack documents no limit below a text object's own).
inline constexpr std::size_t kContextTextLimit = 3000;
// The largest max_length a plain_text_input accepts (1..3000).
inline constexpr std::size_t kTextInputMaxLength = 3000;
// An input block's label and hint.
inline constexpr std::size_t kLabelLimit = 2000;
// A button's text, and an option's text in a select.
inline constexpr std::size_t kButtonTextLimit = 75;
inline constexpr std::size_t kOptionTextLimit = 75;
// An option's value: never truncated (it must round-trip); policy names are bounded well below it.
inline constexpr std::size_t kOptionValueLimit = 150;
// A placeholder of an input element.
inline constexpr std::size_t kPlaceholderLimit = 150;
// A confirm dialog's title, text and its two buttons.
inline constexpr std::size_t kConfirmTitleLimit = 100;
inline constexpr std::size_t kConfirmTextLimit = 300;
inline constexpr std::size_t kConfirmButtonLimit = 30;
// A modal's title, submit and close texts.
inline constexpr std::size_t kModalTitleLimit = 24;

// The length of `text` as Slack counts it (UTF-16 code units; a stray byte of invalid UTF-8
// counts 1).
std::size_t slack_length(std::string_view text);

// `rendered` (already escaped mrkdwn or plain text) when it fits `limit`; else its longest prefix
// that leaves room for "…", followed by "…". The cut never splits a UTF-8 sequence, an entity
// (&amp; &lt; &gt;) or a <…> token (mention, link, date), so what remains renders as it would have.
std::string fit(std::string_view rendered, std::size_t limit);

// `blocks` (a Block Kit array) with every text cut to its limit above and every plain_text_input
// max_length clamped to 1..kTextInputMaxLength. Values and ids are left as they are.
nlohmann::json fit_blocks(nlohmann::json blocks);
// A message ({"text", "blocks", ...}): its text cut to kMessageTextLimit, its blocks fitted.
nlohmann::json fit_message(nlohmann::json message);
// A modal view: title, submit and close cut to kModalTitleLimit, its blocks fitted.
nlohmann::json fit_view(nlohmann::json view);

}  // namespace jit::slack
