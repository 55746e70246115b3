// Several accounts in one request (issue 17): each account filed through submit's own path.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace jit {

Result<BundleOutcome> Engine::submit_bundle(const BundleCommand& cmd) {
  auto who = identity_of(cmd.requester);
  if (!who) return fail(who.error());
  const auto policy = this->policy();
  // A plain mistake files nothing: every account is checked as a request on its own would be, and
  // for a request already open, before the first is filed.
  auto checked = check_bundle(*policy, RequestDraft{*who, "", cmd.role, cmd.duration, cmd.reason, cmd.ticket},
                              cmd.accounts);
  if (!checked)
    return fail(Error{checked.error().error.code, refusal_text(checked.error()) + "; nothing was filed"});
  if (auto standing = standing_of(cmd.requester, *policy); !standing) return fail(standing.error());
  for (std::size_t i = 0; i < checked->size(); ++i) {
    const CheckedRequest& c = (*checked)[i];
    auto open = engine_internal::open_request_of(store_, cmd.requester, c.account->name, c.role->name);
    if (!open) return fail(open.error());
    if (*open)
      return fail(Error::Conflict(
          refusal_text({c.account->name, engine_internal::duplicate_of(**open), i}) + "; nothing was filed"));
  }

  BundleOutcome out;
  for (std::size_t i = 0; i < checked->size(); ++i) {
    const CheckedRequest& c = (*checked)[i];
    auto filed = file_request({cmd.requester, c.account->name, cmd.role, cmd.duration, cmd.reason, cmd.ticket},
                              &out.bundle);
    if (filed) {
      out.filed.push_back(std::move(*filed));
    } else {
      spdlog::warn("event=bundle_account_not_filed requester={} account={} error=\"{}\"", cmd.requester,
                   c.account->name, filed.error().message);
      out.not_filed.push_back({c.account->name, filed.error(), i});
    }
  }
  spdlog::info("event=submit_bundle bundle={} requester={} role={} filed={} not_filed={}", out.bundle, cmd.requester,
               cmd.role, out.filed.size(), out.not_filed.size());
  if (auto n = chat_.notify_bundle(cmd.requester, out); !n)
    spdlog::warn("event=chat_notify_failed bundle={} error=\"{}\"", out.bundle, n.error().message);
  return out;
}

}  // namespace jit
