#include "emulators/slack/block_kit.h"

#include <fmt/format.h>

#include <cstdint>
#include <set>

namespace jit::emulators::block_kit {

using nlohmann::json;

namespace {

const std::set<std::string> kBlockTypes = {"section", "actions", "context", "divider",
                                           "header",  "input",   "image",   "rich_text"};

std::string error_at(const std::string& message, const std::string& pointer) {
  return fmt::format("[ERROR] {} [json-pointer:{}]", message, pointer);
}

// The elements of a block that carry an action_id: input's element, actions' elements, a
// section's accessory.
std::vector<json*> elements_of(json& block) {
  std::vector<json*> out;
  const std::string type = block.value("type", "");
  if (type == "input" && block.contains("element") && block["element"].is_object()) out.push_back(&block["element"]);
  if (type == "section" && block.contains("accessory") && block["accessory"].is_object()) out.push_back(&block["accessory"]);
  if (type == "actions" && block.contains("elements") && block["elements"].is_array())
    for (auto& e : block["elements"])
      if (e.is_object()) out.push_back(&e);
  return out;
}

std::vector<const json*> elements_of(const json& block) {
  std::vector<const json*> out;
  for (json* e : elements_of(const_cast<json&>(block))) out.push_back(e);
  return out;
}

// A text object ({"type", "text"}) at `at` holding 1 to `max` characters.
void check_text_object(const json& t, std::size_t max, const std::string& at, std::vector<std::string>& problems) {
  if (!t.is_object() || !t.contains("text") || !t["text"].is_string()) {
    problems.push_back(error_at("must be a text object", at));
    return;
  }
  const std::size_t n = text_length(t["text"].get<std::string>());
  if (n == 0) problems.push_back(error_at("must be more than 0 characters", at + "/text"));
  if (n > max) problems.push_back(error_at(fmt::format("must be less than {} characters", max + 1), at + "/text"));
}

// holder[key], when there, as check_text_object.
void check_optional_text(const json& holder, const char* key, std::size_t max, const std::string& at,
                         std::vector<std::string>& problems) {
  if (holder.is_object() && holder.contains(key)) check_text_object(holder[key], max, at + "/" + key, problems);
}

void check_string(const json& holder, const char* key, std::size_t max, const std::string& at,
                  std::vector<std::string>& problems) {
  if (!holder.is_object() || !holder.contains(key)) return;
  if (!holder[key].is_string() || text_length(holder[key].get<std::string>()) > max)
    problems.push_back(error_at(fmt::format("must be a string less than {} characters", max + 1), at + "/" + key));
}

void check_options(const json& holder, const std::string& at, std::vector<std::string>& problems) {
  const auto options = holder.find("options");
  if (options == holder.end() || !options->is_array()) return;
  if (options->size() > kMaxOptions)
    problems.push_back(error_at(fmt::format("no more than {} items allowed", kMaxOptions), at + "/options"));
  for (std::size_t i = 0; i < options->size(); ++i) {
    const std::string o = fmt::format("{}/options/{}", at, i);
    check_optional_text((*options)[i], "text", kMaxOptionText, o, problems);
    check_string((*options)[i], "value", kMaxOptionValue, o, problems);
  }
}

// An interactive element: button, select, plain_text_input and their texts.
void check_element(const json& e, const std::string& at, std::vector<std::string>& problems) {
  if (!e.is_object()) return;
  const std::string type = e.value("type", "");
  if (type == "button") {
    check_optional_text(e, "text", kMaxButtonText, at, problems);
    check_string(e, "value", kMaxButtonValue, at, problems);
  }
  check_optional_text(e, "placeholder", kMaxPlaceholderText, at, problems);
  check_options(e, at, problems);
  if (const auto groups = e.find("option_groups"); groups != e.end() && groups->is_array())
    for (std::size_t g = 0; g < groups->size(); ++g) check_options((*groups)[g], fmt::format("{}/option_groups/{}", at, g), problems);
  if (e.contains("initial_option")) check_optional_text(e["initial_option"], "text", kMaxOptionText, at + "/initial_option", problems);
  if (const auto confirm = e.find("confirm"); confirm != e.end()) {
    check_optional_text(*confirm, "title", kMaxConfirmTitle, at + "/confirm", problems);
    check_optional_text(*confirm, "text", kMaxConfirmText, at + "/confirm", problems);
    check_optional_text(*confirm, "confirm", kMaxConfirmButton, at + "/confirm", problems);
    check_optional_text(*confirm, "deny", kMaxConfirmButton, at + "/confirm", problems);
  }
  if (type == "plain_text_input" && e.contains("max_length")) {
    const json& m = e["max_length"];
    if (!m.is_number_integer() || m.get<std::int64_t>() < 1 || m.get<std::int64_t>() > static_cast<std::int64_t>(kMaxInputLength))
      problems.push_back(error_at(fmt::format("must be a number from 1 to {}", kMaxInputLength), at + "/max_length"));
  }
}

// The texts and elements of one block of a known type, within Slack's limits.
void check_block_limits(const json& b, const std::string& type, const std::string& at, std::vector<std::string>& problems) {
  if (type == "section") {
    check_optional_text(b, "text", kMaxSectionText, at, problems);
    if (const auto fields = b.find("fields"); fields != b.end() && fields->is_array()) {
      if (fields->size() > kMaxSectionFields)
        problems.push_back(error_at(fmt::format("no more than {} items allowed", kMaxSectionFields), at + "/fields"));
      for (std::size_t i = 0; i < fields->size(); ++i)
        check_text_object((*fields)[i], kMaxSectionFieldText, fmt::format("{}/fields/{}", at, i), problems);
    }
    if (b.contains("accessory")) check_element(b["accessory"], at + "/accessory", problems);
  } else if (type == "header") {
    check_optional_text(b, "text", kMaxHeaderText, at, problems);
  } else if (type == "context" || type == "actions") {
    const auto elements = b.find("elements");
    if (elements == b.end() || !elements->is_array()) return;
    const std::size_t max = type == "context" ? kMaxContextElements : kMaxActionsElements;
    if (elements->size() > max)
      problems.push_back(error_at(fmt::format("no more than {} items allowed", max), at + "/elements"));
    for (std::size_t i = 0; i < elements->size(); ++i) {
      const json& e = (*elements)[i];
      const std::string ea = fmt::format("{}/elements/{}", at, i);
      if (type == "actions") check_element(e, ea, problems);
      else if (e.is_object() && e.value("type", "") != "image") check_text_object(e, kMaxContextText, ea, problems);
    }
  } else if (type == "input") {
    check_optional_text(b, "label", kMaxLabelText, at, problems);
    check_optional_text(b, "hint", kMaxLabelText, at, problems);
    if (b.contains("element")) check_element(b["element"], at + "/element", problems);
  }
}

json initial_value(const json& element) {
  const std::string type = element.value("type", "");
  json state{{"type", type}};
  if (type == "static_select") state["selected_option"] = element.value("initial_option", json());
  else if (type == "multi_static_select") state["selected_options"] = element.value("initial_options", json::array());
  else if (type == "plain_text_input") state["value"] = element.value("initial_value", json());
  else if (type == "users_select") state["selected_user"] = element.value("initial_user", json());
  else return json();
  return state;
}

}  // namespace

std::size_t text_length(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char b : text)
    if ((b & 0xC0) != 0x80) n += b >= 0xF0 ? 2 : 1;
  return n;
}

std::vector<std::string> check_blocks(const json& blocks, std::size_t max_blocks, const std::string& where) {
  if (!blocks.is_array()) return {error_at("must be an array", where)};
  std::vector<std::string> problems;
  if (blocks.size() > max_blocks)
    problems.push_back(error_at(fmt::format("no more than {} items allowed", max_blocks), where));
  std::set<std::string> block_ids;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const json& b = blocks[i];
    const std::string at = fmt::format("{}/{}", where, i);
    if (!b.is_object() || !b.contains("type") || !b["type"].is_string()) {
      problems.push_back(error_at("missing required field: type", at));
      continue;
    }
    const std::string type = b["type"].get<std::string>();
    if (!kBlockTypes.contains(type)) {
      problems.push_back(error_at(fmt::format("unsupported type: {}", type), at + "/type"));
      continue;
    }
    if (b.contains("block_id")) {
      if (!b["block_id"].is_string() || b["block_id"].get<std::string>().size() > 255)
        problems.push_back(error_at("must be a string of at most 255 characters", at + "/block_id"));
      else if (!block_ids.insert(b["block_id"].get<std::string>()).second)
        problems.push_back(error_at("duplicate block_id", at + "/block_id"));
    }
    if (type == "section" && !b.contains("text") && !b.contains("fields"))
      problems.push_back(error_at("must provide either text or fields", at));
    if ((type == "actions" || type == "context") &&
        (!b.contains("elements") || !b["elements"].is_array() || b["elements"].empty()))
      problems.push_back(error_at("missing required field: elements", at));
    if (type == "input" && (!b.contains("element") || !b.contains("label")))
      problems.push_back(error_at("missing required field: element and label", at));
    if (type == "header" && (!b.contains("text") || b["text"].value("type", "") != "plain_text"))
      problems.push_back(error_at("must be a plain_text text object", at + "/text"));
    check_block_limits(b, type, at, problems);
  }
  return problems;
}

namespace {

// A view's private_metadata: a string of at most 3000 characters, when present.
void check_private_metadata(const json& view, std::vector<std::string>& problems) {
  if (view.contains("private_metadata") &&
      (!view["private_metadata"].is_string() || view["private_metadata"].get<std::string>().size() > 3000))
    problems.push_back(error_at("must be a string of at most 3000 characters", "/view/private_metadata"));
}

}  // namespace

std::vector<std::string> check_modal(const json& view) {
  if (!view.is_object()) return {error_at("missing required field: view", "/view")};
  std::vector<std::string> problems;
  if (view.value("type", "") != "modal") problems.push_back(error_at("must be modal", "/view/type"));
  auto check_text = [&](const char* field, bool required) {
    if (!view.contains(field)) {
      if (required) problems.push_back(error_at(fmt::format("missing required field: {}", field), fmt::format("/view/{}", field)));
      return;
    }
    const json& t = view[field];
    if (!t.is_object() || t.value("type", "") != "plain_text" || !t.contains("text") || !t["text"].is_string())
      problems.push_back(error_at("must be a plain_text text object", fmt::format("/view/{}", field)));
    else if (text_length(t["text"].get<std::string>()) > kMaxTitleLength)
      problems.push_back(error_at(fmt::format("must be less than {} characters", kMaxTitleLength + 1),
                                  fmt::format("/view/{}/text", field)));
  };
  check_text("title", true);
  check_text("submit", false);
  check_text("close", false);
  const json blocks = view.value("blocks", json());
  auto block_problems = check_blocks(blocks, kMaxModalBlocks, "/view/blocks");
  problems.insert(problems.end(), block_problems.begin(), block_problems.end());
  if (blocks.is_array() && !view.contains("submit"))
    for (const auto& b : blocks)
      if (b.is_object() && b.value("type", "") == "input") {
        problems.push_back(error_at("must provide submit property when using input blocks", "/view"));
        break;
      }
  check_private_metadata(view, problems);
  return problems;
}

std::vector<std::string> check_home(const json& view) {
  if (!view.is_object()) return {error_at("missing required field: view", "/view")};
  std::vector<std::string> problems;
  if (view.value("type", "") != "home") problems.push_back(error_at("must be home", "/view/type"));
  auto block_problems = check_blocks(view.value("blocks", json()), kMaxHomeBlocks, "/view/blocks");
  problems.insert(problems.end(), block_problems.begin(), block_problems.end());
  check_private_metadata(view, problems);
  return problems;
}

void fill_ids(json& view) {
  if (!view.contains("blocks") || !view["blocks"].is_array()) return;
  int n = 0;
  for (auto& block : view["blocks"]) {
    ++n;
    if (!block.is_object()) continue;
    if (!block.contains("block_id")) block["block_id"] = fmt::format("b{:04x}", n * 7919 % 65536);
    int k = 0;
    for (json* element : elements_of(block))
      if (!element->contains("action_id")) (*element)["action_id"] = fmt::format("a{:04x}{}", n * 7919 % 65536, ++k);
  }
}

json initial_state(const json& view) {
  json values = json::object();
  for (const auto& block : view.value("blocks", json::array())) {
    const std::string type = block.value("type", "");
    if (type != "input" && type != "actions") continue;
    for (const json* element : elements_of(block)) {
      json state = initial_value(*element);
      if (!state.is_null()) values[block.value("block_id", "")][element->value("action_id", "")] = state;
    }
  }
  return values;
}

Result<const json*> find_element(const json& view, const std::string& block_id, const std::string& action_id) {
  const auto blocks = view.find("blocks");
  if (blocks == view.end() || !blocks->is_array())
    return fail(Error::NotFound(fmt::format("the view has no block '{}'", block_id)));
  for (const auto& block : *blocks) {
    if (block.value("block_id", "") != block_id) continue;
    const auto elements = elements_of(block);
    for (const json* e : elements)
      if (action_id.empty() ? elements.size() == 1 : e->value("action_id", "") == action_id) return e;
    return fail(Error::NotFound(fmt::format("block '{}' has no element '{}'", block_id, action_id)));
  }
  return fail(Error::NotFound(fmt::format("the view has no block '{}'", block_id)));
}

bool dispatches(const json& view, const std::string& block_id) {
  const auto blocks = view.find("blocks");
  if (blocks == view.end() || !blocks->is_array()) return false;
  for (const auto& block : *blocks)
    if (block.value("block_id", "") == block_id)
      return block.value("type", "") != "input" || block.value("dispatch_action", false);
  return false;
}

// (References into `element`: json::value() would return copies.)
const json* find_option(const json& element, const std::string& value) {
  auto in = [&](const json& holder) -> const json* {
    const auto options = holder.find("options");
    if (options == holder.end() || !options->is_array()) return nullptr;
    for (const auto& o : *options)
      if (o.is_object() && o.value("value", "") == value) return &o;
    return nullptr;
  };
  if (const json* o = in(element)) return o;
  if (const auto groups = element.find("option_groups"); groups != element.end() && groups->is_array())
    for (const auto& group : *groups)
      if (const json* o = group.is_object() ? in(group) : nullptr) return o;
  return nullptr;
}

std::vector<std::pair<std::string, const json*>> message_elements(const json& blocks) {
  std::vector<std::pair<std::string, const json*>> out;
  if (!blocks.is_array()) return out;
  for (const auto& block : blocks)
    for (const json* e : elements_of(block)) out.emplace_back(block.value("block_id", ""), e);
  return out;
}

}  // namespace jit::emulators::block_kit
