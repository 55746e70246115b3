// Block Kit as the emulator needs it: light validation of message blocks and modals (with
// Slack's error messages), generated ids, and the state.values a modal starts with.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace jit::emulators::block_kit {

inline constexpr std::size_t kMaxMessageBlocks = 50;
inline constexpr std::size_t kMaxModalBlocks = 100;
inline constexpr std::size_t kMaxTitleLength = 24;
// Slack's documented limits on text, counted in UTF-16 code units (as Slack's clients count): the
// emulator refuses what real Slack refuses, so a message that overflows fails in tests too.
inline constexpr std::size_t kMaxMessageText = 40000;    // chat.* text: msg_too_long past it
inline constexpr std::size_t kMaxSectionText = 3000;     // a section's text (and any text object)
inline constexpr std::size_t kMaxSectionFieldText = 2000;
inline constexpr std::size_t kMaxSectionFields = 10;
inline constexpr std::size_t kMaxHeaderText = 150;
inline constexpr std::size_t kMaxContextText = 3000;     // no smaller documented limit than a text object's
inline constexpr std::size_t kMaxContextElements = 10;
inline constexpr std::size_t kMaxActionsElements = 25;
inline constexpr std::size_t kMaxButtonText = 75;
inline constexpr std::size_t kMaxButtonValue = 2000;
inline constexpr std::size_t kMaxOptionText = 75;
inline constexpr std::size_t kMaxOptionValue = 150;
inline constexpr std::size_t kMaxOptions = 100;
inline constexpr std::size_t kMaxLabelText = 2000;       // an input's label and hint
inline constexpr std::size_t kMaxPlaceholderText = 150;
inline constexpr std::size_t kMaxInputLength = 3000;     // plain_text_input max_length: 1..3000
inline constexpr std::size_t kMaxConfirmTitle = 100;
inline constexpr std::size_t kMaxConfirmText = 300;
inline constexpr std::size_t kMaxConfirmButton = 30;

// The length of `text` as Slack counts it: UTF-16 code units (a 4-byte UTF-8 sequence counts 2).
std::size_t text_length(const std::string& text);

// Problems in Slack's response_metadata style ("[ERROR] … [json-pointer:/blocks/0/type]");
// empty when the blocks are acceptable: an array of at most `max_blocks` objects of a known type
// (section, actions, context, divider, header, input, image, rich_text) with unique block_ids,
// every text within Slack's limits above and every plain_text_input max_length in 1..3000.
std::vector<std::string> check_blocks(const nlohmann::json& blocks, std::size_t max_blocks, const std::string& where);
// A modal for views.open/views.update: type "modal", a plain_text title of at most 24
// characters, submit when there are input blocks, and valid blocks.
std::vector<std::string> check_modal(const nlohmann::json& view);

// A Home tab view for views.publish: type "home", at most kMaxHomeBlocks valid blocks, a
// private_metadata of at most 3000 characters. (A title is not needed: Slack shows the app's name.)
inline constexpr std::size_t kMaxHomeBlocks = 100;
std::vector<std::string> check_home(const nlohmann::json& view);

// Gives every block without a block_id, and every element without an action_id, a generated one
// (as Slack does).
void fill_ids(nlohmann::json& view);
// state.values of a freshly opened view: every input element (and select in an actions block),
// by block_id then action_id, with its initial_option/initial_value or null.
nlohmann::json initial_state(const nlohmann::json& view);
// The element `action_id` of block `block_id` (empty action_id: the block's only element).
Result<const nlohmann::json*> find_element(const nlohmann::json& view, const std::string& block_id,
                                           const std::string& action_id);
// Whether changing an element of block `block_id` sends block_actions: always in actions blocks
// and section accessories, in input blocks only with "dispatch_action": true (Slack's rule).
bool dispatches(const nlohmann::json& view, const std::string& block_id);
// The option of a select whose value is `value` (also inside option_groups), or nullptr.
const nlohmann::json* find_option(const nlohmann::json& element, const std::string& value);
// Every interactive element of a message's blocks (actions elements and section accessories),
// with the block_id it sits in.
std::vector<std::pair<std::string, const nlohmann::json*>> message_elements(const nlohmann::json& blocks);

}  // namespace jit::emulators::block_kit
