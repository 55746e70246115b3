// IamRoleProvider: grants as time-conditioned trust statements on the elevated role (issue 16).
#include "aws/iam_role_provider.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "aws/identity_center.h"
#include "aws/iam_role_internal.h"
#include "core/user_text.h"
#include "net/http.h"

namespace jit::aws {
namespace {

using Millis = std::chrono::milliseconds;
using iam::logged;

// The grant id and source identity `inspect` measures room with: a request id as the engine makes
// them ("r" and 8 letters or digits) and the longest source identity, so the room it reports is
// never more than there is for people with shorter addresses.
constexpr char kSampleGrantId[] = "r23456789";
constexpr std::size_t kMaxSourceIdentity = 64;

// STS's pattern for a source identity, [\w+=,.@-] (\w: ASCII letters, digits and the underscore).
bool source_identity_char(unsigned char c) { return std::isalnum(c) != 0 || std::string_view("_+=,.@-").contains(c); }

Result<> check_source_identity(std::string_view identity) {
  if (identity.size() < 2 || identity.size() > kMaxSourceIdentity ||
      !std::all_of(identity.begin(), identity.end(), source_identity_char))
    return fail(Error::Invalid(fmt::format(
        "\"{}\" cannot be a source identity (2 to 64 of the characters A-Z a-z 0-9 _ + = , . @ -): the IAM-role path "
        "knows people by the e-mail their base sessions carry as aws:SourceIdentity",
        user_text::printable_excerpt(identity, 100))));
  return {};
}

struct TrustRead {
  iam::RoleRead role;
  trust::Policy policy;
};

// GetRole, and its trust policy parsed: Errc::invalid when that cannot be read.
Result<TrustRead> read_trust(AwsQueryApi& api, const std::string& role_name, const std::string& role_arn) {
  auto role = iam::get_role(api, role_name, role_arn);
  if (!role) return fail(role.error());
  auto policy = cutoff::parse_policy(role->trust_policy);
  if (!policy)
    return fail(Error::Invalid(
        fmt::format("role {}: its trust policy cannot be read: {}", role_arn, policy.error().message)));
  return TrustRead{std::move(*role), std::move(*policy)};
}

}  // namespace

namespace iam {

std::string account_of(std::string_view arn) {
  constexpr std::size_t kAccountField = 4;
  std::size_t start = 0;
  for (std::size_t field = 0; field < kAccountField; ++field) {
    start = arn.find(':', start);
    if (start == std::string_view::npos) return "";
    ++start;
  }
  const std::size_t end = arn.find(':', start);
  return end == std::string_view::npos ? "" : std::string(arn.substr(start, end - start));
}

std::string policy_document_of(std::string_view reply_text) {
  const auto first = reply_text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && reply_text[first] == '{') return std::string(reply_text);
  return net::percent_decode(reply_text, /*plus_is_space=*/false);
}

// Our grant statements whose window is still open at `now`.
std::vector<trust::TrustGrant> open_windows(const trust::Policy& policy, TimePoint now) {
  auto grants = trust::grants_in(policy);
  std::erase_if(grants, [&](const trust::TrustGrant& g) { return !(now < g.expires_at); });
  return grants;
}

Error logged(Error error) {
  spdlog::warn("event=iam_role_failed code={} error=\"{}\"", errc_name(error.code), error.message);
  return error;
}

Error error_of(std::string_view action, const std::string& role_arn, const AwsError& error) {
  static constexpr std::array<std::string_view, 6> kTransient = {
      "Throttling", "RequestLimitExceeded", "ConcurrentModification", "ServiceFailure", "ServiceUnavailable",
      "ExpiredToken"};
  static constexpr std::array<std::string_view, 4> kDenied = {"AccessDenied", "LimitExceeded", "InvalidClientTokenId",
                                                              "SignatureDoesNotMatch"};
  Error out = error_from_aws(fmt::format("iam {}", action), error);
  out.message += fmt::format(" (role {})", role_arn);
  if (std::ranges::find(kTransient, error.code) != kTransient.end()) out.code = Errc::unavailable;
  else if (std::ranges::find(kDenied, error.code) != kDenied.end()) out.code = Errc::denied;
  return out;
}

Result<RoleRead> get_role(AwsQueryApi& api, const std::string& role_name, const std::string& role_arn) {
  auto reply = api.call("GetRole", {{"RoleName", role_name}});
  if (!reply) {
    if (reply.error().code == "NoSuchEntity")
      return fail(Error::NotFound(fmt::format("iam GetRole: NoSuchEntity: role {} does not exist: {}", role_arn,
                                              reply.error().message)));
    return fail(error_of("GetRole", role_arn, reply.error()));
  }
  auto document = reply->text("GetRoleResult/Role/AssumeRolePolicyDocument");
  if (!document)
    return fail(Error::Unavailable(fmt::format("iam GetRole: the reply has no AssumeRolePolicyDocument (role {})",
                                               role_arn)));
  RoleRead out{policy_document_of(*document), std::nullopt};
  if (auto duration = reply->text("GetRoleResult/Role/MaxSessionDuration")) {
    long long seconds = 0;
    const auto [end, ec] = std::from_chars(duration->data(), duration->data() + duration->size(), seconds);
    if (ec == std::errc{} && end == duration->data() + duration->size() && seconds > 0)
      out.max_session_duration = Seconds{seconds};
  }
  return out;
}

}  // namespace iam

IamRoleProvider::IamRoleProvider(IamRoleConfig config, const Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      role_locks_(clock, {config_.locks, config_.lock_owner, config_.options.operation_deadline + config_.lock_margin}) {
  auto& o = config_.options;
  o.propagation_reads = std::max(o.propagation_reads, 1);
  o.propagation_poll = std::max(o.propagation_poll, Millis{1});
  o.max_rewrites = std::max(o.max_rewrites, 0);
}

Result<std::string> IamRoleProvider::role_name_of(std::string_view role_arn) {
  const auto invalid = [&] {
    return fail(Error::Invalid(fmt::format(
        "{} is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<optional path/><name>)", role_arn)));
  };
  const std::string account = iam::account_of(role_arn);
  if (!role_arn.starts_with("arn:") || account.size() != 12 ||
      !std::all_of(account.begin(), account.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
    return invalid();
  const std::string_view head = role_arn.substr(0, role_arn.find(':', 4));  // "arn:<partition>"
  const std::string_view rest = role_arn.substr(head.size());
  if (!rest.starts_with(":iam::" + account + ":role/")) return invalid();
  const std::string_view name = role_arn.substr(role_arn.rfind('/') + 1);
  if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '_' || std::string_view("+=,.@-").contains(c);
      }))
    return invalid();
  return std::string(name);
}

Result<IamRoleProvider::Target> IamRoleProvider::target_of(const std::string& account_id, const std::string& role_arn) {
  auto account = config_.account ? config_.account(account_id) : std::nullopt;
  if (!account)
    return fail(Error::Invalid(fmt::format("account {} is not an iam-role account in policy", account_id)));
  auto name = role_name_of(role_arn);
  if (!name) return fail(name.error());
  if (iam::account_of(role_arn) != account_id)
    return fail(Error::Invalid(fmt::format("role {} is not in account {}", role_arn, account_id)));
  if (!config_.iam_for) return fail(Error::Invalid("the IAM-role path has no IAM client configured"));
  auto api = config_.iam_for(*account);
  if (!api) return fail(api.error());
  if (!*api) return fail(Error::Unavailable(fmt::format("no IAM client for account {}", account_id)));
  return Target{std::move(*account), role_arn, std::move(*name), std::move(*api)};
}

Result<std::string> IamRoleProvider::resolve_principal(const std::string& email, const std::string& target_arn) {
  if (auto name = role_name_of(target_arn); !name) return fail(logged(name.error()));
  const std::string account_id = iam::account_of(target_arn);
  auto account = config_.account ? config_.account(account_id) : std::nullopt;
  if (!account)
    return fail(logged(Error::Invalid(fmt::format("account {} is not an iam-role account in policy", account_id))));
  const std::string identity = source_identity_of(email, account->source_identity);
  if (auto checked = check_source_identity(identity); !checked) return fail(logged(checked.error()));
  return identity;
}

// Long on purpose (~60 lines): one read-modify-write round after another, each with its
// propagation reads, reads best as one sequence.
Result<IamRoleProvider::Rewritten> IamRoleProvider::rewrite(const Target& target, const Rewrite& document,
                                                            Deadline& deadline) {
  const auto& o = config_.options;
  for (int round = 0;; ++round) {
    auto text = document.read();
    if (!text) return fail(text.error());
    auto policy = cutoff::parse_policy(*text);
    if (!policy)
      return fail(Error::Invalid(fmt::format("role {}: its {} cannot be read, so it is left as it is: {}",
                                             target.role_arn, document.what, policy.error().message)));
    const std::string before = cutoff::render(*policy);
    if (auto edited = document.edit(*policy); !edited) return fail(edited.error());
    const std::string after = cutoff::render(*policy);
    Rewritten out{*policy, false, Millis{0}};
    if (after == before) return out;  // the read shows the change already: nothing to write or wait for
    if (auto written = document.write(after, policy->document["Statement"].empty()); !written)
      return fail(written.error());
    out.written = true;
    const Millis written_at = deadline.elapsed();
    // IAM is eventually consistent: reads right after the write may still show the document as it
    // was (that is waited out); a document that is neither ours nor the old one was changed by
    // someone else after our write, and the change is made again on it.
    int seen = 0;
    bool changed_under_us = false;
    while (seen < o.propagation_reads && !changed_under_us) {
      const Millis remaining = deadline.remaining();
      if (remaining <= Millis{0})
        return fail(Error::Unavailable(fmt::format(
            "role {}: the change to its {} was written but not seen in {} reads in a row within {} ms; retry (the "
            "call is idempotent)",
            target.role_arn, document.what, o.propagation_reads, deadline.limit().count())));
      clock_.sleep_for(std::min(o.propagation_poll, remaining));
      auto again = document.read();
      if (!again) {
        if (again.error().code == Errc::unavailable) continue;
        return fail(again.error());
      }
      auto reread = cutoff::parse_policy(*again);
      if (reread && document.done(*reread)) ++seen;
      else if (reread && cutoff::render(*reread) == before) seen = 0;
      else changed_under_us = true;
    }
    if (!changed_under_us) {
      out.propagation = deadline.elapsed() - written_at;
      return out;
    }
    if (round >= o.max_rewrites)
      return fail(Error::Unavailable(fmt::format(
          "role {}: its {} was changed under us after each of {} writes (another writer without the lock?); retry",
          target.role_arn, document.what, round + 1)));
    spdlog::warn("event=iam_role_rewrite role={} document=\"{}\" round={}", target.role_arn, document.what, round + 1);
  }
}

Result<IamRoleProvider::Rewritten> IamRoleProvider::rewrite_trust(
    const Target& target, const std::function<Result<>(trust::Policy&)>& edit,
    const std::function<bool(const trust::Policy&)>& done) {
  Deadline deadline(clock_, config_.options.operation_deadline);
  WriteLock lock(role_locks_, "iam-role:" + target.role_arn);
  if (auto held = lock.acquire(deadline); !held) return fail(held.error());
  Rewrite document{
      "trust policy",
      [&]() -> Result<std::string> {
        auto role = iam::get_role(*target.iam, target.role_name, target.role_arn);
        if (!role) return fail(role.error());
        return std::move(role->trust_policy);
      },
      [&](const std::string& text, bool) -> Result<> {
        auto r = target.iam->call("UpdateAssumeRolePolicy", {{"RoleName", target.role_name}, {"PolicyDocument", text}});
        if (!r) return fail(iam::error_of("UpdateAssumeRolePolicy", target.role_arn, r.error()));
        return {};
      },
      edit, done};
  return rewrite(target, document, deadline);
}

Result<> IamRoleProvider::grant(const Assignment& assignment, const GrantTerms& terms) {
  return logged([&]() -> Result<> {
    auto target = target_of(assignment.account_id, assignment.permission_set_arn);
    if (!target) return fail(target.error());
    if (auto checked = check_source_identity(assignment.principal); !checked) return fail(checked.error());
    const trust::TrustGrant grant{terms.grant_id, target->account.base_principal_arn, assignment.principal,
                                  terms.expires_at};
    const int limit = config_.options.trust_policy_size_limit;
    auto edit = [&](trust::Policy& policy) -> Result<> {
      const TimePoint now = clock_.now();
      trust::prune(policy, now);
      const auto live = trust::grants_in(policy);
      trust::merge(policy, grant);
      const int size = cutoff::policy_size(cutoff::render(policy));
      if (size <= limit) return {};
      const std::string sid = trust::sid_of(grant.grant_id);
      int others = 0;
      std::optional<TimePoint> next_close;
      for (const auto& g : live) {
        if (trust::sid_of(g.grant_id) == sid) continue;
        ++others;
        next_close = std::min(next_close.value_or(TimePoint::max()), g.expires_at);
      }
      return fail(Error::Denied(fmt::format(
          "role {} has {} live grants and no room in its trust policy for another ({} of {} characters with it); the "
          "next window closes at {}",
          target->role_arn, others, size, limit, next_close ? format_time(*next_close) : std::string("(none of ours)"))));
    };
    auto done = [&](const trust::Policy& policy) {
      const auto grants = trust::grants_in(policy);
      return std::ranges::find(grants, trust::read_statement(trust::statement_of(grant)).value_or(grant)) !=
             grants.end();
    };
    auto rewritten = rewrite_trust(*target, edit, done);
    if (!rewritten) return fail(rewritten.error());
    spdlog::info("event=iam_role_granted role={} account={} sid={} written={} propagation_ms={}", target->role_arn,
                 target->account.account_id, trust::sid_of(grant.grant_id), rewritten->written,
                 rewritten->propagation.count());
    return {};
  }());
}

Result<> IamRoleProvider::revoke(const Assignment& assignment) {
  return logged([&]() -> Result<> {
    auto target = target_of(assignment.account_id, assignment.permission_set_arn);
    if (!target) return fail(target.error());
    int removed = 0;
    auto edit = [&](trust::Policy& policy) -> Result<> {
      removed = trust::remove(policy, assignment.principal);
      return {};
    };
    auto done = [&](const trust::Policy& policy) {
      return std::ranges::none_of(trust::grants_in(policy),
                                  [&](const auto& g) { return g.source_identity == assignment.principal; });
    };
    auto rewritten = rewrite_trust(*target, edit, done);
    if (!rewritten) return fail(rewritten.error());
    spdlog::info("event=iam_role_revoked role={} account={} removed={} propagation_ms={}", target->role_arn,
                 target->account.account_id, removed, rewritten->propagation.count());
    return {};
  }());
}

Result<std::vector<Assignment>> IamRoleProvider::list(const std::string& account_id, const std::string& role_arn) {
  return logged([&]() -> Result<std::vector<Assignment>> {
    auto target = target_of(account_id, role_arn);
    if (!target) return fail(target.error());
    auto read = read_trust(*target->iam, target->role_name, role_arn);
    if (!read) return fail(read.error());
    const auto& [role, policy] = *read;
    std::vector<Assignment> out;
    for (const auto& g : iam::open_windows(policy, clock_.now())) out.push_back({g.source_identity, account_id, role_arn});
    return out;
  }());
}

Result<IamRoleProvider::RoleReport> IamRoleProvider::inspect(const std::string& account_id, const std::string& role_arn) {
  return logged([&]() -> Result<RoleReport> {
    auto target = target_of(account_id, role_arn);
    if (!target) return fail(target.error());
    auto read = read_trust(*target->iam, target->role_name, role_arn);
    if (!read) return fail(read.error());
    const auto& [role, policy] = *read;
    const TimePoint now = clock_.now();
    RoleReport report;
    report.role_arn = role_arn;
    report.trust_policy_size = cutoff::policy_size(role.trust_policy);
    report.trust_policy_limit = config_.options.trust_policy_size_limit;
    const trust::TrustGrant sample{kSampleGrantId, target->account.base_principal_arn,
                                   std::string(kMaxSourceIdentity, 'x'), now + Seconds{3600}};
    report.room = trust::room_for(policy, sample, report.trust_policy_limit);
    report.live_grants = static_cast<int>(iam::open_windows(policy, now).size());
    report.unreadable_sids = trust::unreadable_sids(policy);
    report.standing_assume = trust::standing_assume_statements(policy);
    report.max_session_duration = role.max_session_duration.value_or(Seconds{0});
    // The cut-off inline policy, measured with a statement of the longest source identity.
    const std::string& name = config_.options.cutoff_policy_name;
    auto inline_text = iam::get_role_policy(*target->iam, target->role_name, name, role_arn);
    auto inline_policy =
        inline_text ? cutoff::parse_policy(*inline_text) : Result<cutoff::Policy>(fail(inline_text.error()));
    if (!inline_policy) {
      report.cutoff_problem = fmt::format("inline policy {}: {}", name, inline_policy.error().message);
      return report;
    }
    const SessionCutoff cut{kSampleGrantId, {std::string(kMaxSourceIdentity, 'x'), account_id, role_arn}, now, now};
    report.cutoff = cutoff::room_for(*inline_policy, cutoff::statement_of(cut, cutoff::PrincipalKey::source_identity),
                                     now, role.max_session_duration.value_or(cutoff::kDefaultSessionDuration));
    return report;
  }());
}

}  // namespace jit::aws
