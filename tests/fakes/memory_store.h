// A Store in memory, for unit tests of whatever uses a Store. Same contract as the real stores
// (it passes the StoreContract suite) except that it lives in one process and its queries scan
// every row instead of costing O(result).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "audit/keyring.h"
#include "ports/store.h"

namespace jit {

// Thread-safe: one mutex around everything.
class MemoryStore final : public Store {
 public:
  // Audit events are sealed with `keys`.
  explicit MemoryStore(audit::Keyring keys = audit::Keyring::unkeyed());

  Result<AccessRequest> create_request(const AccessRequest& request, const AuditEvent& event) override;
  Result<AccessRequest> get_request(const std::string& id) override;
  Result<AccessRequest> update_request(const AccessRequest& request, const AuditEvent& event) override;
  Result<std::vector<AccessRequest>> list_requests(const RequestQuery& query) override;
  Result<std::vector<AccessRequest>> expired_grants(TimePoint now, std::size_t limit) override;
  // Oldest updated_at first, like SqliteStore.
  Result<std::vector<AccessRequest>> in_flight(std::size_t limit) override;
  Result<std::vector<AccessRequest>> pending_before(TimePoint cutoff, std::size_t limit) override;
  // Soonest expires_at first, like SqliteStore.
  Result<std::vector<AccessRequest>> holding_access(std::size_t limit) override;
  Result<AuditEvent> append_audit(const AuditEvent& event) override;
  Result<std::vector<AuditEvent>> audit_events(const AuditQuery& query) override;
  Result<AuditHead> audit_head() override;
  Result<AccessRequest> import_request(const AccessRequest& request) override;
  Result<AuditEvent> import_audit(const AuditEvent& event) override;

 private:
  // Each REQUIRES mu_ held.
  std::optional<Error> open_request_conflict(const AccessRequest& r, bool imported = false) const;
  AuditEvent append_locked(AuditEvent event);
  template <class Keep, class Before>
  std::vector<AccessRequest> select(Keep keep, Before before, std::size_t limit) const;

  mutable std::mutex mu_;
  std::map<std::string, AccessRequest> requests_;  // by id
  std::vector<AuditEvent> events_;                 // in seq order
  AuditHead head_;
  const audit::Keyring keys_;
};

}  // namespace jit
