#include "fakes/memory_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "audit/chain.h"

namespace jit {

MemoryStore::MemoryStore(audit::Keyring keys) : head_{0, audit::kGenesisHash}, keys_(std::move(keys)) {}

std::optional<Error> MemoryStore::open_request_conflict(const AccessRequest& r, bool imported) const {
  if (!is_open(r.state)) return std::nullopt;
  std::vector<OpenRow> others;
  for (const auto& [id, other] : requests_)
    if (id != r.id && is_open(other.state) && other.requester == r.requester && other.account == r.account &&
        other.role == r.role)
      others.push_back({id, other.state, other.extends});
  const auto before = requests_.find(r.id);
  // An import copies a store that kept the rule: only one request per slot is checked (the grant
  // an extension extends may come later in the copy).
  const bool entering = !imported && (before == requests_.end() || !is_open(before->second.state) ||
                        open_slot_of(before->second) != open_slot_of(r));
  if (auto conflict = open_slot_conflict(r, entering, others)) return Error::Conflict(*conflict);
  return std::nullopt;
}

AuditEvent MemoryStore::append_locked(AuditEvent event) {
  audit::seal(event, head_, keys_);
  head_ = {event.seq, event.hash};
  events_.push_back(event);
  return event;
}

// The requests for which keep(r) holds, ordered by before(a, b), at most `limit` of them.
template <class Keep, class Before>
std::vector<AccessRequest> MemoryStore::select(Keep keep, Before before, std::size_t limit) const {
  std::vector<AccessRequest> selected;
  for (const auto& [id, r] : requests_)
    if (keep(r)) selected.push_back(r);
  std::sort(selected.begin(), selected.end(), before);
  if (selected.size() > limit) selected.resize(limit);
  return selected;
}

Result<AccessRequest> MemoryStore::create_request(const AccessRequest& request, const AuditEvent& event) {
  std::lock_guard lock(mu_);
  if (requests_.contains(request.id))
    return fail(Error::Conflict(fmt::format("request {} already exists", request.id)));
  if (auto conflict = open_request_conflict(request)) return fail(*conflict);
  AccessRequest stored = request;
  stored.version = 1;
  requests_[stored.id] = stored;
  append_locked(event);
  return stored;
}

Result<AccessRequest> MemoryStore::get_request(const std::string& id) {
  std::lock_guard lock(mu_);
  auto found = requests_.find(id);
  if (found == requests_.end()) return fail(Error::NotFound(fmt::format("request {} does not exist", id)));
  return found->second;
}

Result<AccessRequest> MemoryStore::update_request(const AccessRequest& request, const AuditEvent& event) {
  std::lock_guard lock(mu_);
  auto found = requests_.find(request.id);
  if (found == requests_.end())
    return fail(Error::NotFound(fmt::format("request {} does not exist", request.id)));
  if (found->second.version != request.version)
    return fail(Error::Conflict(fmt::format(
        "request {} changed since it was read (version {} read, {} stored): read it again and retry", request.id,
        request.version, found->second.version)));
  if (auto conflict = open_request_conflict(request)) return fail(*conflict);
  found->second = request;
  ++found->second.version;
  append_locked(event);
  return found->second;
}

Result<std::vector<AccessRequest>> MemoryStore::list_requests(const RequestQuery& query) {
  std::lock_guard lock(mu_);
  return select(
      [&](const AccessRequest& r) {
        return (!query.requester || r.requester == *query.requester) &&
               (query.states.empty() || std::ranges::find(query.states, r.state) != query.states.end());
      },
      [](const AccessRequest& a, const AccessRequest& b) {
        return std::tie(a.created_at, a.id) > std::tie(b.created_at, b.id);
      },
      query.limit);
}

Result<std::vector<AccessRequest>> MemoryStore::expired_grants(TimePoint now, std::size_t limit) {
  std::lock_guard lock(mu_);
  return select([&](const AccessRequest& r) { return r.state == State::active && r.expires_at && *r.expires_at <= now; },
                [](const AccessRequest& a, const AccessRequest& b) {
                  return std::tie(a.expires_at, a.id) < std::tie(b.expires_at, b.id);
                },
                limit);
}

Result<std::vector<AccessRequest>> MemoryStore::in_flight(std::size_t limit) {
  std::lock_guard lock(mu_);
  return select(
      [](const AccessRequest& r) {
        return r.state == State::approved || r.state == State::granting || r.state == State::revoking;
      },
      [](const AccessRequest& a, const AccessRequest& b) {
        return std::tie(a.updated_at, a.id) < std::tie(b.updated_at, b.id);
      },
      limit);
}

Result<std::vector<AccessRequest>> MemoryStore::pending_before(TimePoint cutoff, std::size_t limit) {
  std::lock_guard lock(mu_);
  return select([&](const AccessRequest& r) { return r.state == State::pending && r.created_at < cutoff; },
                [](const AccessRequest& a, const AccessRequest& b) {
                  return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
                },
                limit);
}

Result<std::vector<AccessRequest>> MemoryStore::holding_access(std::size_t limit) {
  std::lock_guard lock(mu_);
  return select([](const AccessRequest& r) { return holds_access(r.state); },
                [](const AccessRequest& a, const AccessRequest& b) {
                  return std::tie(a.expires_at, a.id) < std::tie(b.expires_at, b.id);
                },
                limit);
}

Result<AuditEvent> MemoryStore::append_audit(const AuditEvent& event) {
  std::lock_guard lock(mu_);
  return append_locked(event);
}

Result<AccessRequest> MemoryStore::import_request(const AccessRequest& request) {
  std::lock_guard lock(mu_);
  if (requests_.contains(request.id))
    return fail(Error::Conflict(fmt::format("request {} already exists", request.id)));
  if (auto conflict = open_request_conflict(request, /*imported=*/true)) return fail(*conflict);
  requests_[request.id] = request;
  return request;
}

Result<AuditEvent> MemoryStore::import_audit(const AuditEvent& event) {
  std::lock_guard lock(mu_);
  if (auto conflict = audit::import_conflict(event, head_)) return fail(*conflict);
  head_ = {event.seq, event.hash};
  events_.push_back(event);
  return event;
}

Result<std::vector<AuditEvent>> MemoryStore::audit_events(const AuditQuery& query) {
  std::lock_guard lock(mu_);
  std::vector<AuditEvent> selected;
  for (const auto& e : events_) {
    if (selected.size() == query.limit) break;
    if (query.request_id && (query.request_id->empty() || e.request_id != *query.request_id)) continue;
    if (e.seq > query.after_seq && (!query.since || e.at >= *query.since) && (!query.until || e.at < *query.until))
      selected.push_back(e);
  }
  return selected;
}

Result<AuditHead> MemoryStore::audit_head() {
  std::lock_guard lock(mu_);
  return head_;
}

}  // namespace jit
