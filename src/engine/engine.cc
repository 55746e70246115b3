#include "engine/engine.h"
#include "engine/crash_points.h"
#include "engine/engine_internal.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "audit/facts.h"
#include "core/duration.h"
#include "crypto/digest.h"

namespace jit {

namespace {

std::string random_id() {
  static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";  // no 0/o, 1/l/i
  std::string bytes = crypto::random_bytes(8), id = "r";
  for (unsigned char b : bytes) id.push_back(kAlphabet[b % (sizeof(kAlphabet) - 1)]);
  return id;
}

}  // namespace

namespace engine_internal {

std::string facts_of(Action action, const AccessRequest& r) {
  switch (action) {
    case Action::submit: return audit::facts::of_submit(r);
    case Action::begin_grant: return audit::facts::of_begin_grant(r);
    case Action::grant_succeeded: return audit::facts::of_grant_succeeded(r);
    case Action::grant_failed:
    case Action::expire:
    case Action::release:
    case Action::admin_revoke:
    case Action::revoke_succeeded:
    case Action::lapse:
    case Action::cancel: return audit::facts::of_end(r);
    default: return "";  // decisions (their caller adds the counts) and lease moves prove nothing
  }
}

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

}  // namespace engine_internal

using engine_internal::clear_lease;
using engine_internal::facts_of;

Engine::Engine(std::shared_ptr<const Config> config, Store& store, AccessProvider& provider, Chat& chat,
               Directory& directory, const Clock& clock, EngineOptions options)
    : config_(std::move(config)),
      store_(store),
      provider_(provider),
      chat_(chat),
      directory_(directory),
      clock_(clock),
      options_(std::move(options)) {
  if (!config_) throw std::invalid_argument("Engine needs a configuration");
  if (!options_.new_id) options_.new_id = random_id;
  put_on_probation(nullptr, config_->policy);
}

Seconds minimum_lease(std::chrono::milliseconds call_deadline) {
  const auto with_margin = call_deadline + call_deadline / 4;
  return std::chrono::ceil<Seconds>(with_margin);
}

Result<> check_lease(Seconds lease, std::chrono::milliseconds call_deadline) {
  const Seconds least = minimum_lease(call_deadline);
  if (lease >= least) return {};
  return fail(Error::Invalid(fmt::format(
      "--lease {} is too short: one grant or revoke may take up to {} ([aws].call_timeout), and the lease must "
      "exceed that by a quarter, so another instance never takes over a call still running; use --lease {} or "
      "more, or lower [aws].call_timeout",
      format_duration(lease), format_duration(std::chrono::ceil<Seconds>(call_deadline)), format_duration(least))));
}

void Engine::set_config(std::shared_ptr<const Config> config) {
  if (!config) throw std::invalid_argument("Engine::set_config needs a configuration");
  std::shared_ptr<const Config> before;
  {
    std::lock_guard lock(config_mu_);
    before = std::exchange(config_, config);
  }
  put_on_probation(&before->policy, config->policy);
}

std::shared_ptr<const Config> Engine::config() const {
  std::lock_guard lock(config_mu_);
  return config_;
}

std::shared_ptr<const Policy> Engine::policy() const {
  auto c = config();
  return std::shared_ptr<const Policy>(c, &c->policy);
}

std::shared_ptr<const Settings> Engine::settings() const {
  auto c = config();
  return std::shared_ptr<const Settings>(c, &c->settings);
}

bool Engine::claim_local(const std::string& id, std::chrono::milliseconds wait) {
  std::unique_lock lock(local_mu_);
  const auto free = [&] { return !local_busy_.contains(id); };
  if (!free() &&
      (wait <= std::chrono::milliseconds(0) ||
       !clock_.wait_until(lock, local_cv_, clock_.now() + std::chrono::ceil<Seconds>(wait), free)))
    return false;
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

Result<Engine::Update> Engine::update_with_retry(const std::string& id, const Mutate& mutate,
                                                const AccessRequest* known) {
  for (int attempt = 0; attempt < options_.max_conflict_retries; ++attempt) {
    auto current = attempt == 0 && known ? Result<AccessRequest>(*known) : store_.get_request(id);
    if (!current) return fail(current.error());
    AccessRequest next = *current;
    auto event = mutate(next);
    if (!event) return fail(event.error());
    if (!event->has_value()) return Update{*current, std::nullopt};
    next.updated_at = clock_.now();
    mark_dry_run(**event);
    auto stored = store_.update_request(next, **event);
    if (stored) {
      crash_point("after_write:" + (*event)->action);
      spdlog::info("event={} request={} state={} actor={}", (*event)->action, id, state_name(stored->state),
                   (*event)->actor);
      count_in_metrics(**event, *stored);
      return Update{*stored, std::move(*event)};
    }
    if (stored.error().code != Errc::conflict) return fail(stored.error());
    spdlog::debug("request={} changed while being written; re-reading (attempt {})", id, attempt + 1);
  }
  return fail(Error::Conflict(fmt::format("request {} kept changing while being written; try again", id)));
}

void Engine::mark_dry_run(AuditEvent& e) const {
  if (options_.dry_run && !e.detail.starts_with(kDryRunNote)) e.detail = std::string(kDryRunNote) + e.detail;
}

Result<AccessRequest> Engine::create(const AccessRequest& request, AuditEvent event) {
  mark_dry_run(event);
  return store_.create_request(request, event);
}

Result<AccessRequest> Engine::update_and_announce(const std::string& id, const Mutate& mutate,
                                                  std::optional<Notice> notice) {
  auto updated = update_with_retry(id, mutate);
  if (!updated) return fail(updated.error());
  if (updated->event) announce(updated->request, *updated->event, notice);
  return std::move(updated->request);
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
  e.facts = facts_of(action, r);
  return e;
}

void register_engine_metrics(Metrics& m) {
  m.counter("jit_requests_total", "Access requests by outcome: submitted, then the state each one reached.");
  m.histogram("jit_revoke_lag_seconds", "Time from a grant's expiry to its revocation in AWS, in seconds.",
              {0, 1, 2, 5, 10, 30, 60, 120, 300, 900});
  m.counter("jit_revoke_failures_total", "Revocations that failed and will be retried.");
}

void Engine::count_in_metrics(const AuditEvent& e, const AccessRequest& r) {
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
  // Slack always names the user; an envelope without one is forged or broken, and "" must not
  // become a requester or an approver (policy's "*" would match it).
  if (user_id.empty()) return fail(Error::Invalid("no user id came with this action; nothing was done"));
  auto groups = directory_.groups_of(user_id);
  if (!groups)
    return fail(Error::Unavailable(fmt::format("could not look up the groups of {}: {}", user_id,
                                               groups.error().message)));
  return Identity{user_id, std::move(*groups)};
}

Result<UserProfile> Engine::standing_of(const std::string& user_id, const Policy& policy) {
  auto unavailable = [&](const Error& e) {
    return fail(Error::Unavailable(
        fmt::format("could not look up {} in Slack ({}); try again in a minute", user_id, e.message)));
  };
  auto profile = directory_.user(user_id);
  if (!profile && profile.error().code == Errc::not_found)
    return fail(Error::Denied(fmt::format("{} cannot be given access: Slack does not know the user", user_id)));
  if (!profile) return unavailable(profile.error());
  auto team = directory_.own_team();
  if (!team) return unavailable(team.error());
  if (auto ok = check_user_standing(*profile, *team, policy.allow_guests); !ok) return fail(ok.error());
  return profile;
}

void Engine::announce(const AccessRequest& r, const AuditEvent& e, std::optional<Notice> notice) {
  if (auto u = chat_.update_request(r, e); !u)
    spdlog::warn("event=chat_update_failed request={} error=\"{}\"", r.id, u.error().message);
  if (notice)
    if (auto n = chat_.notify_requester(r, *notice); !n)
      spdlog::warn("event=chat_notify_failed request={} error=\"{}\"", r.id, n.error().message);
  crash_point("after_chat:" + e.action);
  tell_listener(r);
}

void Engine::set_change_listener(std::function<void(const AccessRequest&)> listener) {
  std::lock_guard lock(change_listener_mu_);
  change_listener_ = std::move(listener);
}

void Engine::tell_listener(const AccessRequest& r) {
  // Called under the lock (the listener never blocks): once set_change_listener(nullptr) returns,
  // no call to the old listener is still running, so its owner may go.
  std::lock_guard lock(change_listener_mu_);
  if (change_listener_) change_listener_(r);
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
  auto saved = update_with_retry(r.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
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
                      .detail = fmt::format("channel {} message {}", posted->channel, posted->ts),
                      .facts = audit::facts::of_posted(posted->channel, posted->ts, posted->permalink)};
  });
  if (!saved) return std::nullopt;
  // A decision (or a cancel) that came between the post and this record found no message to
  // update, so the message would keep its buttons: show it now, with the latest change.
  if (saved->event && saved->request.state != State::pending) {
    auto events = store_.audit_events({.request_id = r.id});
    if (events) {
      for (auto e = events->rbegin(); e != events->rend(); ++e)
        if (e->action != "posted") {
          announce(saved->request, *e, std::nullopt);
          break;
        }
    } else {
      spdlog::warn("event=chat_update_failed request={} error=\"{}\"", r.id, events.error().message);
    }
  }
  return saved->request;
}

}  // namespace jit
