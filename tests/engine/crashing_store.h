// In-process "kill -9" for the engine's crash tests: an exception nothing in the engine catches,
// thrown right after a chosen store write has committed (or by a provider hook right after AWS
// acted), so the engine stops between two steps exactly as a killed process would.
#pragma once

#include <string>

#include "fakes/forwarding_store.h"
#include "fakes/memory_provider.h"

namespace jit::testing {

struct Crash {};  // not a std::exception: nothing in the engine may swallow it

// Forwards to a store and "kills the process" right after a chosen write has committed.
class CrashingStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::string crash_after_action;  // e.g. "begin_grant"; cleared once it has crashed

  Result<AccessRequest> update_request(const AccessRequest& r, const AuditEvent& e) override {
    auto stored = inner_.update_request(r, e);
    if (stored && e.action == crash_after_action) {
      crash_after_action.clear();
      throw Crash{};
    }
    return stored;
  }
};

// "Kills the process" right after the provider's next `op` took effect (AWS acted, the engine has
// not recorded it).
inline void crash_on_effect(MemoryAccessProvider& provider, MemoryAccessProvider::Op op) {
  provider.on_effect([&provider, op](MemoryAccessProvider::Op done, const Assignment&) {
    if (done != op) return;
    provider.on_effect(nullptr);
    throw Crash{};
  });
}

}  // namespace jit::testing
