// The emulator refuses every text past Slack's documented limit, exactly one character past it
// (counted in UTF-16 code units), and accepts it at the limit: so an e2e test of the app fails
// when a message it builds would fail on real Slack.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>

#include "emulators/slack/block_kit.h"

namespace jit::emulators::block_kit {
namespace {

using json = nlohmann::json;

json plain(const std::string& text) { return {{"type", "plain_text"}, {"text", text}}; }
json mrkdwn(const std::string& text) { return {{"type", "mrkdwn"}, {"text", text}}; }
json input(const json& element) { return {{"type", "input"}, {"label", plain("Reason")}, {"element", element}}; }
json select_with(const json& option) {
  return {{"type", "static_select"}, {"action_id", "pick"}, {"options", json::array({option})}};
}

struct Limit {
  const char* what;
  std::size_t limit;
  std::function<json(const std::string&)> blocks;  // the blocks with `text` in the limited place
};

std::vector<Limit> limits() {
  return {
      {"section text", kMaxSectionText,
       [](const std::string& t) { return json::array({{{"type", "section"}, {"text", mrkdwn(t)}}}); }},
      {"section field", kMaxSectionFieldText,
       [](const std::string& t) { return json::array({{{"type", "section"}, {"fields", json::array({mrkdwn(t)})}}}); }},
      {"header", kMaxHeaderText, [](const std::string& t) { return json::array({{{"type", "header"}, {"text", plain(t)}}}); }},
      {"context element", kMaxContextText,
       [](const std::string& t) { return json::array({{{"type", "context"}, {"elements", json::array({mrkdwn(t)})}}}); }},
      {"button text", kMaxButtonText,
       [](const std::string& t) {
         return json::array({{{"type", "actions"},
                              {"elements", json::array({{{"type", "button"}, {"text", plain(t)}, {"value", "x"}}})}}});
       }},
      {"confirm text", kMaxConfirmText,
       [](const std::string& t) {
         json button = {{"type", "button"}, {"text", plain("Deny")}, {"value", "x"},
                        {"confirm", {{"title", plain("Sure?")}, {"text", mrkdwn(t)}, {"confirm", plain("Yes")},
                                     {"deny", plain("No")}}}};
         return json::array({{{"type", "actions"}, {"elements", json::array({button})}}});
       }},
      {"input label", kMaxLabelText,
       [](const std::string& t) {
         return json::array({{{"type", "input"}, {"label", plain(t)}, {"element", {{"type", "plain_text_input"}}}}});
       }},
      {"input hint", kMaxLabelText,
       [](const std::string& t) {
         json b = input({{"type", "plain_text_input"}});
         b["hint"] = plain(t);
         return json::array({b});
       }},
      {"placeholder", kMaxPlaceholderText,
       [](const std::string& t) { return json::array({input({{"type", "plain_text_input"}, {"placeholder", plain(t)}})}); }},
      {"option text", kMaxOptionText,
       [](const std::string& t) { return json::array({input(select_with({{"text", plain(t)}, {"value", "v"}}))}); }},
      {"option value", kMaxOptionValue,
       [](const std::string& t) { return json::array({input(select_with({{"text", plain("v")}, {"value", t}}))}); }},
  };
}

TEST(SlackEmulatorLimits, EveryTextIsAcceptedAtItsLimitAndRefusedOnePast) {
  for (const Limit& l : limits()) {
    EXPECT_TRUE(check_blocks(l.blocks(std::string(l.limit, 'a')), kMaxModalBlocks, "/blocks").empty()) << l.what;
    const auto problems = check_blocks(l.blocks(std::string(l.limit + 1, 'a')), kMaxModalBlocks, "/blocks");
    ASSERT_EQ(problems.size(), 1u) << l.what;
    EXPECT_NE(problems[0].find(fmt::format("less than {} characters", l.limit + 1)), std::string::npos) << l.what << ": " << problems[0];
  }
}

TEST(SlackEmulatorLimits, CharactersAreCountedInUtf16Units) {
  EXPECT_EQ(text_length("abc"), 3u);
  EXPECT_EQ(text_length("é…"), 2u);         // 2- and 3-byte sequences: one unit each
  EXPECT_EQ(text_length("\xF0\x9F\x94\x91"), 2u);  // 🔑 outside the BMP: a surrogate pair
  std::string keys;
  for (std::size_t i = 0; i < kMaxSectionText / 2; ++i) keys += "\xF0\x9F\x94\x91";
  const auto section = [](const std::string& t) { return json::array({{{"type", "section"}, {"text", mrkdwn(t)}}}); };
  EXPECT_TRUE(check_blocks(section(keys), kMaxMessageBlocks, "/blocks").empty());
  EXPECT_FALSE(check_blocks(section(keys + "a"), kMaxMessageBlocks, "/blocks").empty());
  std::string accents;
  for (std::size_t i = 0; i < kMaxSectionText; ++i) accents += "é";  // 6000 bytes, 3000 characters
  EXPECT_TRUE(check_blocks(section(accents), kMaxMessageBlocks, "/blocks").empty());
}

TEST(SlackEmulatorLimits, EmptyTextsAndTooManyItemsAreRefused) {
  EXPECT_FALSE(check_blocks(json::array({{{"type", "section"}, {"text", mrkdwn("")}}}), kMaxMessageBlocks, "/blocks").empty());
  json fields = json::array();
  for (std::size_t i = 0; i <= kMaxSectionFields; ++i) fields.push_back(mrkdwn("f"));
  EXPECT_FALSE(check_blocks(json::array({{{"type", "section"}, {"fields", fields}}}), kMaxMessageBlocks, "/blocks").empty());
  fields.erase(fields.begin());
  EXPECT_TRUE(check_blocks(json::array({{{"type", "section"}, {"fields", fields}}}), kMaxMessageBlocks, "/blocks").empty());
  json elements = json::array();
  for (std::size_t i = 0; i <= kMaxContextElements; ++i) elements.push_back(mrkdwn("c"));
  EXPECT_FALSE(check_blocks(json::array({{{"type", "context"}, {"elements", elements}}}), kMaxMessageBlocks, "/blocks").empty());
  json options = json::array();
  for (std::size_t i = 0; i <= kMaxOptions; ++i) options.push_back({{"text", plain("o")}, {"value", std::to_string(i)}});
  json select = {{"type", "static_select"}, {"options", options}};
  EXPECT_FALSE(check_blocks(json::array({input(select)}), kMaxModalBlocks, "/blocks").empty());
}

TEST(SlackEmulatorLimits, TextInputMaxLengthIsFromOneTo3000) {
  const auto with = [](const json& max) {
    return json::array({input({{"type", "plain_text_input"}, {"action_id", "reason"}, {"max_length", max}})});
  };
  EXPECT_TRUE(check_blocks(with(kMaxInputLength), kMaxModalBlocks, "/view/blocks").empty());
  EXPECT_TRUE(check_blocks(with(1), kMaxModalBlocks, "/view/blocks").empty());
  for (const json& bad : {json(kMaxInputLength + 1), json(4000), json(0), json("500")}) {
    const auto problems = check_blocks(with(bad), kMaxModalBlocks, "/view/blocks");
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_NE(problems[0].find("/view/blocks/0/element/max_length"), std::string::npos) << problems[0];
  }
}

}  // namespace
}  // namespace jit::emulators::block_kit
