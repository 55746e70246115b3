#include "fakes/memory_provider.h"

namespace jit {

Result<> MemoryAccessProvider::take_fault(Op op) {
  ++calls_[op];
  auto it = faults_.find(op);
  if (it == faults_.end() || it->second.first == 0) return {};
  --it->second.first;
  return fail(it->second.second);
}

Result<std::string> MemoryAccessProvider::resolve_principal(const std::string& email) {
  std::lock_guard lock(mu_);
  if (auto f = take_fault(Op::resolve); !f) return fail(f.error());
  const auto at = email.find('@');
  if (at == std::string::npos || at == 0) return fail(Error::NotFound("no identity-store user has e-mail " + email));
  return "p-" + email.substr(0, at);
}

Result<> MemoryAccessProvider::grant(const Assignment& a) {
  std::function<void(Op, const Assignment&)> hook;
  {
    std::lock_guard lock(mu_);
    if (auto f = take_fault(Op::grant); !f) return f;
    if (assignments_.insert(a).second) ++created_;
    hook = hook_;
  }
  if (hook) hook(Op::grant, a);
  return {};
}

Result<> MemoryAccessProvider::revoke(const Assignment& a) {
  std::function<void(Op, const Assignment&)> hook;
  {
    std::lock_guard lock(mu_);
    if (auto f = take_fault(Op::revoke); !f) return f;
    if (assignments_.erase(a)) ++deleted_;
    hook = hook_;
  }
  if (hook) hook(Op::revoke, a);
  return {};
}

Result<std::vector<Assignment>> MemoryAccessProvider::list(const std::string& account_id,
                                                           const std::string& permission_set_arn) {
  std::lock_guard lock(mu_);
  if (auto f = take_fault(Op::list); !f) return fail(f.error());
  std::vector<Assignment> out;
  for (const auto& a : assignments_)
    if (a.account_id == account_id && a.permission_set_arn == permission_set_arn) out.push_back(a);
  return out;
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

}  // namespace jit
