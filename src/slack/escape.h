// Text that people typed, made safe to show in Slack: mrkdwn control characters are escaped so
// that "<!channel>", "<@U123>" and "<https://evil|click>" show as text and do nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace jit::slack {

// & -> &amp;  < -> &lt;  > -> &gt;  (Slack's own escaping rules for text fields)
std::string escape(std::string_view text);

// A <!date> token: every reader sees `t` in their own time zone; clients that cannot render it
// show the UTC fallback. E.g. "<!date^1764000000^{date_short_pretty} {time}|2025-11-24T16:00:00Z>".
std::string date_token(TimePoint t);

// Whether `id` can be a Slack user id: 1 to 32 characters, each A-Z or 0-9 (what mention checks,
// and what an id from an envelope must be before it is kept).
bool looks_like_user_id(std::string_view id);

// "<@U123>" for a user id we got from Slack itself (validated: only A-Z0-9).
std::string mention(std::string_view user_id);
// A policy entry as a mention: "<!subteam^S123>" for a user-group id, "<@U123>" for a user id
// (issue 17: the approvers a reminder or escalation calls on); anything else escaped.
std::string mention_entry(std::string_view entry);
// mention_entry of each, separated by spaces.
std::string mention_all(const std::vector<std::string>& entries);

}  // namespace jit::slack
