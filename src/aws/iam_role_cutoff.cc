// IamRoleProvider's session cut-off (issues 14 and 16): the deny statements of ours in the elevated
// role's inline policy "jit-access-cutoffs", keyed on aws:SourceIdentity, read-modify-written under
// the role's lock. IAM applies an inline policy itself: no provisioning, only propagation reads.
#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "aws/cutoff_policy.h"
#include "aws/iam_role_internal.h"

namespace jit::aws {
namespace {

using iam::logged;
constexpr auto kSourceIdentity = cutoff::PrincipalKey::source_identity;

// PutRolePolicy of `text`; DeleteRolePolicy instead when `empty` (IAM takes no policy without a
// statement), a policy already gone counting as deleted.
Result<> put_role_policy(AwsQueryApi& api, const std::string& role_name, const std::string& name,
                         const std::string& role_arn, const std::string& text, bool empty) {
  if (empty) {
    auto r = api.call("DeleteRolePolicy", {{"RoleName", role_name}, {"PolicyName", name}});
    if (!r && r.error().code != "NoSuchEntity") return fail(iam::error_of("DeleteRolePolicy", role_arn, r.error()));
    return {};
  }
  auto r = api.call("PutRolePolicy", {{"RoleName", role_name}, {"PolicyName", name}, {"PolicyDocument", text}});
  if (!r) return fail(iam::error_of("PutRolePolicy", role_arn, r.error()));
  return {};
}

}  // namespace

Result<std::string> iam::get_role_policy(AwsQueryApi& api, const std::string& role_name, const std::string& name,
                                         const std::string& role_arn) {
  auto reply = api.call("GetRolePolicy", {{"RoleName", role_name}, {"PolicyName", name}});
  if (!reply) {
    if (reply.error().code == "NoSuchEntity") return std::string();
    return fail(iam::error_of("GetRolePolicy", role_arn, reply.error()));
  }
  auto document = reply->text("GetRolePolicyResult/PolicyDocument");
  if (!document)
    return fail(Error::Unavailable(
        fmt::format("iam GetRolePolicy: the reply has no PolicyDocument (role {}, policy {})", role_arn, name)));
  return iam::policy_document_of(*document);
}

Result<CutoffArmed> IamRoleProvider::arm_cutoff(const SessionCutoff& cutoff) { return logged(arm(cutoff)); }

Result<int> IamRoleProvider::prune_cutoffs(const std::string& role_arn) { return logged(prune(role_arn)); }

// Long on purpose (~60 lines): the edit of one arming (prune, clamp, merge, size check) and the
// check of its reads sit beside the rewrite they drive.
Result<CutoffArmed> IamRoleProvider::arm(const SessionCutoff& c) {
  const auto& arn = c.assignment.permission_set_arn;
  auto target = target_of(c.assignment.account_id, arn);
  if (!target) return fail(target.error());
  Deadline deadline(clock_, config_.options.operation_deadline);
  WriteLock lock(role_locks_, "iam-role:" + arn);
  if (auto held = lock.acquire(deadline); !held) return fail(held.error());
  auto role = iam::get_role(*target->iam, target->role_name, arn);
  if (!role) return fail(role.error());
  const Seconds duration = role->max_session_duration.value_or(cutoff::kDefaultSessionDuration);
  const std::string& name = config_.options.cutoff_policy_name;
  const cutoff::Json statement = cutoff::statement_of(c, kSourceIdentity);
  const auto ours = cutoff::read_statement(statement);
  CutoffArmed out;
  out.size_limit = cutoff::kSizeLimit;
  Rewrite document{
      "inline policy " + name,
      [&] { return iam::get_role_policy(*target->iam, target->role_name, name, arn); },
      [&](const std::string& text, bool empty) {
        return put_role_policy(*target->iam, target->role_name, name, arn, text, empty);
      },
      [&](cutoff::Policy& policy) -> Result<> {
        const TimePoint now = clock_.now();
        const auto existing = cutoff::cutoffs_in(policy);
        out.pruned = cutoff::prune(policy, now, duration);
        cutoff::clamp(policy, c, now);
        cutoff::merge(policy, statement);
        out.size = cutoff::policy_size(cutoff::render(policy));
        if (!cutoff::full(out.size)) return {};
        int live = 0;
        std::optional<TimePoint> next_free;
        for (const auto& s : existing) {
          if (s.sid == cutoff::sid_of(c.grant_id) || s.sessions_before + duration < now) continue;
          ++live;
          next_free = std::min(next_free.value_or(TimePoint::max()), s.sessions_before + duration + Seconds{1});
        }
        return fail(Error::Denied(fmt::format(
            "role {} has {} live session cut-offs and no room in its inline policy {} for another ({} of {} "
            "characters with it); the next frees at {}",
            arn, live, name, out.size, out.size_limit,
            next_free ? format_time(*next_free) : std::string("(none of ours)"))));
      },
      [&](const cutoff::Policy& policy) {
        const auto listed = cutoff::cutoffs_in(policy);
        return ours && std::ranges::find(listed, *ours) != listed.end();
      }};
  auto rewritten = rewrite(*target, document, deadline);
  if (!rewritten) return fail(rewritten.error());
  out.statements = static_cast<int>(cutoff::cutoffs_in(rewritten->policy).size());
  out.size = cutoff::policy_size(cutoff::render(rewritten->policy));
  out.provisioning = rewritten->propagation;
  spdlog::info("event=iam_cutoff_armed role={} account={} sid={} statements={} pruned={} size={} propagation_ms={}",
               arn, c.assignment.account_id, cutoff::sid_of(c.grant_id), out.statements, out.pruned, out.size,
               out.provisioning.count());
  return out;
}

Result<int> IamRoleProvider::prune(const std::string& role_arn) {
  auto target = target_of(iam::account_of(role_arn), role_arn);
  if (!target) return fail(target.error());
  Deadline deadline(clock_, config_.options.operation_deadline);
  WriteLock lock(role_locks_, "iam-role:" + role_arn);
  if (auto held = lock.acquire(deadline); !held) return fail(held.error());
  auto role = iam::get_role(*target->iam, target->role_name, role_arn);
  if (!role) return fail(role.error());
  const Seconds duration = role->max_session_duration.value_or(cutoff::kDefaultSessionDuration);
  const std::string& name = config_.options.cutoff_policy_name;
  auto text = iam::get_role_policy(*target->iam, target->role_name, name, role_arn);
  if (!text) return fail(text.error());
  auto policy = cutoff::parse_policy(*text);
  if (!policy)
    return fail(Error::Invalid(fmt::format("role {}: its inline policy {} cannot be read: {}", role_arn, name,
                                           policy.error().message)));
  const int pruned = cutoff::prune(*policy, clock_.now(), duration);
  if (pruned == 0) return 0;
  const bool empty = policy->document["Statement"].empty();
  if (auto put = put_role_policy(*target->iam, target->role_name, name, role_arn, cutoff::render(*policy), empty); !put)
    return fail(put.error());
  spdlog::info("event=iam_cutoffs_pruned role={} pruned={} deleted={}", role_arn, pruned, empty);
  return pruned;
}

}  // namespace jit::aws
