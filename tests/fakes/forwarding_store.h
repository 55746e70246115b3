// A Store that forwards every call to another one (like LevelDB's EnvWrapper): a test derives from
// it and overrides only the call it wants to change (crash after a write, tamper with a read).
#pragma once

#include "ports/store.h"

namespace jit {

// `inner` must outlive the wrapper.
class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store& inner) : inner_(inner) {}

  Result<AccessRequest> create_request(const AccessRequest& r, const AuditEvent& e) override {
    return inner_.create_request(r, e);
  }
  Result<AccessRequest> get_request(const std::string& id) override { return inner_.get_request(id); }
  Result<AccessRequest> update_request(const AccessRequest& r, const AuditEvent& e) override {
    return inner_.update_request(r, e);
  }
  Result<std::vector<AccessRequest>> list_requests(const RequestQuery& q) override { return inner_.list_requests(q); }
  Result<std::vector<AccessRequest>> expired_grants(TimePoint now, std::size_t limit) override {
    return inner_.expired_grants(now, limit);
  }
  Result<std::vector<AccessRequest>> in_flight(std::size_t limit) override { return inner_.in_flight(limit); }
  Result<std::vector<AccessRequest>> pending_before(TimePoint cutoff, std::size_t limit) override {
    return inner_.pending_before(cutoff, limit);
  }
  Result<std::vector<AccessRequest>> holding_access(std::size_t limit) override { return inner_.holding_access(limit); }
  Result<AuditEvent> append_audit(const AuditEvent& e) override { return inner_.append_audit(e); }
  Result<std::vector<AuditEvent>> audit_events(const AuditQuery& q) override { return inner_.audit_events(q); }
  Result<AuditHead> audit_head() override { return inner_.audit_head(); }
  Result<AccessRequest> import_request(const AccessRequest& r) override { return inner_.import_request(r); }
  Result<AuditEvent> import_audit(const AuditEvent& e) override { return inner_.import_audit(e); }

 protected:
  Store& inner_;
};

}  // namespace jit
