#include "slack/command.h"
#include "core/limits.h"
#include "core/text.h"
#include "slack/escape.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace jit::slack {

namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Splits off the first whitespace-separated word; `rest` keeps its inner spacing.
std::string_view next_word(std::string_view& rest) {
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  std::size_t end = 0;
  while (end < rest.size() && !is_space(rest[end])) ++end;
  std::string_view word = rest.substr(0, end);
  rest.remove_prefix(end);
  return word;
}

std::string trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}


constexpr const char* kRequestUsage = "`/jit request <account> <role> <duration> <reason…> [--ticket ID]`, "
                                      "e.g. `/jit request prod admin 1h rotate the TLS key --ticket OPS-42`";

Command parse_request(std::string_view rest) {
  RequestAccess r;
  r.account = std::string(next_word(rest));
  r.role = std::string(next_word(rest));
  r.duration = std::string(next_word(rest));
  if (r.account.empty() || r.role.empty() || r.duration.empty())
    return Unknown{fmt::format("A request needs an account, a role, a duration and a reason: {}", kRequestUsage)};
  // The reason is everything else, less a ticket given as "--ticket X" or "ticket=X".
  std::string_view scan = rest;
  std::string reason;
  while (true) {
    std::string_view before = scan;
    std::string_view word = next_word(scan);
    if (word.empty()) break;
    if (word == "--ticket") {
      std::string_view id = next_word(scan);
      if (id.empty()) return Unknown{fmt::format("`--ticket` needs a ticket id: {}", kRequestUsage)};
      r.ticket = std::string(id);
      continue;
    }
    if (word.starts_with("ticket=") || word.starts_with("--ticket=")) {
      r.ticket = std::string(word.substr(word.find('=') + 1));
      continue;
    }
    // Keep the user's own spacing between words of the reason.
    reason += std::string(before.substr(0, before.size() - scan.size()));
  }
  r.reason = trim(reason);
  if (r.reason.empty())
    return Unknown{fmt::format("Say why you need this access after the duration: {}", kRequestUsage)};
  return r;
}

}  // namespace

Command parse_command(std::string_view text) {
  // Refused before it is parsed: nothing below (nor the policy checks after) sees unbounded text.
  if (text.size() > limits::kMaxCommandBytes)
    return Unknown{fmt::format("That command is {} bytes long; the limit is {} bytes. Shorten the reason, or "
                               "type `/jit` alone to use the request form.",
                               text.size(), limits::kMaxCommandBytes)};
  std::string_view rest = text;
  const std::string verb = text::to_lower(next_word(rest));
  if (verb.empty()) return OpenModal{};
  if (verb == "help" || verb == "?") return Help{};
  if (verb == "list" || verb == "ls") {
    if (!trim(rest).empty()) return Unknown{"`/jit list` takes no arguments: it shows your pending requests and active grants."};
    return ListMine{};
  }
  if (verb == "request" || verb == "req") return parse_request(rest);
  if (verb == "release" || verb == "cancel") {
    std::string id(next_word(rest));
    if (id.empty() || !trim(rest).empty())
      return Unknown{fmt::format("`/jit {} <request id>` takes exactly one request id (see `/jit list`).", verb)};
    if (verb == "release") return Release{id};
    return Cancel{id};
  }
  // Escaped: the text is shown back in Slack, where `<!channel>` would notify the whole channel.
  return Unknown{fmt::format("I don't know `{}`. {}", escape(trim(text)), help_text())};
}

std::string help_text() {
  return "*JIT Access*: ask for temporary AWS access; an approver says yes; it ends by itself.\n"
         "• `/jit`: open the request form\n"
         "• `/jit request <account> <role> <duration> <reason…> [--ticket ID]`: ask without the form "
         "(durations like `30m`, `1h30m`, `2h`)\n"
         "• `/jit list`: your pending requests and active grants\n"
         "• `/jit release <id>`: end your grant now\n"
         "• `/jit cancel <id>`: withdraw a pending request\n"
         "• `/jit help`: this message";
}

}  // namespace jit::slack
