// Fault injection for the Store port: forwards every call to another Store, except the calls it
// has been told to fail (like MemoryAccessProvider::fail_next for the provider port).
#pragma once

#include <array>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ports/store.h"

namespace jit {

// Thread-safe. `inner` must outlive the wrapper.
class FaultyStore final : public Store {
 public:
  enum class Method : std::size_t {
    create_request, get_request, update_request, list_requests, expired_grants, in_flight,
    pending_before, holding_access, append_audit, audit_events, audit_head, import_request, import_audit,
  };
  // Where an injected failure happens:
  //   before — the call never reaches the store, nothing changes;
  //   after  — the store does the work (and a write commits) but the caller is told it failed,
  //            like a reply lost to a timeout.
  enum class When { before, after };

  explicit FaultyStore(Store& inner) : inner_(inner) {}

  // The next `count` calls of `method` fail with `error`. Replaces any earlier instruction for
  // that method; count = 0 cancels it.
  void fail_next(Method method, int count, Error error = Error::Unavailable("injected store fault"),
                 When when = When::before) {
    std::lock_guard lock(mu_);
    faults_[index(method)] = {count, std::move(error), when};
  }

  // How many calls of `method` this wrapper has received, failed ones included.
  int calls(Method method) const {
    std::lock_guard lock(mu_);
    return calls_[index(method)];
  }

  Result<AccessRequest> create_request(const AccessRequest& request, const AuditEvent& event) override {
    return call(Method::create_request, [&] { return inner_.create_request(request, event); });
  }
  Result<AccessRequest> get_request(const std::string& id) override {
    return call(Method::get_request, [&] { return inner_.get_request(id); });
  }
  Result<AccessRequest> update_request(const AccessRequest& request, const AuditEvent& event) override {
    return call(Method::update_request, [&] { return inner_.update_request(request, event); });
  }
  Result<std::vector<AccessRequest>> list_requests(const RequestQuery& query) override {
    return call(Method::list_requests, [&] { return inner_.list_requests(query); });
  }
  Result<std::vector<AccessRequest>> expired_grants(TimePoint now, std::size_t limit) override {
    return call(Method::expired_grants, [&] { return inner_.expired_grants(now, limit); });
  }
  Result<std::vector<AccessRequest>> in_flight(std::size_t limit) override {
    return call(Method::in_flight, [&] { return inner_.in_flight(limit); });
  }
  Result<std::vector<AccessRequest>> pending_before(TimePoint cutoff, std::size_t limit) override {
    return call(Method::pending_before, [&] { return inner_.pending_before(cutoff, limit); });
  }
  Result<std::vector<AccessRequest>> holding_access(std::size_t limit) override {
    return call(Method::holding_access, [&] { return inner_.holding_access(limit); });
  }
  Result<AuditEvent> append_audit(const AuditEvent& event) override {
    return call(Method::append_audit, [&] { return inner_.append_audit(event); });
  }
  Result<std::vector<AuditEvent>> audit_events(const AuditQuery& query) override {
    return call(Method::audit_events, [&] { return inner_.audit_events(query); });
  }
  Result<AuditHead> audit_head() override {
    return call(Method::audit_head, [&] { return inner_.audit_head(); });
  }
  Result<AccessRequest> import_request(const AccessRequest& request) override {
    return call(Method::import_request, [&] { return inner_.import_request(request); });
  }
  Result<AuditEvent> import_audit(const AuditEvent& event) override {
    return call(Method::import_audit, [&] { return inner_.import_audit(event); });
  }

 private:
  static constexpr std::size_t kMethods = static_cast<std::size_t>(Method::import_audit) + 1;
  static std::size_t index(Method m) { return static_cast<std::size_t>(m); }

  struct Fault {
    int count = 0;
    Error error;
    When when = When::before;
  };

  template <class Forward>
  auto call(Method method, Forward forward) -> decltype(forward()) {
    std::optional<Fault> injected;
    {
      std::lock_guard lock(mu_);
      ++calls_[index(method)];
      if (Fault& fault = faults_[index(method)]; fault.count > 0) {
        --fault.count;
        injected = fault;
      }
    }
    if (injected && injected->when == When::before) return fail(injected->error);
    auto result = forward();
    if (injected) return fail(injected->error);
    return result;
  }

  Store& inner_;
  mutable std::mutex mu_;
  std::array<Fault, kMethods> faults_{};  // guarded by mu_
  std::array<int, kMethods> calls_{};     // guarded by mu_
};

}  // namespace jit
