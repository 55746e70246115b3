#include "fakes/memory_provider.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace jit {

namespace {
// A statement's size as AWS counts it (the design study's 325 characters, account key included),
// and the wrapper around them: enough for CutoffArmed to look like the real provider's.
constexpr int kStatementSize = 325, kWrapperSize = 39, kSizeLimit = 10240;
}  // namespace

Result<> MemoryAccessProvider::take_fault(Op op) {
  ++calls_[op];
  auto it = faults_.find(op);
  if (it == faults_.end() || it->second.first == 0) return {};
  --it->second.first;
  return fail(it->second.second);
}

void MemoryAccessProvider::effect(Op op, const Assignment& a) {
  std::function<void(Op, const Assignment&)> hook;
  {
    std::lock_guard lock(mu_);
    hook = hook_;
  }
  if (hook) hook(op, a);
}

Result<std::string> MemoryAccessProvider::resolve_principal(const std::string& email, const std::string&) {
  std::lock_guard lock(mu_);
  if (auto f = take_fault(Op::resolve); !f) return fail(f.error());
  if (auto set = principals_.find(email); set != principals_.end()) return set->second;
  const auto at = email.find('@');
  if (at == std::string::npos || at == 0) return fail(Error::NotFound("no identity-store user has e-mail " + email));
  return "p-" + email.substr(0, at);
}

void MemoryAccessProvider::set_principal(const std::string& email, const std::string& principal) {
  std::lock_guard lock(mu_);
  principals_[email] = principal;
}

Result<> MemoryAccessProvider::grant(const Assignment& a, const GrantTerms&) {
  {
    std::lock_guard lock(mu_);
    if (auto f = take_fault(Op::grant); !f) return f;
    if (assignments_.insert(a).second) ++created_;
    effects_.push_back(Op::grant);
  }
  effect(Op::grant, a);
  return {};
}

Result<> MemoryAccessProvider::revoke(const Assignment& a) {
  {
    std::lock_guard lock(mu_);
    if (auto f = take_fault(Op::revoke); !f) return f;
    if (assignments_.erase(a)) ++deleted_;
    effects_.push_back(Op::revoke);
  }
  effect(Op::revoke, a);
  return {};
}

Result<std::vector<Assignment>> MemoryAccessProvider::list(const std::string& account_id,
                                                           const std::string& permission_set_arn) {
  std::vector<Assignment> out;
  std::function<void()> then;
  {
    std::lock_guard lock(mu_);
    if (auto f = take_fault(Op::list); !f) return fail(f.error());
    for (const auto& a : assignments_)
      if (a.account_id == account_id && a.permission_set_arn == permission_set_arn) out.push_back(a);
    then = std::exchange(after_list_, nullptr);
  }
  if (then) then();
  return out;
}

void MemoryAccessProvider::after_next_list(std::function<void()> once) {
  std::lock_guard lock(mu_);
  after_list_ = std::move(once);
}

int MemoryAccessProvider::prune_locked(const std::string& permission_set_arn) {
  if (!clock_) return 0;
  const TimePoint now = clock_->now();
  return static_cast<int>(std::erase_if(cutoffs_, [&](const auto& entry) {
    const SessionCutoff& c = entry.second;
    return c.assignment.permission_set_arn == permission_set_arn && now > c.sessions_before + session_duration_;
  }));
}

Result<CutoffArmed> MemoryAccessProvider::arm_cutoff(const SessionCutoff& cutoff) {
  CutoffArmed armed;
  {
    std::lock_guard lock(mu_);
    if (auto f = take_fault(Op::arm); !f) return fail(f.error());
    const std::string& ps = cutoff.assignment.permission_set_arn;
    armed.pruned = prune_locked(ps);
    const auto live = std::count_if(cutoffs_.begin(), cutoffs_.end(),
                                    [&](const auto& e) { return e.second.assignment.permission_set_arn == ps; });
    if (capacity_ > 0 && !cutoffs_.contains(cutoff.grant_id) && live >= capacity_)
      return fail(Error::Denied(fmt::format("permission set {} has {} live cut-offs, as many as its inline policy "
                                            "holds",
                                            ps, live)));
    cutoffs_.insert_or_assign(cutoff.grant_id, cutoff);
    armed.statements = static_cast<int>(std::count_if(
        cutoffs_.begin(), cutoffs_.end(), [&](const auto& e) { return e.second.assignment.permission_set_arn == ps; }));
    armed.size = kWrapperSize + armed.statements * (kStatementSize + 1) - 1;
    armed.size_limit = kSizeLimit;
    effects_.push_back(Op::arm);
  }
  effect(Op::arm, cutoff.assignment);
  return armed;
}

Result<int> MemoryAccessProvider::prune_cutoffs(const std::string& permission_set_arn) {
  std::lock_guard lock(mu_);
  if (auto f = take_fault(Op::prune); !f) return fail(f.error());
  return prune_locked(permission_set_arn);
}

Result<> MemoryAccessProvider::schedule_revoke(const std::string& grant_id, const Assignment& a, TimePoint at) {
  {
    std::lock_guard lock(mu_);
    if (auto f = take_fault(Op::schedule); !f) return f;
    if (auto it = schedules_.find(grant_id); it != schedules_.end()) {
      if (it->second.assignment != a || it->second.at != at)
        return fail(Error::Conflict(fmt::format("schedule jit-{} already exists with another target", grant_id)));
    } else {
      schedules_.emplace(grant_id, Schedule{a, at});
    }
    effects_.push_back(Op::schedule);
  }
  effect(Op::schedule, a);
  return {};
}

Result<> MemoryAccessProvider::cancel_scheduled_revoke(const std::string& grant_id) {
  Assignment a;
  {
    std::lock_guard lock(mu_);
    if (auto f = take_fault(Op::cancel); !f) return f;
    auto it = schedules_.find(grant_id);
    if (it == schedules_.end()) return {};  // fired, or never made
    a = it->second.assignment;
    schedules_.erase(it);
    effects_.push_back(Op::cancel);
  }
  effect(Op::cancel, a);
  return {};
}

void MemoryAccessProvider::fail_next(Op op, int count, Error error) {
  std::lock_guard lock(mu_);
  faults_.insert_or_assign(op, std::pair{count, std::move(error)});
}

void MemoryAccessProvider::on_effect(std::function<void(Op, const Assignment&)> hook) {
  std::lock_guard lock(mu_);
  hook_ = std::move(hook);
}

void MemoryAccessProvider::add_out_of_band(const Assignment& a) {
  std::lock_guard lock(mu_);
  assignments_.insert(a);
}

void MemoryAccessProvider::use_clock(const Clock* clock, Seconds session_duration) {
  std::lock_guard lock(mu_);
  clock_ = clock;
  session_duration_ = session_duration;
}

void MemoryAccessProvider::set_cutoff_capacity(int statements) {
  std::lock_guard lock(mu_);
  capacity_ = statements;
}

std::set<Assignment> MemoryAccessProvider::assignments() const {
  std::lock_guard lock(mu_);
  return assignments_;
}

bool MemoryAccessProvider::has(const Assignment& a) const {
  std::lock_guard lock(mu_);
  return assignments_.contains(a);
}

int MemoryAccessProvider::calls(Op op) const {
  std::lock_guard lock(mu_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

int MemoryAccessProvider::created() const {
  std::lock_guard lock(mu_);
  return created_;
}

int MemoryAccessProvider::deleted() const {
  std::lock_guard lock(mu_);
  return deleted_;
}

std::vector<MemoryAccessProvider::Op> MemoryAccessProvider::effects() const {
  std::lock_guard lock(mu_);
  return effects_;
}

std::map<std::string, SessionCutoff> MemoryAccessProvider::cutoffs() const {
  std::lock_guard lock(mu_);
  return cutoffs_;
}

std::optional<SessionCutoff> MemoryAccessProvider::cutoff(const std::string& grant_id) const {
  std::lock_guard lock(mu_);
  auto it = cutoffs_.find(grant_id);
  if (it == cutoffs_.end()) return std::nullopt;
  return it->second;
}

bool MemoryAccessProvider::session_cut(const Assignment& a, TimePoint issued_at, TimePoint t) const {
  std::lock_guard lock(mu_);
  return std::any_of(cutoffs_.begin(), cutoffs_.end(), [&](const auto& entry) {
    const SessionCutoff& c = entry.second;
    return c.assignment == a && t > c.cut_at && issued_at < c.sessions_before;
  });
}

std::map<std::string, MemoryAccessProvider::Schedule> MemoryAccessProvider::schedules() const {
  std::lock_guard lock(mu_);
  return schedules_;
}

bool MemoryAccessProvider::fire_schedule(const std::string& grant_id) {
  std::lock_guard lock(mu_);
  auto it = schedules_.find(grant_id);
  if (it == schedules_.end()) return false;
  assignments_.erase(it->second.assignment);
  schedules_.erase(it);
  return true;
}

}  // namespace jit
