// Pieces shared by the engine's source files (not part of its interface).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/model.h"
#include "engine/engine.h"

namespace jit::engine_internal {

inline constexpr int kMaxSteps = 8;  // state steps one call may take before giving up

inline void clear_lease(AccessRequest& r) {
  r.lease_owner.clear();
  r.lease_until.reset();
}

// The facts (audit/facts.h) of the event of `action` moving `r`, computed after the move (so
// end events carry ended_at); "" for decisions, whose counts only their caller knows, and for
// lease moves.
std::string facts_of(Action action, const AccessRequest& r);

// The request `requester` already has open for this account and role, if any: one open request
// or grant per (requester, account, role).
Result<std::optional<AccessRequest>> open_request_of(Store& store, const std::string& requester,
                                                     const std::string& account, const std::string& role);
// The refusal of a second open request for the role `r` (open) is for.
Error duplicate_of(const AccessRequest& r);

// Why a decision on `r` is no longer possible, in words for the person who clicked.
std::string already_decided(const AccessRequest& r);

}  // namespace jit::engine_internal

namespace jit {

// RAII guard for Engine::claim_local: marks a request as being worked on by a thread of this
// engine, waiting up to `wait` for another thread of ours to finish with it.
class Engine::LocalClaim {
 public:
  LocalClaim(Engine& e, std::string id, std::chrono::milliseconds wait = std::chrono::milliseconds(0))
      : engine_(e), id_(std::move(id)), held_(e.claim_local(id_, wait)) {}
  ~LocalClaim() {
    if (held_) engine_.release_local(id_);
  }
  LocalClaim(const LocalClaim&) = delete;
  LocalClaim& operator=(const LocalClaim&) = delete;
  explicit operator bool() const { return held_; }

 private:
  Engine& engine_;
  std::string id_;
  bool held_;
};

}  // namespace jit
