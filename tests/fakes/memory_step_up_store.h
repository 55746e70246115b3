// StepUpStore (ports/step_up_store.h) in memory, for unit tests: the same answers as the SQLite and
// DynamoDB stores (tests/contract/step_up_store_contract.h runs on it too), behind one mutex.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "ports/step_up_store.h"

namespace jit {

class MemoryStepUpStore final : public StepUpStore {
 public:
  // Also forgets the challenges that expired more than a day before challenge.created_at, as
  // SqliteStore does.
  Result<> put_challenge(const StepUpChallenge& challenge) override {
    std::lock_guard lock(mu_);
    std::erase_if(challenges_, [&](const auto& entry) {
      return entry.second.expires_at < challenge.created_at - Seconds{24 * 3600};
    });
    if (!challenges_.emplace(challenge.id, challenge).second)
      return fail(Error::Conflict("step-up link " + challenge.id + " already exists"));
    return {};
  }

  Result<StepUpChallenge> get_challenge(const std::string& id) override {
    std::lock_guard lock(mu_);
    auto it = challenges_.find(id);
    if (it == challenges_.end()) return fail(Error::NotFound("step-up link " + id + " does not exist"));
    return it->second;
  }

  Result<StepUpChallenge> consume_challenge(const std::string& id, TimePoint now) override {
    std::lock_guard lock(mu_);
    auto it = challenges_.find(id);
    if (it == challenges_.end()) return fail(Error::NotFound("step-up link " + id + " does not exist"));
    if (it->second.used_at) return fail(Error::Conflict("step-up link " + id + " was used already"));
    if (now >= it->second.expires_at) return fail(Error::Denied("step-up link " + id + " expired"));
    it->second.used_at = now;
    return it->second;
  }

  Result<> add_credential(const WebAuthnCredential& credential) override {
    std::lock_guard lock(mu_);
    if (!credentials_.emplace(credential.credential_id, credential).second)
      return fail(Error::Conflict("credential " + credential.credential_id + " is enrolled already"));
    return {};
  }

  Result<std::vector<WebAuthnCredential>> credentials_of(const std::string& user_id) override {
    std::lock_guard lock(mu_);
    std::vector<WebAuthnCredential> out;
    for (const auto& [id, credential] : credentials_)
      if (credential.user_id == user_id) out.push_back(credential);
    std::ranges::sort(out, [](const auto& a, const auto& b) {
      return std::tie(a.created_at, a.credential_id) < std::tie(b.created_at, b.credential_id);
    });
    return out;
  }

  Result<WebAuthnCredential> find_credential(const std::string& credential_id) override {
    std::lock_guard lock(mu_);
    auto it = credentials_.find(credential_id);
    if (it == credentials_.end()) return fail(Error::NotFound("credential " + credential_id + " is not enrolled"));
    return it->second;
  }

  Result<> remove_credential(const std::string& user_id, const std::string& credential_id) override {
    std::lock_guard lock(mu_);
    auto it = credentials_.find(credential_id);
    if (it == credentials_.end() || it->second.user_id != user_id)
      return fail(Error::NotFound(user_id + " has no credential " + credential_id));
    credentials_.erase(it);
    return {};
  }

  Result<> advance_sign_count(const std::string& credential_id, std::uint32_t expected, std::uint32_t count,
                              TimePoint used_at) override {
    std::lock_guard lock(mu_);
    auto it = credentials_.find(credential_id);
    if (it == credentials_.end()) return fail(Error::NotFound("credential " + credential_id + " is not enrolled"));
    if (it->second.sign_count != expected)
      return fail(Error::Conflict("credential " + credential_id + ": its sign count moved"));
    it->second.sign_count = count;
    it->second.last_used_at = used_at;
    return {};
  }

 private:
  std::mutex mu_;
  std::map<std::string, StepUpChallenge> challenges_;
  std::map<std::string, WebAuthnCredential> credentials_;
};

}  // namespace jit
