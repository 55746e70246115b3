#include "slack/limits.h"

#include <algorithm>
#include <cstdint>

namespace jit::slack {

namespace {

using nlohmann::json;

constexpr std::string_view kEllipsis = "…";  // one UTF-16 unit

bool is_continuation(unsigned char b) { return (b & 0xC0) == 0x80; }
// The UTF-16 units of the code point that starts with `lead`: 4-byte sequences are surrogate pairs.
std::size_t units_of(unsigned char lead) { return lead >= 0xF0 ? 2 : 1; }

// Moves `cut` back so that it does not fall inside an entity or a <…> token that starts before it.
std::size_t step_out_of_tokens(std::string_view s, std::size_t cut) {
  const std::string_view head = s.substr(0, cut);
  if (const auto open = head.rfind('<'); open != std::string_view::npos && head.find('>', open) == std::string_view::npos)
    cut = open;
  const std::string_view rest = s.substr(0, cut);
  if (const auto amp = rest.rfind('&'); amp != std::string_view::npos && rest.find(';', amp) == std::string_view::npos)
    for (std::string_view entity : {"&amp;", "&lt;", "&gt;"})
      if (s.substr(amp).starts_with(entity)) return amp;
  return cut;
}

void fit_text_object(json& holder, const char* key, std::size_t limit) {
  if (!holder.is_object()) return;
  const auto it = holder.find(key);
  if (it == holder.end() || !it->is_object()) return;
  const auto text = it->find("text");
  if (text != it->end() && text->is_string()) *text = fit(text->get_ref<const std::string&>(), limit);
}

void fit_options(json& holder) {
  const auto options = holder.find("options");
  if (options == holder.end() || !options->is_array()) return;
  for (auto& o : *options) fit_text_object(o, "text", kOptionTextLimit);
}

void fit_element(json& e) {
  if (!e.is_object()) return;
  fit_text_object(e, "text", kButtonTextLimit);
  fit_text_object(e, "placeholder", kPlaceholderLimit);
  fit_options(e);
  if (auto groups = e.find("option_groups"); groups != e.end() && groups->is_array())
    for (auto& g : *groups)
      if (g.is_object()) fit_options(g);
  if (auto initial = e.find("initial_option"); initial != e.end()) fit_text_object(*initial, "text", kOptionTextLimit);
  if (auto confirm = e.find("confirm"); confirm != e.end() && confirm->is_object()) {
    fit_text_object(*confirm, "title", kConfirmTitleLimit);
    fit_text_object(*confirm, "text", kConfirmTextLimit);
    fit_text_object(*confirm, "confirm", kConfirmButtonLimit);
    fit_text_object(*confirm, "deny", kConfirmButtonLimit);
  }
  if (e.value("type", "") == "plain_text_input" && e.contains("max_length") && e["max_length"].is_number())
    e["max_length"] = std::clamp<std::int64_t>(e["max_length"].get<std::int64_t>(), 1,
                                               static_cast<std::int64_t>(kTextInputMaxLength));
}

void fit_block(json& b) {
  if (!b.is_object()) return;
  const std::string type = b.value("type", "");
  if (type == "section") {
    fit_text_object(b, "text", kSectionTextLimit);
    if (auto fields = b.find("fields"); fields != b.end() && fields->is_array())
      for (auto& f : *fields)
        if (f.is_object() && f.contains("text") && f["text"].is_string())
          f["text"] = fit(f["text"].get_ref<const std::string&>(), kSectionFieldLimit);
    if (auto accessory = b.find("accessory"); accessory != b.end()) fit_element(*accessory);
  } else if (type == "header") {
    fit_text_object(b, "text", kHeaderTextLimit);
  } else if (type == "context") {
    if (auto elements = b.find("elements"); elements != b.end() && elements->is_array())
      for (auto& e : *elements)
        if (e.is_object() && e.contains("text") && e["text"].is_string())
          e["text"] = fit(e["text"].get_ref<const std::string&>(), kContextTextLimit);
  } else if (type == "actions") {
    if (auto elements = b.find("elements"); elements != b.end() && elements->is_array())
      for (auto& e : *elements) fit_element(e);
  } else if (type == "input") {
    fit_text_object(b, "label", kLabelLimit);
    fit_text_object(b, "hint", kLabelLimit);
    if (auto element = b.find("element"); element != b.end()) fit_element(*element);
  }
}

}  // namespace

std::size_t slack_length(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char b : text)
    if (!is_continuation(b)) n += units_of(b);
  return n;
}

std::string fit(std::string_view rendered, std::size_t limit) {
  if (slack_length(rendered) <= limit) return std::string(rendered);
  if (limit == 0) return "";
  // The longest prefix of at most limit - 1 units that ends on a code point boundary.
  const std::size_t budget = limit - 1;
  std::size_t used = 0, cut = 0;
  for (std::size_t i = 0; i < rendered.size(); ++i) {
    const auto b = static_cast<unsigned char>(rendered[i]);
    if (is_continuation(b)) continue;
    if (used + units_of(b) > budget) break;
    used += units_of(b);
    cut = i + 1;
    while (cut < rendered.size() && is_continuation(static_cast<unsigned char>(rendered[cut]))) ++cut;
  }
  cut = step_out_of_tokens(rendered, cut);
  std::string out(rendered.substr(0, cut));
  out += kEllipsis;
  return out;
}

json fit_blocks(json blocks) {
  if (!blocks.is_array()) return blocks;
  for (auto& b : blocks) fit_block(b);
  return blocks;
}

json fit_message(json message) {
  if (!message.is_object()) return message;
  if (auto text = message.find("text"); text != message.end() && text->is_string())
    *text = fit(text->get_ref<const std::string&>(), kMessageTextLimit);
  if (auto blocks = message.find("blocks"); blocks != message.end()) *blocks = fit_blocks(std::move(*blocks));
  return message;
}

json fit_view(json view) {
  if (!view.is_object()) return view;
  for (const char* key : {"title", "submit", "close"}) fit_text_object(view, key, kModalTitleLimit);
  if (auto blocks = view.find("blocks"); blocks != view.end()) *blocks = fit_blocks(std::move(*blocks));
  return view;
}

}  // namespace jit::slack
