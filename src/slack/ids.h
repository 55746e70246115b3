// The ids JIT Access gives to what it shows in Slack, and reads back from Slack's payloads: button
// action ids, modal callback ids, and the block and action ids of modal fields. One place, so the
// rendering, the inbound handler, the demo and the tests agree.
#pragma once

namespace jit::slack {

// Buttons of the owner-channel message; their value is the request id.
inline constexpr char kApproveAction[] = "jit_approve";
inline constexpr char kDenyAction[] = "jit_deny";
// "Request more time" in the requester's active-grant and expiry-warning messages (issue 17); its
// value is the grant's request id.
inline constexpr char kExtendAction[] = "jit_extend";

// Buttons of the Home tab (issue 17) on the user's own requests; their value is the request id.
// The Home tab's Approve and Deny are the owner-channel message's (kApproveAction, kDenyAction).
inline constexpr char kReleaseAction[] = "jit_release";  // ends an active grant early
inline constexpr char kCancelAction[] = "jit_cancel";    // withdraws a pending request

// Modal callback ids.
inline constexpr char kRequestModal[] = "jit_request";  // the /jit request form
inline constexpr char kDenyModal[] = "jit_deny";        // the deny form; private_metadata is the request id

// Modal fields: each input block and its element share the id.
inline constexpr char kAccountField[] = "account";
inline constexpr char kRoleField[] = "role";
inline constexpr char kDurationField[] = "duration";
inline constexpr char kReasonField[] = "reason";
inline constexpr char kTicketField[] = "ticket";
// Several accounts in one request (issue 17): a multi-select of the other accounts with the
// chosen role; each one picked becomes a request of its own.
inline constexpr char kAlsoAccountsField[] = "also_accounts";

}  // namespace jit::slack
