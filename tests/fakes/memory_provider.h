// An AccessProvider that keeps assignments in memory: the stand-in for IAM Identity Center in
// unit tests (the product never links it: `jit demo` talks to the AWS emulator executable).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ports/access_provider.h"

namespace jit {

class MemoryAccessProvider final : public AccessProvider {
 public:
  // Principals are derived from e-mail addresses: "alice@example.com" -> "p-alice".
  Result<std::string> resolve_principal(const std::string& email) override;
  Result<> grant(const Assignment& assignment) override;
  Result<> revoke(const Assignment& assignment) override;
  Result<std::vector<Assignment>> list(const std::string& account_id,
                                       const std::string& permission_set_arn) override;

  // Test controls.
  enum class Op { resolve, grant, revoke, list };
  // The next `count` calls of `op` fail with `error` and change nothing.
  void fail_next(Op op, int count, Error error);
  // Called after each successful grant/revoke has taken effect (tests use it to simulate a crash
  // right after the provider acted, by throwing).
  void on_effect(std::function<void(Op, const Assignment&)> hook);
  // Adds an assignment behind the engine's back (standing access the reconciler must find).
  void add_out_of_band(const Assignment& assignment);

  std::set<Assignment> assignments() const;
  bool has(const Assignment& assignment) const;
  int calls(Op op) const;
  // How many grant calls actually created an assignment, and revoke calls removed one.
  int created() const;
  int deleted() const;

 private:
  Result<> take_fault(Op op);

  mutable std::mutex mu_;
  std::set<Assignment> assignments_;
  std::map<Op, int> calls_;
  std::map<Op, std::pair<int, Error>> faults_;
  std::function<void(Op, const Assignment&)> hook_;
  int created_ = 0, deleted_ = 0;
};

}  // namespace jit
