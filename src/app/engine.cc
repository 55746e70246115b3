#include "app/engine.h"
#include "app/fault_injection.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/duration.h"
#include "crypto/digest.h"

namespace jit {

namespace {

constexpr int kMaxSteps = 8;         // state steps one call may take before giving up

std::string random_id() {
  static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";  // no 0/o, 1/l/i
  std::string bytes = crypto::random_bytes(8), id = "r";
  for (unsigned char b : bytes) id.push_back(kAlphabet[b % (sizeof(kAlphabet) - 1)]);
  return id;
}

void clear_lease(AccessRequest& r) {
  r.lease_owner.clear();
  r.lease_until.reset();
}

// Why a decision on `r` is no longer possible, in words for the person who clicked.
std::string already_decided(const AccessRequest& r) {
  std::string by;
  for (const auto& d : r.decisions) by += (by.empty() ? "" : ", ") + d.approver;
  switch (r.state) {
    case State::denied: return fmt::format("request {} was already denied by {}", r.id, by);
    case State::cancelled: return fmt::format("request {} was cancelled by its requester", r.id);
    case State::expired: return fmt::format("request {} expired: nobody decided within the approval window", r.id);
    default: return fmt::format("request {} was already approved by {} (it is {})", r.id, by, state_name(r.state));
  }
}

}  // namespace

// RAII guard for Engine::claim_local.
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

Engine::Engine(std::shared_ptr<const Policy> policy, Store& store, AccessProvider& provider, Chat& chat,
               Directory& directory, const Clock& clock, EngineOptions options)
    : policy_(std::move(policy)),
      store_(store),
      provider_(provider),
      chat_(chat),
      directory_(directory),
      clock_(clock),
      options_(std::move(options)) {
  if (!policy_) throw std::invalid_argument("Engine needs a policy");
  if (!options_.new_id) options_.new_id = random_id;
}

void Engine::set_policy(std::shared_ptr<const Policy> policy) {
  if (!policy) throw std::invalid_argument("Engine::set_policy needs a policy");
  std::lock_guard lock(policy_mu_);
  policy_ = std::move(policy);
}

std::shared_ptr<const Policy> Engine::policy() const {
  std::lock_guard lock(policy_mu_);
  return policy_;
}

bool Engine::claim_local(const std::string& id, std::chrono::milliseconds wait) {
  std::unique_lock lock(local_mu_);
  if (!local_cv_.wait_for(lock, wait, [&] { return !local_busy_.contains(id); })) return false;
  return local_busy_.insert(id).second;
}

void Engine::release_local(const std::string& id) {
  {
    std::lock_guard lock(local_mu_);
    local_busy_.erase(id);
  }
  local_cv_.notify_all();
}

// ---------------------------------------------------------------------------------------------
// Writing

Result<std::pair<AccessRequest, bool>> Engine::change(const std::string& id, const Mutate& mutate) {
  for (int attempt = 0; attempt < options_.max_conflict_retries; ++attempt) {
    auto current = store_.get_request(id);
    if (!current) return fail(current.error());
    AccessRequest next = *current;
    auto event = mutate(next);
    if (!event) return fail(event.error());
    if (!event->has_value()) return std::pair{*current, false};
    next.updated_at = clock_.now();
    auto stored = store_.update_request(next, **event);
    if (stored) {
      crash_point("after_write:" + (*event)->action);
      spdlog::info("event={} request={} state={} actor={}", (*event)->action, id, state_name(stored->state),
                   (*event)->actor);
      record(**event, *stored);
      return std::pair{*stored, true};
    }
    if (stored.error().code != Errc::conflict) return fail(stored.error());
    spdlog::debug("request={} changed while being written; re-reading (attempt {})", id, attempt + 1);
  }
  return fail(Error::Conflict(fmt::format("request {} kept changing while being written; try again", id)));
}

Result<AuditEvent> Engine::transition(AccessRequest& r, Action action, const std::string& actor,
                                      const std::string& detail) {
  auto to = next_state(r.state, action);
  if (!to) return fail(Error::Conflict(fmt::format("request {}: {}", r.id, to.error().message)));
  const TimePoint now = clock_.now();
  AuditEvent e{.at = now,
               .actor = actor,
               .action = std::string(action_name(action)),
               .request_id = r.id,
               .from_state = std::string(state_name(r.state)),
               .to_state = std::string(state_name(*to)),
               .detail = detail};
  r.state = *to;
  if (is_terminal(*to)) {
    r.ended_at = now;
    clear_lease(r);
  }
  return e;
}

void register_engine_metrics(Metrics& m) {
  m.counter("jit_requests_total", "Access requests by outcome: submitted, then the state each one reached.");
  m.histogram("jit_revoke_lag_seconds", "Time from a grant's expiry to its revocation in AWS, in seconds.",
              {0, 1, 2, 5, 10, 30, 60, 120, 300, 900});
  m.counter("jit_revoke_failures_total", "Revocations that failed and will be retried.");
}

void Engine::record(const AuditEvent& e, const AccessRequest& r) {
  if (!options_.metrics) return;
  Metrics& m = *options_.metrics;
  if (e.from_state != e.to_state &&
      (r.state == State::approved || r.state == State::active || is_terminal(r.state)))
    m.inc("jit_requests_total", {{"outcome", std::string(state_name(r.state))}});
  if (e.action == "revoke_succeeded" && r.expires_at && r.ended_at && *r.ended_at >= *r.expires_at &&
      r.end_reason.starts_with("expired"))
    m.observe("jit_revoke_lag_seconds", {}, static_cast<double>((*r.ended_at - *r.expires_at).count()));
}

bool Engine::lease_available(const AccessRequest& r) const {
  return r.lease_owner == options_.instance_id || !r.lease_until || *r.lease_until <= clock_.now();
}

void Engine::take_lease(AccessRequest& r) const {
  r.lease_owner = options_.instance_id;
  r.lease_until = clock_.now() + options_.lease;
}

Result<Identity> Engine::identity_of(const std::string& user_id) {
  auto groups = directory_.groups_of(user_id);
  if (!groups)
    return fail(Error::Unavailable(fmt::format("could not look up the groups of {}: {}", user_id,
                                               groups.error().message)));
  return Identity{user_id, std::move(*groups)};
}

void Engine::announce(const AccessRequest& r, const AuditEvent& e, std::optional<Notice> notice) {
  if (auto u = chat_.update_request(r, e); !u)
    spdlog::warn("event=chat_update_failed request={} error=\"{}\"", r.id, u.error().message);
  if (notice)
    if (auto n = chat_.notify_requester(r, *notice); !n)
      spdlog::warn("event=chat_notify_failed request={} error=\"{}\"", r.id, n.error().message);
  crash_point("after_chat:" + e.action);
}

// ---------------------------------------------------------------------------------------------
// Handlers

Result<AccessRequest> Engine::submit(const SubmitCommand& cmd) {
  auto who = identity_of(cmd.requester);
  if (!who) return fail(who.error());
  const auto policy = this->policy();
  auto checked = check_request(*policy, RequestDraft{*who, cmd.account, cmd.role, cmd.duration, cmd.reason,
                                                     cmd.ticket});
  if (!checked) return fail(checked.error());

  auto open_one = [&]() -> Result<std::optional<AccessRequest>> {
    RequestQuery q{.requester = cmd.requester, .states = {}, .limit = 1000};
    for (State s : kAllStates)
      if (is_open(s)) q.states.push_back(s);
    auto mine = store_.list_requests(q);
    if (!mine) return fail(mine.error());
    for (auto& r : *mine)
      if (r.account == checked->account->name && r.role == checked->role->name) return std::move(r);
    return std::nullopt;
  };
  auto duplicate = [&](const AccessRequest& r) {
    return Error::Conflict(fmt::format(
        "you already have request {} ({}) for role {} on account {}: one open request or grant per role; {}",
        r.id, state_name(r.state), r.role, r.account,
        r.state == State::pending ? "cancel it first to ask again" : "a longer session is a new request after it ends"));
  };
  if (auto existing = open_one(); !existing)
    return fail(existing.error());
  else if (*existing)
    return fail(duplicate(**existing));

  const TimePoint now = clock_.now();
  AccessRequest r{.requester = cmd.requester,
                  .account = checked->account->name,
                  .account_id = checked->account->id,
                  .role = checked->role->name,
                  .permission_set_arn = checked->role->permission_set_arn,
                  .duration = checked->duration,
                  .reason = cmd.reason,
                  .ticket = cmd.ticket,
                  .created_at = now,
                  .updated_at = now,
                  .state = State::pending,
                  .chat_channel = checked->account->owner_channel};
  Result<AccessRequest> created = fail(Error::Internal("not attempted"));
  for (int attempt = 0; attempt < 3; ++attempt) {
    r.id = options_.new_id();
    AuditEvent e{.at = now,
                 .actor = cmd.requester,
                 .action = std::string(action_name(Action::submit)),
                 .request_id = r.id,
                 .from_state = "",
                 .to_state = std::string(state_name(State::pending)),
                 .detail = fmt::format("{} on {} ({}) for {}; reason: {}{}", r.role, r.account, r.account_id,
                                       format_duration(r.duration), r.reason,
                                       r.ticket.empty() ? "" : "; ticket: " + r.ticket)};
    created = store_.create_request(r, e);
    if (created || created.error().code != Errc::conflict) break;
    // Either the id was taken (try another) or an open request appeared meanwhile.
    if (auto existing = open_one(); existing && *existing) return fail(duplicate(**existing));
  }
  if (!created) return fail(created.error());
  if (options_.metrics) options_.metrics->inc("jit_requests_total", {{"outcome", "submitted"}});
  spdlog::info("event=submit request={} requester={} account={} role={} duration={}", created->id,
               created->requester, created->account, created->role, format_duration(created->duration));

  crash_point("after_write:submit");
  AccessRequest result = *created;
  if (auto posted = post_to_chat(result)) result = *posted;
  if (auto n = chat_.notify_requester(result, Notice::submitted); !n)
    spdlog::warn("event=chat_notify_failed request={} error=\"{}\"", result.id, n.error().message);
  return result;
}

void Engine::alert(const std::string& text, const std::string& request_id) {
  if (auto a = chat_.alert(text); !a)
    spdlog::warn("event=alert_failed request={} error=\"{}\"", request_id, a.error().message);
}

std::optional<AccessRequest> Engine::post_to_chat(const AccessRequest& r) {
  auto posted = chat_.post_request(r);
  if (!posted) {
    spdlog::warn("event=chat_post_failed request={} error=\"{}\" will_retry=true", r.id, posted.error().message);
    return std::nullopt;
  }
  auto saved = change(r.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
    if (!x.chat_ts.empty()) return std::nullopt;
    x.chat_channel = posted->channel;
    x.chat_ts = posted->ts;
    if (x.state == State::pending) clear_lease(x);  // the sweeper's claim to post it, if any
    return AuditEvent{.at = clock_.now(),
                      .actor = "system:chat",
                      .action = "posted",
                      .request_id = x.id,
                      .from_state = std::string(state_name(x.state)),
                      .to_state = std::string(state_name(x.state)),
                      .detail = fmt::format("channel {} message {}", posted->channel, posted->ts)};
  });
  if (!saved) return std::nullopt;
  return saved->first;
}

Result<AccessRequest> Engine::approve(const std::string& id, const std::string& approver) {
  auto who = identity_of(approver);
  if (!who) return fail(who.error());
  const auto policy = this->policy();
  std::optional<AuditEvent> event;
  auto changed = change(id, [&](AccessRequest& r) -> Result<std::optional<AuditEvent>> {
    if (r.state != State::pending) return fail(Error::Conflict(already_decided(r)));
    if (auto ok = check_approver(*policy, r, *who); !ok) return fail(ok.error());
    r.decisions.push_back({approver, true, "", clock_.now()});
    const int have = approvals_count(r), need = approvals_needed(*policy, r);
    auto e = transition(r, have >= need ? Action::approve : Action::approve_partial, approver,
                        fmt::format("approval {} of {}", have, need));
    if (!e) return fail(e.error());
    event = *e;
    return event;
  });
  if (!changed) return fail(changed.error());
  const AccessRequest& r = changed->first;
  announce(r, *event, r.state == State::approved ? std::optional(Notice::approved) : std::nullopt);
  if (r.state != State::approved) return r;
  auto granted = advance_grant(id);
  if (!granted) {
    spdlog::warn("event=grant_deferred request={} error=\"{}\"", id, granted.error().message);
    return store_.get_request(id);
  }
  return granted;
}

Result<> Engine::check_can_decide(const std::string& id, const std::string& approver) {
  auto who = identity_of(approver);
  if (!who) return fail(who.error());
  auto r = store_.get_request(id);
  if (!r) return fail(r.error());
  if (r->state != State::pending) return fail(Error::Conflict(already_decided(*r)));
  if (approver == r->requester)
    return fail(Error::Denied("you cannot decide on your own request; to withdraw it, cancel it"));
  return check_approver(*policy(), *r, *who);
}

Result<AccessRequest> Engine::deny(const std::string& id, const std::string& approver, const std::string& reason) {
  auto who = identity_of(approver);
  if (!who) return fail(who.error());
  const auto policy = this->policy();
  std::optional<AuditEvent> event;
  auto changed = change(id, [&](AccessRequest& r) -> Result<std::optional<AuditEvent>> {
    if (r.state != State::pending) return fail(Error::Conflict(already_decided(r)));
    if (approver == r.requester)
      return fail(Error::Denied("you cannot decide on your own request; to withdraw it, cancel it"));
    if (auto ok = check_approver(*policy, r, *who); !ok) return fail(ok.error());
    r.decisions.push_back({approver, false, reason, clock_.now()});
    r.end_reason = reason.empty() ? fmt::format("denied by {}", approver)
                                  : fmt::format("denied by {}: {}", approver, reason);
    auto e = transition(r, Action::deny, approver, reason);
    if (!e) return fail(e.error());
    event = *e;
    return event;
  });
  if (!changed) return fail(changed.error());
  announce(changed->first, *event, Notice::denied);
  return changed->first;
}

Result<AccessRequest> Engine::cancel(const std::string& id, const std::string& requester) {
  std::optional<AuditEvent> event;
  auto changed = change(id, [&](AccessRequest& r) -> Result<std::optional<AuditEvent>> {
    if (r.requester != requester) return fail(Error::Denied(fmt::format("only {} can cancel request {}", r.requester, r.id)));
    if (r.state == State::active)
      return fail(Error::Conflict(fmt::format("request {} is already active: release it instead", r.id)));
    if (r.state != State::pending)
      return fail(Error::Conflict(fmt::format("request {} is {}: only a pending request can be cancelled", r.id,
                                              state_name(r.state))));
    r.end_reason = "cancelled by the requester";
    auto e = transition(r, Action::cancel, requester, "");
    if (!e) return fail(e.error());
    event = *e;
    return event;
  });
  if (!changed) return fail(changed.error());
  announce(changed->first, *event, Notice::cancelled);
  return changed->first;
}

Result<AccessRequest> Engine::release(const std::string& id, const std::string& requester) {
  auto r = store_.get_request(id);
  if (!r) return fail(r.error());
  if (r->requester != requester)
    return fail(Error::Denied(fmt::format("only {} can release request {}", r->requester, r->id)));
  if (r->state == State::pending)
    return fail(Error::Conflict(fmt::format("request {} is still pending: cancel it instead", id)));
  if (r->state != State::active)
    return fail(Error::Conflict(fmt::format("request {} is {}, not active", id, state_name(r->state))));
  return advance_revoke(id, Action::release, requester, fmt::format("released early by {}", requester));
}

Result<AccessRequest> Engine::admin_revoke(const std::string& id, const std::string& admin, const std::string& reason) {
  auto who = identity_of(admin);
  if (!who) return fail(who.error());
  if (!is_admin(*policy(), *who))
    return fail(Error::Denied(fmt::format("{} is not an admin: only policy admins may revoke a grant", admin)));
  return revoke_by(id, Action::admin_revoke, admin, reason);
}

Result<AccessRequest> Engine::console_revoke(const std::string& id, const std::string& operator_name,
                                             const std::string& reason) {
  return revoke_by(id, Action::admin_revoke, "cli:" + operator_name, reason);
}

Result<AccessRequest> Engine::revoke_by(const std::string& id, Action action, const std::string& actor,
                                        const std::string& reason) {
  if (std::all_of(reason.begin(), reason.end(), [](unsigned char c) { return std::isspace(c); }))
    return fail(Error::Invalid("reason is required: say why the grant is revoked (--reason)"));
  auto r = store_.get_request(id);
  if (!r) return fail(r.error());
  if (r->state != State::active && r->state != State::revoking)
    return fail(Error::Conflict(fmt::format("request {} is {}, not active", id, state_name(r->state))));
  return advance_revoke(id, action, actor, fmt::format("revoked by {}: {}", actor, reason));
}

// ---------------------------------------------------------------------------------------------
// Grant and revoke paths

Result<AccessRequest> Engine::advance_grant(const std::string& id) {
  LocalClaim claim(*this, id);
  if (!claim) return store_.get_request(id);  // another thread of ours is on it
  const std::string actor = "system:engine";
  for (int step = 0; step < kMaxSteps; ++step) {
    auto read = store_.get_request(id);
    if (!read) return read;
    const AccessRequest r = *read;
    const TimePoint now = clock_.now();

    auto fail_grant = [&](const std::string& why) -> Result<AccessRequest> {
      std::optional<AuditEvent> event;
      auto changed = change(id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
        if (x.state != r.state || x.version != r.version) return std::nullopt;
        x.end_reason = why;
        auto e = transition(x, Action::grant_failed, actor, why);
        if (!e) return fail(e.error());
        event = *e;
        return event;
      });
      if (!changed) return fail(changed.error());
      if (event) {
        spdlog::error("event=grant_failed request={} error=\"{}\"", id, why);
        announce(changed->first, *event, Notice::failed);
      }
      return changed->first;
    };

    if (r.state == State::approved) {
      auto email = directory_.email_of(r.requester);
      if (!email) {
        if (email.error().code == Errc::not_found) return fail_grant("no e-mail address for " + r.requester);
        return fail(email.error());
      }
      auto principal = provider_.resolve_principal(*email);
      if (!principal) {
        if (principal.error().code == Errc::not_found) return fail_grant(principal.error().message);
        return fail(principal.error());
      }
      auto changed = change(id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
        if (x.state != State::approved) return std::nullopt;
        x.principal = *principal;
        x.expires_at = clock_.now() + x.duration;
        take_lease(x);
        return transition(x, Action::begin_grant, actor,
                          fmt::format("principal {}; expires at {}", x.principal, format_time(*x.expires_at)));
      });
      if (!changed) return fail(changed.error());
      continue;
    }

    if (r.state != State::granting) return r;

    if (r.lease_owner != options_.instance_id) {
      if (!lease_available(r)) return r;  // another instance is on it
      if (auto taken = take_over(r); !taken) return fail(taken.error());
      continue;
    }

    const Assignment a = assignment_of(r);
    if (now >= *r.expires_at) {
      // Too late to be useful: roll back whatever the provider may have done.
      if (auto undone = provider_.revoke(a); !undone) return fail(undone.error());
      return fail_grant("the grant did not complete before its expiry; rolled back");
    }
    crash_point("before_provider:grant");
    auto granted = provider_.grant(a);
    crash_point("after_provider:grant");
    if (!granted) {
      if (granted.error().code == Errc::unavailable) {
        spdlog::warn("event=grant_retry request={} error=\"{}\"", id, granted.error().message);
        return fail(granted.error());
      }
      // A refused grant created nothing (an existing assignment would have counted as success), so
      // the rollback is a precaution: only a transient failure of it is worth retrying.
      if (auto undone = provider_.revoke(a); !undone && undone.error().code == Errc::unavailable)
        return fail(undone.error());
      return fail_grant("the provider refused the grant: " + granted.error().message);
    }
    std::optional<AuditEvent> event;
    auto changed = change(id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
      if (x.state != State::granting || x.lease_owner != options_.instance_id) return std::nullopt;
      x.granted_at = clock_.now();
      clear_lease(x);
      auto e = transition(x, Action::grant_succeeded, actor,
                          fmt::format("active until {}", format_time(*x.expires_at)));
      if (!e) return fail(e.error());
      event = *e;
      return event;
    });
    if (!changed) return fail(changed.error());
    if (event) {
      schedule(changed->first);
      announce(changed->first, *event, Notice::active);
    }
    return changed->first;
  }
  return store_.get_request(id);
}

Result<AccessRequest> Engine::advance_revoke(const std::string& id, std::optional<Action> start,
                                             const std::string& actor, const std::string& reason) {
  // A person ending a grant waits for our own thread that may still be finishing it (telling
  // Slack it is active); the timer and the sweeper just come back later.
  const bool by_person = start && *start != Action::expire;
  LocalClaim claim(*this, id, by_person ? std::chrono::milliseconds(10000) : std::chrono::milliseconds(0));
  if (!claim) {
    if (by_person) return fail(Error::Unavailable(fmt::format("request {} is busy; try again in a moment", id)));
    return store_.get_request(id);  // another thread of ours is on it
  }
  for (int step = 0; step < kMaxSteps; ++step) {
    auto read = store_.get_request(id);
    if (!read) return read;
    const AccessRequest r = *read;

    if (r.state == State::active) {
      if (!start) return r;
      if (*start == Action::expire && clock_.now() < *r.expires_at) return r;  // not due yet
      auto changed = change(id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
        if (x.state != State::active) return std::nullopt;
        x.end_reason = reason;
        take_lease(x);
        return transition(x, *start, actor, reason);
      });
      if (!changed) return fail(changed.error());
      continue;
    }

    if (r.state != State::revoking) return r;

    if (r.lease_owner != options_.instance_id) {
      if (!lease_available(r)) return r;  // another instance is on it
      if (auto taken = take_over(r); !taken) return fail(taken.error());
      continue;
    }

    crash_point("before_provider:revoke");
    auto revoked = provider_.revoke(assignment_of(r));
    crash_point("after_provider:revoke");
    if (!revoked) {
      spdlog::error("event=revoke_failed request={} error=\"{}\" will_retry=true", id, revoked.error().message);
      if (options_.metrics) options_.metrics->inc("jit_revoke_failures_total");
      // The ops channel hears of it at once, then at most every alert_repeat while it lasts.
      std::optional<int> attempts;
      {
        std::lock_guard lock(alerts_mu_);
        FailingRevoke& f = failing_revokes_[id];
        ++f.failures;
        if (f.failures == 1 || clock_.now() - f.alerted_at >= options_.alert_repeat) {
          f.alerted_at = clock_.now();
          attempts = f.failures;
        }
      }
      if (attempts)
        alert(fmt::format("Could not revoke {} ({} on {} for {}): {}. Retrying until it is gone ({} failed so far).",
                          id, r.role, r.account, r.requester, revoked.error().message,
                          *attempts == 1 ? std::string("1 attempt") : fmt::format("{} attempts", *attempts)),
              id);
      return fail(revoked.error());
    }
    {
      std::optional<int> failures;
      {
        std::lock_guard lock(alerts_mu_);
        if (auto f = failing_revokes_.find(id); f != failing_revokes_.end()) {
          failures = f->second.failures;
          failing_revokes_.erase(f);
        }
      }
      if (failures)
        alert(fmt::format("Revoked {} ({} on {} for {}) after {} failed attempt{}: the access is gone.", id, r.role,
                          r.account, r.requester, *failures, *failures == 1 ? "" : "s"),
              id);
    }
    std::optional<AuditEvent> event;
    auto changed = change(id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
      if (x.state != State::revoking || x.lease_owner != options_.instance_id) return std::nullopt;
      auto e = transition(x, Action::revoke_succeeded, "system:engine", x.end_reason);
      if (!e) return fail(e.error());
      event = *e;
      return event;
    });
    if (!changed) return fail(changed.error());
    if (event) announce(changed->first, *event, Notice::revoked);
    return changed->first;
  }
  return store_.get_request(id);
}

Result<> Engine::take_over(const AccessRequest& r) {
  auto changed = change(r.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
    if (x.version != r.version) return std::nullopt;  // someone else moved first: re-read
    const std::string old_owner = x.lease_owner;
    take_lease(x);
    return transition(x, Action::reclaim, "system:engine", fmt::format("lease of {} had ended; taken over", old_owner));
  });
  if (!changed) return fail(changed.error());
  return {};
}

Result<bool> Engine::resume(const AccessRequest& r) {
  if (r.state == State::approved || r.state == State::granting) {
    if (r.state == State::granting && !lease_available(r)) return false;
    auto done = advance_grant(r.id);
    if (!done) return fail(done.error());
    return done->state != r.state;
  }
  if (r.state == State::revoking) {
    if (!lease_available(r)) return false;
    auto done = advance_revoke(r.id, std::nullopt, "system:engine", "");
    if (!done) return fail(done.error());
    return done->state != r.state;
  }
  return false;
}

}  // namespace jit
