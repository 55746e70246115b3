#include "slack/limits.h"

#include <gtest/gtest.h>

#include "core/user_text.h"
#include "slack/escape.h"

namespace jit::slack {
namespace {
namespace limits_test {  // its own names: the unity build compiles it beside other files

using nlohmann::json;

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::size_t length(const json& text) { return slack_length(text.get<std::string>()); }

// What fit kept of `rendered`: the output less its "…", checked to be a prefix of the input.
std::string kept(const std::string& rendered, const std::string& fitted) {
  EXPECT_TRUE(fitted.ends_with("…")) << fitted;
  const std::string head = fitted.substr(0, fitted.size() - std::string_view("…").size());
  EXPECT_TRUE(rendered.starts_with(head));
  return head;
}

TEST(SlackLimits, TextThatFitsIsLeftAsItIs) {
  EXPECT_EQ(fit("", 10), "");
  EXPECT_EQ(fit("exactly 10", 10), "exactly 10");
  const std::string keys = repeat("\xF0\x9F\x94\x91", 5);  // 🔑 x5: 10 UTF-16 units
  EXPECT_EQ(slack_length(keys), 10u);
  EXPECT_EQ(fit(keys, 10), keys);
}

TEST(SlackLimits, LongTextIsCutToTheLimitWithAnEllipsis) {
  const std::string cut = fit(std::string(5000, 'a'), kSectionTextLimit);
  EXPECT_EQ(length(cut), kSectionTextLimit);
  EXPECT_EQ(kept(std::string(5000, 'a'), cut), std::string(kSectionTextLimit - 1, 'a'));
  EXPECT_EQ(fit("abc", 0), "");
  EXPECT_EQ(fit("abc", 1), "…");
}

TEST(SlackLimits, AnEntityIsNeverCutInHalf) {
  // 4,000 '&' escape to 20,000 characters: the cut lands on an entity boundary whatever the limit.
  const std::string rendered = escape(std::string(4000, '&'));
  for (std::size_t limit : {kSectionTextLimit, kSectionFieldLimit, std::size_t{2}, std::size_t{5}, std::size_t{6},
                            std::size_t{7}, std::size_t{8}, std::size_t{9}, std::size_t{10}, std::size_t{11}}) {
    const std::string out = fit(rendered, limit);
    EXPECT_LE(slack_length(out), limit);
    const std::string head = kept(rendered, out);
    EXPECT_EQ(head.size() % 5, 0u) << limit << ": " << head;  // whole "&amp;"s only
  }
  const std::string mixed = escape("a<b>c&d");  // a&lt;b&gt;c&amp;d
  for (std::size_t limit = 1; limit < slack_length(mixed); ++limit) {
    const std::string head = kept(mixed, fit(mixed, limit));
    const auto amp = head.rfind('&');
    EXPECT_TRUE(amp == std::string::npos || head.find(';', amp) != std::string::npos) << limit << ": " << head;
  }
}

TEST(SlackLimits, AUtf8SequenceIsNeverCutInHalf) {
  for (std::string_view ch : {"\xF0\x9F\x94\x91" /* 🔑 */, "\xC3\xA9" /* é */, "\xE2\x9C\x85" /* ✅ */}) {
    const std::string rendered = repeat(ch, 4000);
    for (std::size_t limit : {kSectionTextLimit, kSectionFieldLimit, kHeaderTextLimit, std::size_t{2}, std::size_t{3}}) {
      const std::string out = fit(rendered, limit);
      EXPECT_LE(slack_length(out), limit);
      EXPECT_TRUE(user_text::code_points("text", out)) << "invalid UTF-8 at limit " << limit;
      EXPECT_EQ(kept(rendered, out).size() % ch.size(), 0u);
    }
  }
}

TEST(SlackLimits, AMentionLinkOrDateTokenIsKeptWholeOrLeftOut) {
  const std::string rendered = "<@U0ALICE>, <@U0BOB> and <!date^1795514400^{time}|2026-11-24T10:00:00Z>";
  for (std::size_t limit = 1; limit < slack_length(rendered); ++limit) {
    const std::string head = kept(rendered, fit(rendered, limit));
    const auto open = head.rfind('<');
    EXPECT_TRUE(open == std::string::npos || head.find('>', open) != std::string::npos) << limit << ": " << head;
  }
  EXPECT_EQ(fit(rendered, 16), "<@U0ALICE>, …");
}

TEST(SlackLimits, MessagesAndViewsAreFittedPlaceByPlace) {
  const std::string big(5000, 'x');
  json message = {
      {"text", std::string(50000, 't')},
      {"blocks",
       json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", big}}},
                     {"fields", json::array({{{"type", "mrkdwn"}, {"text", big}}})}},
                    {{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", big}}}},
                    {{"type", "context"}, {"elements", json::array({{{"type", "mrkdwn"}, {"text", big}}})}},
                    {{"type", "actions"},
                     {"elements", json::array({{{"type", "button"}, {"text", {{"type", "plain_text"}, {"text", big}}},
                                                {"value", big}}})}}})}};
  message = fit_message(message);
  EXPECT_EQ(length(message["text"]), kMessageTextLimit);
  EXPECT_EQ(length(message["blocks"][0]["text"]["text"]), kSectionTextLimit);
  EXPECT_EQ(length(message["blocks"][0]["fields"][0]["text"]), kSectionFieldLimit);
  EXPECT_EQ(length(message["blocks"][1]["text"]["text"]), kHeaderTextLimit);
  EXPECT_EQ(length(message["blocks"][2]["elements"][0]["text"]), kContextTextLimit);
  EXPECT_EQ(length(message["blocks"][3]["elements"][0]["text"]["text"]), kButtonTextLimit);
  EXPECT_EQ(message["blocks"][3]["elements"][0]["value"], big);  // values round-trip: never cut

  json view = {{"type", "modal"},
               {"title", {{"type", "plain_text"}, {"text", "A title that is far too long for Slack"}}},
               {"blocks", json::array({{{"type", "input"},
                                        {"label", {{"type", "plain_text"}, {"text", big}}},
                                        {"element", {{"type", "plain_text_input"}, {"max_length", 4000}}}}})}};
  view = fit_view(view);
  EXPECT_EQ(length(view["title"]["text"]), kModalTitleLimit);
  EXPECT_EQ(length(view["blocks"][0]["label"]["text"]), kLabelLimit);
  EXPECT_EQ(view["blocks"][0]["element"]["max_length"], kTextInputMaxLength);
}

}  // namespace limits_test
}  // namespace
}  // namespace jit::slack
