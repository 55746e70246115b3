// The app's Home tab (issue 17): what a person sees when they open JIT Access in Slack. Their own
// grants with the time left, a Release button and "Request more time" (the active-grant DM's
// extension, or the extension already asked for), their own requests still waiting with Cancel,
// and, for an approver, the requests they may decide on now with Approve and Deny (the
// owner-channel message's buttons: the same action ids, the value only the request id, so the
// click goes through the same decision path). Pure: built from rows re-read from the store
// (slack/home_tab.h reads them) and policy; every text a person typed is escaped.
//
// Bounded: each list shows at most its cap and then says how many more there are, so the view
// never passes Slack's 100 blocks (kHomeMaxBlocks) whatever the store holds.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model.h"
#include "core/policy.h"

namespace jit::slack {

// Slack's limit on a Home tab view's blocks.
inline constexpr std::size_t kHomeMaxBlocks = 100;
// How many of each list the view shows; the rest is counted ("…and N more").
inline constexpr std::size_t kHomeGrantsShown = 10;
inline constexpr std::size_t kHomeRequestsShown = 10;
inline constexpr std::size_t kHomeDecisionsShown = 20;

struct HomeContent {
  // The person's own requests holding access (granting, active, revoking), newest first.
  std::vector<AccessRequest> grants;
  // The person's own requests not granted yet (pending, approved), newest first.
  std::vector<AccessRequest> requests;
  // Whether the person approves anything under policy now: only then is the decision list shown.
  bool approver = false;
  // The requests the person may decide on now (Engine::awaiting_decision), newest first.
  std::vector<AccessRequest> to_decide;
  // to_decide was cut at the store read's bound: there may be more than it holds.
  bool to_decide_cut = false;
  // A list that could not be read, in words (shown instead of it); "" when all were read.
  std::string problem;
};

// The view for views.publish: {"type":"home","blocks":[...]}, at most kHomeMaxBlocks blocks, each
// text within Slack's limits (fit_view). `now` gives the time left of each grant and the "updated"
// line; `dry_run` puts the dry-run banner first.
nlohmann::json home_view(const HomeContent& content, const Policy& policy, TimePoint now, bool dry_run = false);

// "1h12m left", "under a minute left", "ending" (past its expiry): the time left of a grant
// expiring at `expires_at`, in whole minutes rounded down.
std::string time_left(TimePoint expires_at, TimePoint now);

}  // namespace jit::slack
