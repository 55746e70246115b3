// What a person typed after /jit, parsed. Pure: no Slack, no engine.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace jit::slack {

struct OpenModal {};  // "/jit" alone
struct Help {};       // "/jit help"
struct ListMine {};   // "/jit list"
struct RequestAccess {
  std::string account;  // the first account named
  // Several accounts in one request (issue 17): "/jit request prod,staging admin 1h ..." names
  // "prod" in `account` and the others here, in order (at most limits::kMaxBundleAccounts in all).
  std::vector<std::string> more_accounts;
  std::string role;
  std::string duration;
  std::string reason;
  std::string ticket;  // from "--ticket X" or "ticket=X" anywhere after the duration
};
struct Release {
  std::string request_id;
};
struct Cancel {
  std::string request_id;
};
// "/jit extend <grant id> <duration> <reason…>": more time on one's active grant (issue 17), a new
// request decided by approvers like any other.
struct Extend {
  std::string request_id;
  std::string duration;
  std::string reason;
};
// "/jit enroll": a single-use link to register a security key (WebAuthn step-up, issue 15).
struct Enroll {};
// "/jit enroll list": the person's enrolled credentials.
struct EnrollList {};
// "/jit enroll remove <id-prefix-or-name> [<@U…>]": removes one of the person's credentials, or
// (a jit admin) one of `owner`'s.
struct EnrollRemove {
  std::string credential;  // a credential id prefix (at least 8 characters) or a credential's name
  std::string owner;       // the Slack user id from a "<@U…>" mention; "" = the person typing
};
// Anything else: `message` says what was wrong and how to say it right.
struct Unknown {
  std::string message;
};

using Command = std::variant<OpenModal, Help, ListMine, RequestAccess, Release, Cancel, Extend, Enroll, EnrollList,
                             EnrollRemove, Unknown>;

// Text longer than limits::kMaxCommandBytes is refused (Unknown, naming the limit) before parsing.
Command parse_command(std::string_view text);

// The reply to "/jit help" (and the tail of every Unknown reply).
std::string help_text();

}  // namespace jit::slack
