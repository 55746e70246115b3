// Bounds on every piece of text a person can send, checked before any other work is done with it.
// Each is in Unicode code points (characters as people count them) unless it says bytes.
#pragma once

#include <cstddef>

namespace jit::limits {

// A ticket id such as OPS-1234 or a Jira key: far shorter in practice; long enough for a URL-ish id.
// Also keeps the admin's ticket_pattern matching cheap.
inline constexpr std::size_t kMaxTicketLength = 64;
// The ceiling of a request's reason. Policy's reason_max_length (default 500) may lower it, never
// raise it: the loader refuses a larger value. 3000 is the most Slack's request form can take (a
// plain_text_input's max_length is at most 3000), so a reason that fits the form fits every path.
inline constexpr std::size_t kMaxReasonLength = 3000;
// The reason an approver gives when denying; shown to the requester and written to the audit log.
inline constexpr std::size_t kMaxDenyReasonLength = 500;
// The whole text of a slash command (bytes), refused before it is parsed. A request with an ASCII
// reason of kMaxReasonLength and a ticket fits; a longer reason belongs in the request form.
inline constexpr std::size_t kMaxCommandBytes = 5000;
// A request id as it comes back from Slack (a button's value, a form's private_metadata, the id in
// `/jit cancel <id>`): ours are 9 characters; anything past this is not one of ours, and is refused
// before it is looked up or echoed.
inline constexpr std::size_t kMaxRequestIdLength = 64;
// An account, role or duration as chosen in the request form (names, ids, "1h30m"). The policy
// loader refuses longer account and role names, so each fits a Slack option value (150).
inline constexpr std::size_t kMaxChoiceLength = 100;
// Several accounts in one request (issue 17): the most accounts one request form or
// `/jit request a,b,c ...` may name, the first account included. Each becomes its own request
// (its own owner-channel message, approvals and expiry), so this bounds what one click files.
inline constexpr std::size_t kMaxBundleAccounts = 10;

}  // namespace jit::limits
