// The lifecycle engine: the only code that changes requests. It applies policy, writes each state
// change as a conditional write (with its audit event) through the Store, and drives the
// AccessProvider and Chat. Every handler is safe to call from several threads and from several
// processes sharing one store: a lost conditional write is re-read and re-decided, never forced.
//
// Crash safety: intent is written before the provider is called (`granting` before grant,
// `revoking` before revoke), each with a lease (owner, until). recover() / sweep() finish any
// in-flight row whose lease is ours or has run out, so a crash at any step converges.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "audit/keyring.h"
#include "audit/proof.h"

#include "observability/metrics.h"
#include "core/error.h"
#include "core/model.h"
#include "core/policy.h"
#include "core/settings.h"
#include "ports/access_provider.h"
#include "ports/chat.h"
#include "ports/clock.h"
#include "ports/on_call.h"
#include "ports/store.h"

namespace jit {

struct EngineOptions {
  // Owner name written into leases. Stable across restarts of one instance (so a restart resumes
  // its own in-flight work at once) and distinct between instances sharing a store.
  std::string instance_id = "jit";
  // How long an in-flight step (granting, revoking) is reserved for its owner. Must exceed the
  // provider's own deadline for one call (check_lease).
  Seconds lease{120};
  // A pending request not yet in its owner channel this long after it was stored is posted by the
  // sweeper (its submitter died or Slack failed); younger ones are left to their submitter.
  Seconds post_grace{10};
  // A revocation that keeps failing is reported to the ops channel when it first fails, then at
  // most this often while it goes on (and once more when it finally succeeds).
  Seconds alert_repeat{600};
  // Re-reads after a lost conditional write, before giving up with Errc::conflict.
  int max_conflict_retries = 8;
  // Generates request ids; default: "r" + 8 random base32 characters.
  std::function<std::string()> new_id;
  // Where to count requests by outcome and revoke lag (register_engine_metrics first); may be null.
  Metrics* metrics = nullptr;
  // `jit serve --dry-run`: the provider grants nothing, and every audit event says so.
  bool dry_run = false;
  // Called after each grant_succeeded is written (the audit checkpoint publisher's request()).
  // Must not block or throw; may be empty.
  std::function<void()> on_granted;
  // The keys that sealed the audit trail (the same the store seals with): a request's events are
  // checked with them before its grant. Unkeyed: each event's plain hash is checked.
  audit::Keyring audit_keys = audit::Keyring::unkeyed();
  // Who is on call (PagerDuty), for roles with auto_approve_if_on_call (issue 17); must outlive the
  // engine. Null: nobody is asked, and such requests wait for people.
  OnCall* on_call = nullptr;
};

// The shortest lease that may guard a provider call taking up to `call_deadline`: a quarter more,
// so another instance never takes over a step whose call is still running.
Seconds minimum_lease(std::chrono::milliseconds call_deadline);
// Errc::invalid, naming the fix, when `lease` is shorter than minimum_lease(call_deadline).
Result<> check_lease(Seconds lease, std::chrono::milliseconds call_deadline);

// What a dry run puts before the detail of every audit event.
inline constexpr std::string_view kDryRunNote = "dry run, nothing granted or revoked in AWS; ";

// Registers the metric families the engine updates.
void register_engine_metrics(Metrics& metrics);

// What someone asks for; the engine looks up the requester's groups itself.
struct SubmitCommand {
  std::string requester;
  std::string account;
  std::string role;
  std::string duration;
  std::string reason;
  std::string ticket;
};

// More time on an active grant (issue 17): `grant_id` is the requester's own active grant.
struct ExtendCommand {
  std::string requester;
  std::string grant_id;
  std::string duration;
  std::string reason;
};

// Several accounts in one request (issue 17): one role name, duration, reason and ticket on each
// of `accounts` (names or ids, the first one first).
struct BundleCommand {
  std::string requester;
  std::vector<std::string> accounts;
  std::string role;
  std::string duration;
  std::string reason;
  std::string ticket;
};

struct SweepReport {
  int lapsed = 0;     // pending requests expired past the approval window
  int revoked = 0;    // grants revoked past their expiry (the timers missed them)
  int resumed = 0;    // in-flight rows finished (granting/revoking/approved)
  int posted = 0;     // pending requests posted to their owner channel late (it had failed)
  int auto_approved = 0;  // requests of auto-approved roles a crash had left pending, approved
  int reminded = 0;   // pending requests re-announced to their approvers (remind_after, issue 17)
  int escalated = 0;  // pending requests escalated to their escalation approvers (escalate_after)
  int errors = 0;     // steps that failed and will be retried
};

struct ReconcileReport {
  int checked = 0;         // assignments listed from the provider
  int stray_revoked = 0;   // assignments without an active grant, revoked
  int stray_reported = 0;  // assignments without an active grant, left in place and reported
  int cutoffs_pruned = 0;  // session cut-off statements no live session needed, removed
  int errors = 0;
};

// A permission set on an account, as the reconciler manages it.
struct ManagedPermissionSet {
  std::string account_id;
  std::string permission_set_arn;
  auto operator<=>(const ManagedPermissionSet&) const = default;
};

// Every permission set the policy manages, with what the reconciler does with strays in it
// ("alert" when any role naming it says so).
std::map<ManagedPermissionSet, ReconcileMode> managed_permission_sets(const Policy& policy);

class Engine {
 public:
  Engine(std::shared_ptr<const Config> config, Store& store, AccessProvider& provider, Chat& chat,
         Directory& directory, const Clock& clock, EngineOptions options = {});

  // Replaces the configuration (on SIGHUP, after it was validated and plan_reload kept the
  // settings that need a restart): policy and settings change together, in one step.
  void set_config(std::shared_ptr<const Config> config);
  std::shared_ptr<const Config> config() const;
  // The current policy and settings (parts of config(), kept alive with it).
  std::shared_ptr<const Policy> policy() const;
  std::shared_ptr<const Settings> settings() const;
  // The keys the audit trail is checked with (EngineOptions::audit_keys): for other readers of the
  // trail that must not trust an event the store could have forged (the step-up service).
  const audit::Keyring& audit_keys() const { return options_.audit_keys; }

  // --- Handlers for people (Slack, CLI). Each returns the request as stored afterwards. ---

  // Checks policy and records a pending request; posts it for approval and tells the requester.
  Result<AccessRequest> submit(const SubmitCommand& command);
  // Asks for more time on an active grant (issue 17): files a new pending request for the grant's
  // account and role, linked to it (AccessRequest::extends), with every check of submit (policy as
  // it is now, the requester's standing, the duration within the role's maximum) and decided like
  // any other (approvers, step-up, auto-approval). Its duration counts from when it is granted, so
  // it must exceed the time the grant has left (Errc::invalid otherwise). Errc::denied when the
  // grant is someone else's; Errc::conflict when it is not active, or when an extension of it is
  // already open. Approved before the grant ends, its grant takes the assignment over without a
  // gap (engine/extend.cc); after, it is an ordinary grant.
  Result<AccessRequest> extend(const ExtendCommand& command);

  // Several accounts in one request (issue 17). First checks every account as a request on its own
  // would be checked (check_bundle: the bound, each account once, every policy rule) and that none
  // of them is already open for the requester: any refusal files nothing (the error names the
  // account). Then files each account through submit's own path, one after the other (each its own
  // request, posted in its own owner channel, decided, granted and expired on its own; an
  // auto-approved role is approved as it would be alone), its submit event carrying the `bundle`
  // fact (the first filed request's id). One that still fails (a request for it appeared
  // meanwhile, the provider could not be asked) is listed as not filed and the others stand. The
  // requester gets one direct message for the whole bundle (Chat::notify_bundle) instead of each
  // request's `submitted` notice.
  Result<BundleOutcome> submit_bundle(const BundleCommand& command);
  // Records an approval; the last approval needed starts the grant (which runs inside this call).
  // A role with step_up (policy as it is now) needs `step_up`, the proof of a verified WebAuthn
  // assertion for this request by this approver: without it Errc::denied and nothing is written.
  // The proof is recorded in the approval's audit event (credential id, assertion hash).
  Result<AccessRequest> approve(const std::string& request_id, const std::string& approver,
                                const std::optional<StepUpProof>& step_up = std::nullopt);
  // Approves a pending request of an auto-approved role (RolePolicy::auto_approve) as
  // kAutoApprover and starts the grant: submit calls it after posting, the sweeper for a request a
  // crash left pending. The same checks as a person's approval, with policy as it is now
  // (check_still_allowed, the requester's standing, the approval window); Errc::denied when the
  // role no longer auto-approves, and the request stays pending for approvers.
  // A role with auto_approve_if_on_call (issue 17): EngineOptions::on_call is asked first whether
  // the requester (by the e-mail recorded at submit) is on call on its schedule now; on call, the
  // same approval, its event naming the schedule and the matched PagerDuty user; not on call or no
  // answer, an `on_call_checked` event says why in the owner channel's thread and the request is
  // returned still pending, for people.
  Result<AccessRequest> auto_approve(const std::string& request_id);
  // Whether an approval of the request needs a WebAuthn step-up under policy as it is now (its
  // role has step_up). Errc::not_found for an unknown id; false for a role no longer in policy
  // (approve refuses it anyway).
  Result<bool> needs_step_up(const std::string& request_id);
  Result<AccessRequest> deny(const std::string& request_id, const std::string& approver, const std::string& reason);
  // Whether `approver` may decide on the request now (it is pending, they may approve it and it is
  // not theirs), without changing anything: the error approve/deny would give. Slack asks before
  // opening the deny form, so a stale or forbidden Deny is explained at once.
  Result<> check_can_decide(const std::string& request_id, const std::string& approver);
  // The pending requests `approver` may decide on now, newest first: each passes what
  // check_can_decide asks (pending, within the approval window, check_approver: an approver of its
  // role, not the requester, not decided yet), under policy as it is now. Reads at most `scan`
  // pending requests (the newest); `cut`, when given, is set to whether the read stopped there (so
  // there may be more). Errc::unavailable when their groups could not be looked up. Reads only
  // (the Home tab's "waiting for your decision").
  Result<std::vector<AccessRequest>> awaiting_decision(const std::string& approver, std::size_t scan,
                                                       bool* cut = nullptr);
  // Whether `user_id` is a jit admin under policy as it is now (their id or one of their
  // directory groups is in policy's admins). Errc::unavailable when their groups could not be
  // looked up; Errc::invalid for "". Reads only.
  Result<bool> is_jit_admin(const std::string& user_id);
  // The requester withdraws a pending request.
  Result<AccessRequest> cancel(const std::string& request_id, const std::string& requester);
  // The requester ends an active grant early.
  Result<AccessRequest> release(const std::string& request_id, const std::string& requester);
  // An admin ends an active grant. `reason` is required.
  Result<AccessRequest> admin_revoke(const std::string& request_id, const std::string& admin,
                                     const std::string& reason);
  // An operator at the console (`jit revoke`) ends an active grant: whoever can reach the store
  // is trusted, and is recorded as actor "cli:<operator>". `reason` is required.
  Result<AccessRequest> console_revoke(const std::string& request_id, const std::string& operator_name,
                                       const std::string& reason);

  // Requests as stored (for /jit list and the CLI): a read, no change.
  Result<std::vector<AccessRequest>> list_requests(const RequestQuery& query) { return store_.list_requests(query); }
  // One request as stored (Errc::not_found for an unknown id): what Slack shows around a decision.
  Result<AccessRequest> get_request(const std::string& id) { return store_.get_request(id); }

  // --- Background work. ---

  // On start: schedules timers for active grants and finishes in-flight rows.
  SweepReport recover();
  // Lapses undecided requests, revokes expired grants the timers missed, finishes in-flight rows.
  SweepReport sweep();
  // Finds every assignment of a managed permission set that no grant accounts for, and revokes it
  // when its role says reconcile = "revoke" and the permission set was reconciled before under
  // that mode (since this engine started or the reload that made it managed); otherwise reports
  // it (audit "stray_found", ops channel; again every alert_repeat while it stays) and leaves it.
  ReconcileReport reconcile();

  // The in-process timers: the earliest pending deadline, and firing every timer due by now
  // (returns how many grants it revoked, or with a revoke dispatcher, handed over).
  std::optional<TimePoint> next_timer() const;
  int fire_due_timers();
  // With a dispatcher, the timers and the sweeper hand each expired grant's id to it (a pool of
  // workers, see engine/revoke_pool.h) instead of revoking it on the calling thread, which then
  // never waits for AWS. The dispatcher must not block; it calls expire() later. Set it before
  // the loop starts (not thread-safe against the timers); nullptr revokes inline again.
  void set_revoke_dispatcher(std::function<void(const std::string& id)> dispatcher);
  // Revokes the grant `id` if it is active and past its expiry (what a timer does); the request as
  // stored afterwards. Safe to call twice and from several threads: a second caller for a request
  // this engine is already on returns at once (LocalClaim).
  Result<AccessRequest> expire(const std::string& id, const std::string& actor = "system:timer");
  // False when the store says `id` is no longer an active grant (released, revoked meanwhile):
  // expire() would leave it alone. A failed read says true, and expire() decides. The revocation
  // workers ask before they take a token of the rate, so a grant handed over twice costs none.
  bool still_active(const std::string& id);
  // Called with the request as stored after every change that is announced (a decision, grant,
  // failure, cancel, lapse, each step of a revocation) and after a submit, on the thread that made
  // the change: the revoke path among them, so it must not block or throw (the Home tab only marks
  // the people concerned, and publishes on a thread of its own). Calls are serialised, and once
  // this returns the previous listener is no longer being called. Thread-safe; nullptr: none.
  void set_change_listener(std::function<void(const AccessRequest&)> listener);
  // Called (from the thread that scheduled it) whenever a timer is added, so a service loop
  // sleeping until the next deadline can wake up and sleep again until the new one.
  void set_timer_listener(std::function<void()> listener);

 private:
  // Changes one request: returns its audit event for the change, std::nullopt for "nothing to
  // do", or an error (which ends the update unwritten).
  using Mutate = std::function<Result<std::optional<AuditEvent>>(AccessRequest&)>;
  struct Update {
    AccessRequest request;             // as stored afterwards
    std::optional<AuditEvent> event;   // the change written, or nullopt when there was nothing to do
  };

  // Read, mutate, conditional write (expected version), re-reading and mutating again on a lost
  // write, at most max_conflict_retries times. Counts the outcome in the metrics. `known`: the row
  // as the caller has just read it, mutated on the first attempt instead of reading it again (a
  // stale one only costs that attempt: its write loses on the version and the row is re-read).
  Result<Update> update_with_retry(const std::string& id, const Mutate& mutate,
                                   const AccessRequest* known = nullptr);
  // update_with_retry, then tells the owner channel (and the requester, with a notice) of the
  // change when one was written. Returns the request as stored.
  Result<AccessRequest> update_and_announce(const std::string& id, const Mutate& mutate,
                                            std::optional<Notice> notice);

  // The provider principal of the requester's e-mail on `target_arn` (the role's permission set
  // or elevated role), found at submit: Errc::denied when nobody has it (on the IAM-role path:
  // when the address cannot be a source identity), Errc::unavailable (try again) when the provider
  // cannot be asked. Messages name the path by the target's form (core/policy.h access_path_of).
  // A request is only stored with the principal that will receive the access, so the approver
  // sees who that is.
  Result<std::string> principal_at_submit(const std::string& email, const std::string& target_arn);
  // Stores a new pending request under a fresh id with its submit event; Errc::conflict naming the
  // open request when one for the same role appeared meanwhile.
  // `bundle` (issue 17): null for a request on its own; else the bundle's id for its submit
  // event's facts, and when it is "" (the bundle's first request) it is set to this request's id.
  Result<AccessRequest> create_pending(AccessRequest request, std::string* bundle = nullptr);
  // submit's path for one request; `bundle` as create_pending's. In a bundle the requester's
  // `submitted` notice is left to submit_bundle (one message for all).
  Result<AccessRequest> file_request(const SubmitCommand& command, std::string* bundle);
  // After a new pending request is stored: counts and logs it, posts it to its owner channel, approves it when its
  // role auto-approves or its requester is on call (and it was posted), tells the requester (unless
  // `tell_requester` is false: a bundle's one message does). The request as it is then.
  Result<AccessRequest> after_submit(AccessRequest created, const RolePolicy& role, bool tell_requester = true);

  // --- Extensions (engine/extend.cc, issue 17). ---

  // What an extension's grant finds of the grant it extends (AccessRequest::extends).
  enum class Extended {
    none,         // extends nothing, or the grant ended otherwise: an ordinary grant
    holding,      // the grant is active and holds the same assignment: to be taken over
    handed_over,  // the grant ended "extended by" this request (hand_over written)
    busy,         // the grant is being revoked (or granted): wait for it
  };
  // `grant`, when given, receives the grant as read. Errc::unavailable when it could not be read.
  Result<Extended> extended_grant(const AccessRequest& request, AccessRequest* grant);
  // The handover, for a granting extension whose cut-off and schedule exist (finish_grant): writes
  // hand_over on the grant, disarms the grant's cut-off and cancels its schedule. True when the
  // assignment is in place and needs no provider grant; false when the caller grants as usual
  // (no handover, or the assignment is gone, or the IAM-role path, which writes its own
  // statement). Errc::unavailable while the grant is being revoked.
  Result<bool> take_over_grant(AccessRequest& request);
  // True while the grant `request` extends is active and holds the same assignment (not handed
  // over yet): a rollback of `request` must then leave the assignment to it.
  Result<bool> shares_assignment(const AccessRequest& request);

  // Stores a new request with its submit event (marked in a dry run).
  Result<AccessRequest> create(const AccessRequest& request, AuditEvent event);
  // Marks an event before it is written, in a dry run.
  void mark_dry_run(AuditEvent& event) const;

  // Moves `request` by `action` (checked against the state machine) and builds its audit event.
  Result<AuditEvent> transition(AccessRequest& request, Action action, const std::string& actor,
                                const std::string& detail);

  // Runs `decide` on a pending request that `who` may decide on (check_approver), in one
  // conditional write. A request past its approval window lapses instead, and the decision is
  // refused (Errc::conflict).
  Result<Update> update_decision(const std::string& id, const Identity& who, const Policy& policy,
                                 const Mutate& decide);
  // pending -> expired: nobody decided within the approval window.
  Result<AuditEvent> lapse(AccessRequest& request, const Policy& policy, const std::string& actor);
  // The current identity of everyone who approved `request`: those in `known`, the others looked
  // up (Errc::unavailable when a lookup failed).
  Result<std::vector<Identity>> identities_of_approvers(const AccessRequest& request,
                                                        std::vector<Identity> known = {});
  // Why the grant of `request` must not go ahead under policy as it is now, or nullopt when it may:
  // it is still allowed (check_still_allowed), its requester may still be given access
  // (standing_of: not deactivated, no bot, no guest, …), enough of its approvers are approvers
  // still, and its last approval is within the approval window. Errc::unavailable when a lookup
  // failed.
  // Approvals by escalation approvers count only as `proof` (the chain's) shows them: after its
  // escalated event, by someone its escalation approvers named (issue 17).
  Result<std::optional<std::string>> grant_refusal(const AccessRequest& request, const audit::Proof& proof);

  // The grant path, from approved to active (or failed). Safe to call again at any point.
  Result<AccessRequest> advance_grant(const std::string& id);

  // --- Grants the chain proves (engine/chain_proof.cc). ---

  // Why the audit trail does not explain `request` (approved or granting) under policy as it is
  // now (audit::prove_request over its events, one Query), or nullopt when it does.
  // Errc::unavailable when the events could not be read. `policy_short`, when given, is set to
  // audit::step_up_shortfall for a role with step_up now whose approval events carry fewer
  // step-ups than it needs, else to audit::automatic_shortfall for an automatic approval policy
  // no longer explains ("" otherwise): a policy question, not a row the chain fails to explain.
  // `proof`, when given, is set to what the chain proves (its escalation above all, issue 17).
  Result<std::optional<std::string>> chain_refusal(const AccessRequest& request, std::string* policy_short = nullptr,
                                                   audit::Proof* proof = nullptr);
  // Refuses a row the chain does not explain: it goes to failed (no provider call) with an
  // end_reason saying so, and, when that write happened, the ops channel and the log hear of it.
  Result<AccessRequest> refuse_unproven(const AccessRequest& request, const std::string& problem);
  // The expiry the chain proves for the grant of `request` (its begin_grant event), read once per
  // request and then kept in memory; nullopt when the chain has no (intact) begin_grant event.
  // A begin_grant event from before facts were kept proves no expiry: the row's is taken.
  Result<std::optional<TimePoint>> chain_expiry(const AccessRequest& request);
  // The earlier of the row's expiry and the one proven for it (when known): what a revocation
  // checks against, so an edited column never postpones it. No I/O.
  TimePoint trusted_expiry(const AccessRequest& request);
  // Holds each active grant of `grants` to the expiry its chain proves (an edited later expiry
  // is restored and reported: audit "expiry_mismatch", ops channel), and arms its timer when it
  // expires by `arm_until` (all, with the warning, when nullopt: at start); an active row with no
  // grant event in the chain is revoked at once and reported. `complete`: `grants` is every
  // request holding access (recover, reconcile), so proven expiries of the others are forgotten.
  // Reads the events of a grant only the first time it is seen (then cached).
  void hold_to_chain(const std::vector<AccessRequest>& grants, TimePoint now, std::optional<TimePoint> arm_until,
                     bool complete, SweepReport& report);
  // Writes the chain's expiry back over an active row's later (or missing) one, with its audit
  // event; the request as stored afterwards.
  Result<AccessRequest> restore_expiry(const AccessRequest& request, TimePoint proven);
  // approved -> granting: resolves the requester's principal and fixes the expiry (intent before
  // action). The grant fails when the requester's e-mail in Slack, or the principal it resolves
  // to, is no longer the one stored at submit. A value when the grant failed for good, nullopt
  // when it moved on.
  Result<std::optional<AccessRequest>> begin_grant(const AccessRequest& request, const audit::Proof& proof);
  // granting (our lease) -> active: the provider call and its record.
  Result<AccessRequest> finish_grant(const AccessRequest& request, const audit::Proof& proof);
  // granting or approved -> failed, unless the row moved meanwhile; tells the requester.
  Result<AccessRequest> fail_grant(const AccessRequest& request, const std::string& why);
  // Revokes whatever the provider may have granted for `request` and cancels its scheduled revoke
  // (retried while either fails), then fail_grant. A cut-off armed for it stays (it only cuts
  // sessions of an assignment that is gone) until it is pruned.
  Result<AccessRequest> roll_back_and_fail(const AccessRequest& request, const std::string& why);

  // --- AWS-side enforcement of a grant (engine/enforcement.cc, issue 14). ---

  // What a grant asked AWS to enforce and what of it is done, as its audit events say: the
  // begin_grant event carries the role's flags as they were when the grant began, and each step
  // done has its own event (cutoff_armed, revoke_scheduled).
  struct Enforcement {
    bool cutoff = false;        // the role had session_cutoff when the grant began
    bool schedule = false;      // the role had scheduled_revoke when the grant began
    bool cutoff_armed = false;  // a cutoff_armed event is in the chain
    bool scheduled = false;     // a revoke_scheduled event is in the chain
  };
  // The grant's Enforcement: remembered from this engine's own writes and from the events it read,
  // otherwise read from the store (one Query; Errc::unavailable when that fails).
  Result<Enforcement> enforcement_of(const AccessRequest& request);
  // A session cut-off armed at grant time cuts the sessions issued before the expiry plus this
  // margin ([aws] cutoff_margin, as the policy is now): one opened between the expiry second and
  // the moment the assignment is gone (the timer's milliseconds, the schedule's up to a minute) is
  // cut too.
  Seconds cutoff_margin() const { return config()->settings.aws.cutoff_margin; }
  // Remembers what `events` (all of one request's) say about its enforcement, once they hold its
  // begin_grant event (before that, forgets it).
  void remember_enforcement(const std::string& id, const std::vector<AuditEvent>& events);
  void remember_enforcement(const std::string& id, const Enforcement& enforcement);
  void forget_enforcement(const std::string& id);
  // The grant step before provider_.grant: arms the cut-off and creates the schedule its begin_grant
  // event asked for, each recorded in its own event once AWS holds it. Returns nullopt when the
  // grant may go on (the row as now stored in `request`), a row when the grant ended or moved on
  // (failed, or another instance took it over), an error to retry later.
  Result<std::optional<AccessRequest>> enforce_at_grant(AccessRequest& request);
  // Records an enforcement step of a granting row that is still ours, renewing its lease; the
  // update's event is nullopt when the row is no longer ours to finish.
  Result<Update> record_grant_step(const AccessRequest& request, AuditEvent event);
  // What grant_succeeded's detail adds about the grant's enforcement ("" when none).
  std::string enforcement_note(const AccessRequest& request);
  // Undoes at the provider whatever a grant may have done: cancels its schedule (when it asked for
  // one), then revokes its assignment.
  Result<> undo_grant(const AccessRequest& request);
  // A grant ended before its expiry (release, admin revoke) with a cut-off armed: rewrites the
  // cut-off to cut sessions issued before now, from now. The time it was moved to, or nullopt when
  // nothing needed moving (no cut-off, or the expiry has passed and the armed one already cuts).
  Result<std::optional<TimePoint>> end_cutoff_early(const AccessRequest& request, const Enforcement& enforcement);
  // Cancels the grant's schedule when it asked for one; true when it did.
  Result<bool> cancel_schedule(const AccessRequest& request, const Enforcement& enforcement);
  // Prunes the cut-offs no live session needs from each permission set of a session_cutoff role.
  void prune_cutoffs(const Policy& policy, ReconcileReport& report);
  // The revoke path, from active (by `action`) or revoking, to revoked. `known`: the row as the
  // caller has just read it, so the path starts without reading it again; after each of its own
  // writes it goes on from the row as written. (On the expiry path every store round trip before
  // DeleteAccountAssignment is revoke lag, and with several instances they all queue at the store.)
  Result<AccessRequest> advance_revoke(const std::string& id, std::optional<Action> start, const std::string& actor,
                                       const std::string& reason, std::optional<AccessRequest> known = std::nullopt);
  // revoking (our lease) -> revoked: the provider call and its record.
  Result<AccessRequest> finish_revoke(const AccessRequest& request);
  // Logs and counts a failed revocation; alerts the ops channel at once, then every alert_repeat.
  void note_revoke_failure(const AccessRequest& request, const Error& error);
  // After failures, tells the ops channel the access is gone at last.
  void note_revoke_success(const AccessRequest& request);
  // Takes over the lease of an in-flight row whose owner's lease has run out (or that was another
  // instance's). A lost race is not an error: the caller re-reads.
  Result<> take_over(const AccessRequest& request);
  // Finishes one in-flight row if its lease allows.
  Result<bool> resume(const AccessRequest& request);
  Result<AccessRequest> revoke_by(const std::string& id, Action action, const std::string& actor,
                                  const std::string& reason);

  // Sweep steps: pending requests past the approval window lapse; pending requests not yet in
  // their owner channel are posted.
  void lapse_undecided(const Policy& policy, TimePoint now, SweepReport& report);
  void post_unposted(TimePoint now, SweepReport& report);
  void approve_automatic(const Policy& policy, TimePoint now, SweepReport& report);
  // Nobody answers (engine/nobody_answers.cc, issue 17): pending requests in their channel that
  // waited remind_after are re-announced once, those that waited escalate_after escalated once.
  void nudge_undecided(const Policy& policy, TimePoint now, SweepReport& report);
  enum class Nudge { remind, escalate };
  // One step on one request: a conditional write that sets reminded_at or escalated_at with its
  // audit event ("reminded", "escalated": facts::of_nudge), re-checked on the stored row so that
  // two instances never do it twice; then the thread reply and, for an escalation, the escalation
  // channel's message. False when the row no longer needs it.
  Result<bool> nudge(const std::string& id, Nudge step, const Policy& policy);

  Result<Identity> identity_of(const std::string& user_id);
  // One due timer: the requester's warning, or the expiry (handed to the revoke dispatcher when
  // there is one). True when a grant was revoked or handed over.
  bool fire_timer(const std::string& id, bool warning);
  // The user's profile as Slack shows it now, when they may be given access at all
  // (check_user_standing under `policy`): Errc::denied naming why not, Errc::unavailable when the
  // directory could not be asked (try again).
  Result<UserProfile> standing_of(const std::string& user_id, const Policy& policy);
  // Issue 17: asks EngineOptions::on_call whether the requester of pending `r` is on call on
  // `schedule` now. On call: the proof to record. Otherwise nullopt, after recording and
  // announcing an on_call_checked event that says why people decide.
  std::optional<OnCallProof> ask_on_call(const AccessRequest& r, const std::string& schedule);
  // Counts a written change in the metrics (requests by outcome, revoke lag).
  void count_in_metrics(const AuditEvent& event, const AccessRequest& stored);
  bool lease_available(const AccessRequest& r) const;
  void take_lease(AccessRequest& r) const;
  // Timers for an active grant: its expiry and (with `warning`) the requester's warning before it.
  void schedule(const AccessRequest& r, bool warning = true);
  void announce(const AccessRequest& r, const AuditEvent& e, std::optional<Notice> notice);
  // Hands `r` to the change listener, if any (set_change_listener).
  void tell_listener(const AccessRequest& r);
  // Marks the permission sets that `after` manages and `before` did not (or only with reconcile =
  // "alert") as not yet reconciled: their first reconcile only reports.
  void put_on_probation(const Policy* before, const Policy& after);
  // A stray left in place: counted, and reported unless it was within alert_repeat.
  void report_stray(const Assignment& a, bool first_pass, ReconcileReport& report);
  // An audit event of the reconciler's, not tied to a request.
  void record_reconciler_event(const std::string& action, const std::string& detail);
  // Posts to the ops channel; a failure is logged (alerts never stop the lifecycle).
  void alert(const std::string& text, const std::string& request_id);
  // Posts the request to its owner channel and records where (audit action "posted"); the stored
  // request, or nullopt when Slack or the store failed (the sweeper tries again).
  std::optional<AccessRequest> post_to_chat(const AccessRequest& r);

  // Guards against two threads of this process working on the same request at once.
  class LocalClaim;
  // Marks `id` as being worked on by a thread of this engine; false when one already is. With a
  // `wait`, waits on the clock up to that long (in whole seconds) for the other thread to finish.
  bool claim_local(const std::string& id, std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  void release_local(const std::string& id);

  mutable std::mutex config_mu_;
  std::shared_ptr<const Config> config_;
  Store& store_;
  AccessProvider& provider_;
  Chat& chat_;
  Directory& directory_;
  const Clock& clock_;
  EngineOptions options_;

  mutable std::mutex timers_mu_;
  std::multimap<TimePoint, std::pair<std::string, bool>> timers_;  // deadline -> (id, is_warning)
  std::function<void()> timer_listener_;
  std::function<void(const std::string&)> revoke_dispatcher_;
  std::mutex change_listener_mu_;
  std::function<void(const AccessRequest&)> change_listener_;

  // Revocations failing right now (this instance's attempts), for alerting once, not every sweep.
  struct FailingRevoke {
    int failures = 0;
    TimePoint alerted_at{};
  };
  std::mutex alerts_mu_;
  std::map<std::string, FailingRevoke> failing_revokes_;

  // Requests of an auto-approved role the sweeper may no longer approve (Errc::denied at its last
  // sweep): warned about once, not every sweep until they lapse. Only those of the last sweep are
  // kept (at most one batch).
  std::mutex auto_refused_mu_;
  std::set<std::string> auto_refused_;

  // The reconciler's memory: permission sets not reconciled yet since they became managed, and
  // when each stray left in place was last reported.
  std::mutex reconcile_mu_;
  std::set<ManagedPermissionSet> on_probation_;
  std::map<Assignment, TimePoint> strays_reported_;

  // Expiries proven by the chain, by request id, for the grants this engine has seen active.
  std::mutex expiries_mu_;
  std::map<std::string, TimePoint> proven_expiries_;

  // Enforcement of the grants this engine has seen (issue 14), by request id.
  std::mutex enforcement_mu_;
  std::map<std::string, Enforcement> enforcement_;

  std::mutex local_mu_;
  std::condition_variable local_cv_;
  std::set<std::string> local_busy_;
};

}  // namespace jit
