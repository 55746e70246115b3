// IdentityCenterProvider's session cut-off (issue 14): the read-modify-write of a permission set's
// inline policy, serialised per permission set, then provisioned to the grant's account.
#include <algorithm>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "aws/cutoff_policy.h"
#include "aws/identity_center.h"
#include "aws/identity_center_internal.h"

namespace jit::aws {
namespace {

using json = nlohmann::json;
using Millis = std::chrono::milliseconds;
using detail::logged;
using detail::string_member;

// Rounds of Get -> Put -> Provision -> re-Get before a statement that keeps vanishing is an error.
constexpr int kMaxArmRounds = 3;

}  // namespace

Result<std::string> IdentityCenterProvider::get_inline_policy(const std::string& permission_set_arn) {
  auto r = sso_admin_.call("GetInlinePolicyForPermissionSet",
                           {{"InstanceArn", config_.instance_arn}, {"PermissionSetArn", permission_set_arn}});
  if (!r) return fail(logged(error_from_aws("sso-admin GetInlinePolicyForPermissionSet", r.error())));
  return string_member(*r, "InlinePolicy");
}

Result<> IdentityCenterProvider::put_inline_policy(const std::string& permission_set_arn, const std::string& document,
                                                   bool empty) {
  const json target = {{"InstanceArn", config_.instance_arn}, {"PermissionSetArn", permission_set_arn}};
  if (empty) {
    auto r = sso_admin_.call("DeleteInlinePolicyFromPermissionSet", target);
    if (!r && r.error().code != "ResourceNotFoundException")
      return fail(logged(error_from_aws("sso-admin DeleteInlinePolicyFromPermissionSet", r.error())));
    return {};
  }
  json input = target;
  input["InlinePolicy"] = document;
  auto r = sso_admin_.call("PutInlinePolicyToPermissionSet", input);
  if (!r) return fail(logged(error_from_aws("sso-admin PutInlinePolicyToPermissionSet", r.error())));
  return {};
}

Seconds IdentityCenterProvider::session_duration(const std::string& permission_set_arn) {
  const TimePoint now = clock_.now();
  std::optional<Seconds> known;
  {
    std::lock_guard lock(duration_mutex_);
    if (auto it = durations_.find(permission_set_arn); it != durations_.end()) {
      if (now < it->second.expires_at) return it->second.duration;
      known = it->second.duration;
    }
  }
  auto r = sso_admin_.call("DescribePermissionSet",
                           {{"InstanceArn", config_.instance_arn}, {"PermissionSetArn", permission_set_arn}});
  std::optional<Seconds> described;
  if (r && r->contains("PermissionSet"))
    described = cutoff::parse_duration(string_member((*r)["PermissionSet"], "SessionDuration"));
  if (!described) {
    spdlog::warn("event=session_duration_unknown permission_set={} code={}; assuming {}", permission_set_arn,
                 r ? "(no SessionDuration)" : r.error().code,
                 known ? fmt::format("{} s seen before", known->count()) : std::string("PT12H"));
    return known.value_or(cutoff::kDefaultSessionDuration);
  }
  const Seconds duration = std::max(*described, known.value_or(Seconds{0}));
  std::lock_guard lock(duration_mutex_);
  durations_[permission_set_arn] = {duration, now + config_.options.principal_cache_ttl};
  return duration;
}

Result<CutoffArmed> IdentityCenterProvider::arm_cutoff(const SessionCutoff& cutoff) {
  const auto& arn = cutoff.assignment.permission_set_arn;
  Deadline deadline(clock_, config_.options.operation_deadline);
  WriteLock lock(policy_locks_, "cutoff:" + arn);
  if (auto held = lock.acquire(deadline); !held) return fail(logged(held.error()));
  for (int round = 1;; ++round) {
    auto armed = arm_once(cutoff, deadline);
    if (!armed) return fail(armed.error());
    if (armed->second) return armed->first;
    if (round >= kMaxArmRounds || deadline.remaining() <= Millis{0})
      return fail(logged(Error::Unavailable(fmt::format(
          "sso-admin PutInlinePolicyToPermissionSet: statement {} of {} was overwritten {} times after provisioning "
          "(another writer without the lock?); retry",
          cutoff::sid_of(cutoff.grant_id), arn, round))));
    spdlog::warn("event=cutoff_overwritten permission_set={} sid={} round={}", arn, cutoff::sid_of(cutoff.grant_id),
                 round);
  }
}

// Long on purpose (~50 lines): one read-modify-write of the policy, its checks and its
// provisioning read best as one sequence.
Result<std::pair<CutoffArmed, bool>> IdentityCenterProvider::arm_once(const SessionCutoff& c, Deadline& deadline) {
  const auto& arn = c.assignment.permission_set_arn;
  const Seconds duration = session_duration(arn);
  auto text = get_inline_policy(arn);
  if (!text) return fail(text.error());
  auto policy = cutoff::parse_policy(*text);
  if (!policy)
    return fail(logged(Error::Invalid(fmt::format(
        "permission set {}: its inline policy cannot be read, so no cut-off is armed and it is left as it is: {}", arn,
        policy.error().message))));
  const std::string before = cutoff::render(*policy);
  const TimePoint now = clock_.now();
  const std::vector<cutoff::CutoffStatement> existing = cutoff::cutoffs_in(*policy);
  CutoffArmed out;
  out.pruned = cutoff::prune(*policy, now, duration);
  cutoff::clamp(*policy, c, now);
  const cutoff::Json statement = cutoff::statement_of(c);
  cutoff::merge(*policy, statement);
  const std::string rendered = cutoff::render(*policy);
  out.size = cutoff::policy_size(rendered);
  out.size_limit = cutoff::kSizeLimit;
  out.statements = static_cast<int>(cutoff::cutoffs_in(*policy).size());
  if (cutoff::full(out.size)) {
    const std::string sid = cutoff::sid_of(c.grant_id);
    int live = 0;
    std::optional<TimePoint> next_free;
    for (const auto& s : existing) {
      if (s.sid == sid || s.sessions_before + duration < now) continue;
      ++live;
      next_free = std::min(next_free.value_or(TimePoint::max()), s.sessions_before + duration + Seconds{1});
    }
    return fail(logged(Error::Denied(fmt::format(
        "permission set {} has {} live session cut-offs and no room for another ({} of {} characters with it); the "
        "next frees at {}",
        arn, live, out.size, out.size_limit, next_free ? format_time(*next_free) : std::string("(none of ours)")))));
  }
  const Millis written_at = deadline.elapsed();
  if (rendered != before) {
    if (auto put = put_inline_policy(arn, rendered, false); !put) return fail(put.error());
  }
  if (auto provisioned = provision(arn, c.assignment.account_id, deadline); !provisioned)
    return fail(provisioned.error());
  out.provisioning = deadline.elapsed() - written_at;

  // The belt: a writer that did not take the lock would have dropped our statement.
  auto again = get_inline_policy(arn);
  if (!again) return fail(again.error());
  auto reread = cutoff::parse_policy(*again);
  const auto ours = cutoff::read_statement(statement);
  bool present = false;
  if (reread) {
    const auto listed = cutoff::cutoffs_in(*reread);
    present = ours && std::ranges::find(listed, *ours) != listed.end();
  }
  spdlog::info("event=cutoff_armed permission_set={} account={} sid={} statements={} pruned={} size={} "
               "provisioning_ms={} present={}",
               arn, c.assignment.account_id, cutoff::sid_of(c.grant_id), out.statements, out.pruned, out.size,
               out.provisioning.count(), present);
  return std::pair{out, present};
}

Result<int> IdentityCenterProvider::prune_cutoffs(const std::string& permission_set_arn) {
  Deadline deadline(clock_, config_.options.operation_deadline);
  WriteLock lock(policy_locks_, "cutoff:" + permission_set_arn);
  if (auto held = lock.acquire(deadline); !held) return fail(logged(held.error()));
  const Seconds duration = session_duration(permission_set_arn);
  auto text = get_inline_policy(permission_set_arn);
  if (!text) return fail(text.error());
  auto policy = cutoff::parse_policy(*text);
  if (!policy)
    return fail(logged(Error::Invalid(
        fmt::format("permission set {}: its inline policy cannot be read: {}", permission_set_arn, policy.error().message))));
  const int pruned = cutoff::prune(*policy, clock_.now(), duration);
  if (pruned == 0) return 0;
  const bool empty = policy->document["Statement"].empty();
  if (auto put = put_inline_policy(permission_set_arn, cutoff::render(*policy), empty); !put) return fail(put.error());
  spdlog::info("event=cutoffs_pruned permission_set={} pruned={}", permission_set_arn, pruned);
  return pruned;
}

}  // namespace jit::aws
