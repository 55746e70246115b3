#include "slack/command.h"
#include "core/limits.h"
#include "core/text.h"
#include "slack/escape.h"

#include <fmt/format.h>

#include <algorithm>
#include <expected>
#include <cctype>
#include <optional>
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

// "prod,staging": the accounts of a request, in order (issue 17); an empty name or more than
// limits::kMaxBundleAccounts is an error (its message).
std::expected<std::vector<std::string>, std::string> split_accounts(std::string_view word) {
  std::vector<std::string> out;
  while (true) {
    const std::size_t comma = word.find(',');
    std::string_view name = word.substr(0, comma);
    if (name.empty())
      return std::unexpected(fmt::format("An account name is missing in `{}`: separate accounts with commas, no "
                                         "spaces, e.g. `prod,staging`. {}",
                                         escape(word.substr(0, limits::kMaxChoiceLength)), kRequestUsage));
    if (out.size() == limits::kMaxBundleAccounts)
      return std::unexpected(fmt::format("One request names at most {} accounts: ask for the others in a second "
                                         "request.",
                                         limits::kMaxBundleAccounts));
    out.emplace_back(name);
    if (comma == std::string_view::npos) return out;
    word.remove_prefix(comma + 1);
  }
}

Command parse_request(std::string_view rest) {
  RequestAccess r;
  r.account = std::string(next_word(rest));
  if (r.account.find(',') != std::string::npos) {
    auto accounts = split_accounts(r.account);
    if (!accounts) return Unknown{accounts.error()};
    r.account = accounts->front();
    r.more_accounts.assign(accounts->begin() + 1, accounts->end());
  }
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

constexpr const char* kEnrollUsage =
    "`/jit enroll` (a link to register a security key), `/jit enroll list`, or "
    "`/jit enroll remove <credential id prefix or name> [@person]`";

// A credential id prefix or name as typed: a whole credential id (1023 bytes, base64url) fits.
constexpr std::size_t kMaxCredentialReference = 1400;
// Slack user ids are short (U/W and about ten letters or digits); a mention past this is not one.
constexpr std::size_t kMaxUserIdLength = 32;

// The user id in a mention as Slack sends it in command text: "<@U123>" or "<@U123|name>".
std::optional<std::string> mentioned_user(std::string_view word) {
  if (!word.starts_with("<@") || !word.ends_with(">")) return std::nullopt;
  std::string_view id = word.substr(2, word.size() - 3);
  id = id.substr(0, id.find('|'));
  if (id.empty() || id.size() > kMaxUserIdLength) return std::nullopt;
  for (char c : id)
    if (!std::isupper(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return std::string(id);
}

Command parse_enroll(std::string_view rest) {
  const std::string sub = text::to_lower(next_word(rest));
  if (sub.empty()) return Enroll{};
  if (sub == "list" || sub == "ls") {
    if (!trim(rest).empty()) return Unknown{fmt::format("`/jit enroll list` takes no arguments: {}", kEnrollUsage)};
    return EnrollList{};
  }
  if (sub != "remove" && sub != "rm")
    return Unknown{fmt::format("I don't know `/jit enroll {}`: {}", escape(sub), kEnrollUsage)};
  EnrollRemove remove;
  std::string reference = trim(rest);
  // A trailing mention names whose credential it is (admins); a name may have spaces.
  if (const std::size_t at = reference.rfind("<@"); reference.ends_with(">") && at != std::string::npos) {
    const std::string last = reference.substr(at);
    auto owner = mentioned_user(last);
    if (!owner)
      return Unknown{fmt::format("`{}` is not a Slack user: pick the person from Slack's @ list. {}",
                                 escape(last.substr(0, 80)), kEnrollUsage)};
    remove.owner = *owner;
    reference = trim(std::string_view(reference).substr(0, at));
  }
  if (reference.empty())
    return Unknown{fmt::format("Say which credential to remove (its id prefix or its name, see `/jit enroll list`): {}",
                               kEnrollUsage)};
  if (reference.size() > kMaxCredentialReference)
    return Unknown{fmt::format("That credential reference is {} bytes long; the limit is {} bytes: use the first "
                               "characters of its id from `/jit enroll list`.",
                               reference.size(), kMaxCredentialReference)};
  remove.credential = std::move(reference);
  return remove;
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
  if (verb == "enroll" || verb == "enrol") return parse_enroll(rest);
  if (verb == "release" || verb == "cancel") {
    std::string id(next_word(rest));
    if (id.empty() || !trim(rest).empty())
      return Unknown{fmt::format("`/jit {} <request id>` takes exactly one request id (see `/jit list`).", verb)};
    if (verb == "release") return Release{id};
    return Cancel{id};
  }
  if (verb == "extend") {
    Extend extend{.request_id = std::string(next_word(rest)), .duration = std::string(next_word(rest)),
                  .reason = trim(rest)};
    if (extend.reason.empty())
      return Unknown{"`/jit extend <grant id> <duration> <reason…>` asks for more time on your active grant, e.g. "
                     "`/jit extend r2x7k9mqa 1h still debugging the outage` (see `/jit list` for the id); the time "
                     "counts from when it is approved."};
    return extend;
  }
  // Echoed escaped: "<!channel>" typed after /jit must come back as text, not as a mention.
  return Unknown{fmt::format("I don't know `{}`. {}", escape(trim(text)), help_text())};
}

std::string help_text() {
  return "*JIT Access*: ask for temporary AWS access; an approver says yes; it ends by itself.\n"
         "• `/jit`: open the request form\n"
         "• `/jit request <account> <role> <duration> <reason…> [--ticket ID]`: ask without the form "
         "(durations like `30m`, `1h30m`, `2h`)\n"
         "• `/jit request prod,staging <role> …`: the same role on several accounts (up to " +
         std::to_string(limits::kMaxBundleAccounts) +
         ", comma-separated; the form's \"Also for these accounts\" does the same): each account becomes a request "
         "of its own, decided by its own approvers and ending on its own\n"
         "• `/jit list`: your pending requests and active grants\n"
         "• `/jit release <id>`: end your grant now\n"
         "• `/jit extend <id> <duration> <reason…>`: ask for more time on your active grant (an approver "
         "decides; counted from the approval)\n"
         "• `/jit cancel <id>`: withdraw a pending request\n"
         "• `/jit enroll`: a single-use link to register a security key (roles that need a step-up to approve)\n"
         "• `/jit enroll list`: your security keys\n"
         "• `/jit enroll remove <id prefix or name>`: remove one of them\n"
         "• `/jit help`: this message";
}

}  // namespace jit::slack
