#include "audit/proof.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

#include "audit/chain.h"
#include "audit/facts.h"
#include "core/text.h"

namespace jit::audit {

namespace {

using facts::Json;

bool holds_or_may_hold(State s) {
  return s == State::approved || s == State::granting || s == State::active || s == State::revoking;
}
bool before_revocation(State s) { return s == State::approved || s == State::granting || s == State::active; }
bool granted(State s) { return s == State::active || s == State::revoking; }

std::string time_text(std::int64_t epoch) { return format_time(TimePoint{Seconds{epoch}}); }

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out.empty() ? "(none)" : out;
}

class Examiner {
 public:
  Examiner(const AccessRequest& row, const Keyring& keys, const Policy* policy)
      : row_(row), keys_(keys), policy_(policy) {}

  Examination run(const std::vector<AuditEvent>& events) {
    for (const auto& e : events) take(e);
    check_submit();
    check_escalation();
    check_approvals();
    check_grant();
    if (policy_) check_policy();
    return std::move(out_);
  }

 private:
  void bad(std::string field, std::string row, std::string chain, bool policy = false) {
    out_.mismatches.push_back({std::move(field), std::move(row), std::move(chain), policy});
  }

  void take(const AuditEvent& e) {
    const std::string where = fmt::format("event {}", e.seq);
    // The one place the chain's own check is made: with the audit keys, a forged event fails here.
    if (auto sealed = check_event(e, keys_); !sealed) return bad(where, "", sealed.error().message);
    if (e.request_id != row_.id) return bad(where, row_.id, "belongs to request " + e.request_id);
    auto read = facts::read(e);
    if (!read) return bad(where, "", read.error().message);
    const std::string& a = e.action;
    if (a == "submit") {
      ++submits_;
      submit_ = *read;
    } else if (a == "approve" || a == "approve_partial") {
      approvals_.push_back({e, *read});
      final_approval_ = final_approval_ || a == "approve";
    } else if (a == "escalated") {
      if (!escalation_) escalation_ = {e, *read};
    } else if (a == "begin_grant") {
      ++grants_;
      begin_ = {e, *read};
    } else if (a == "grant_succeeded") {
      succeeded_ = true;
    } else if (a == "hand_over") {
      ++handovers_;
      handed_to_ = facts::text(*read, "extended_by").value_or("");
      if (holds_or_may_hold(row_.state))
        bad("state", std::string(state_name(row_.state)), fmt::format("ended by {} ({})", a, where));
    } else if (a == "deny" || a == "cancel" || a == "lapse" || a == "grant_failed" || a == "revoke_succeeded") {
      if (holds_or_may_hold(row_.state))
        bad("state", std::string(state_name(row_.state)), fmt::format("ended by {} ({})", a, where));
    } else if (a == "expire" || a == "release" || a == "admin_revoke") {
      if (before_revocation(row_.state))
        bad("state", std::string(state_name(row_.state)), fmt::format("revocation started by {} ({})", a, where));
    }
  }

  void same_text(const char* key, const std::string& row_value) {
    const auto chain = facts::text(submit_, key);
    if (chain != row_value) bad(key, row_value, chain.value_or("(absent)"));
  }
  void same_number(const char* key, std::int64_t row_value, bool is_time) {
    const auto chain = facts::number(submit_, key);
    if (chain == row_value) return;
    const auto show = [&](std::int64_t v) { return is_time ? time_text(v) : std::to_string(v); };
    bad(key, show(row_value), chain ? show(*chain) : "(absent)");
  }

  void check_submit() {
    if (submits_ != 1) {
      bad("submit", "", submits_ == 0 ? "no submit event" : fmt::format("{} submit events", submits_));
      if (submits_ == 0) return;
    }
    if (submit_.empty()) return bad("submit", "", "the submit event carries no facts (written before they were kept)");
    for (auto [key, value] : {std::pair{"requester", &row_.requester}, std::pair{"account", &row_.account},
                              std::pair{"account_id", &row_.account_id}, std::pair{"role", &row_.role},
                              std::pair{"permission_set_arn", &row_.permission_set_arn},
                              std::pair{"reason", &row_.reason}, std::pair{"ticket", &row_.ticket},
                              std::pair{"requester_email", &row_.requester_email},
                              std::pair{"principal", &row_.principal}})
      same_text(key, *value);
    // An extension's link to its grant (issue 17): absent from the facts of a fresh request.
    if (const auto chain = facts::text(submit_, "extends").value_or(""); chain != row_.extends)
      bad("extends", row_.extends.empty() ? "(none)" : row_.extends, chain.empty() ? "(none)" : chain);
    same_number("duration_s", row_.duration.count(), false);
    same_number("created_at", epoch_seconds(row_.created_at), true);
    Proof& p = out_.proof;
    p.requester = facts::text(submit_, "requester").value_or("");
    p.account = facts::text(submit_, "account").value_or("");
    p.account_id = facts::text(submit_, "account_id").value_or("");
    p.role = facts::text(submit_, "role").value_or("");
    p.permission_set_arn = facts::text(submit_, "permission_set_arn").value_or("");
    p.principal = facts::text(submit_, "principal").value_or("");
    p.extends = facts::text(submit_, "extends").value_or("");
  }

  // Issue 17: an escalation approver's approval counts only after an `escalated` event, so the
  // row's word that it was escalated must be the chain's.
  void check_escalation() {
    const std::string row = row_.escalated_at ? format_time(*row_.escalated_at) : "(not escalated)";
    if (!escalation_) {
      if (row_.escalated_at) bad("escalated_at", row, "no escalated event");
      return;
    }
    const auto& [e, f] = *escalation_;
    if (!row_.escalated_at || epoch_seconds(*row_.escalated_at) != epoch_seconds(e.at))
      bad("escalated_at", row, fmt::format("escalated at {} (event {})", format_time(e.at), e.seq));
    out_.proof.escalated_to = facts::approvers_of_nudge(f);
  }

  void check_approvals() {
    const std::string& requester = submit_.empty() ? row_.requester : out_.proof.requester;
    std::vector<std::string>& chain = out_.proof.approvers;
    for (const auto& [e, f] : approvals_) {
      const auto approver = facts::text(f, "approver");
      const auto approved = f.find("approved");
      if (!approver || approved == f.end() || !approved->is_boolean() || !approved->get<bool>() || *approver != e.actor) {
        bad(fmt::format("event {}", e.seq), "", "an approval event whose facts do not name its approver");
        continue;
      }
      if (*approver == requester) {
        bad("approvals", "", fmt::format("{} approved their own request (event {})", *approver, e.seq));
        continue;
      }
      if (std::find(chain.begin(), chain.end(), *approver) != chain.end()) {
        bad("approvals", "", fmt::format("{} approved twice (event {})", *approver, e.seq));
        continue;
      }
      chain.push_back(*approver);
      if (facts::step_up_of(f)) out_.proof.stepped_up.push_back(*approver);
      if (*approver == kAutoApprover) check_on_call(e, f);
      if (escalation_ && e.seq > escalation_->first.seq) out_.proof.approved_after_escalation.push_back(*approver);
    }
    std::vector<std::string> on_row;
    for (const auto& d : row_.decisions)
      if (d.approved && d.approver != row_.requester &&
          std::find(on_row.begin(), on_row.end(), d.approver) == on_row.end())
        on_row.push_back(d.approver);
    if (std::set(on_row.begin(), on_row.end()) != std::set(chain.begin(), chain.end()))
      bad("approvals", joined(on_row), joined(chain));
    out_.proof.approved = final_approval_;
    if (holds_or_may_hold(row_.state) && !final_approval_)
      bad("approve", std::string(state_name(row_.state)), "no approve event");
  }

  // An on-call auto-approval (issue 17) names the person PagerDuty had on call: their e-mail must
  // be the requester's as the submit event recorded it.
  void check_on_call(const AuditEvent& e, const Json& f) {
    const auto on_call = facts::on_call_of(f);
    if (!on_call) return;
    out_.proof.on_call_schedule = on_call->schedule;
    const auto requester_email = facts::text(submit_, "requester_email").value_or("");
    if (requester_email.empty() || !text::iequals(on_call->email, requester_email))
      bad("approvals", requester_email,
          fmt::format("an on-call approval of {} on schedule {} (event {})",
                      on_call->email.empty() ? "nobody" : on_call->email, on_call->schedule, e.seq));
  }

  void check_grant() {
    Proof& p = out_.proof;
    p.has_grant = grants_ > 0;
    const std::string state(state_name(row_.state));
    if (grants_ > 1) bad("begin_grant", "", fmt::format("{} begin_grant events", grants_));
    if (row_.state == State::approved && p.has_grant)
      bad("begin_grant", state, fmt::format("the request went to granting at event {}", begin_.first.seq));
    if ((row_.state == State::granting || granted(row_.state)) && !p.has_grant)
      bad("begin_grant", state, "no begin_grant event");
    if (granted(row_.state) && !succeeded_) bad("grant_succeeded", state, "no grant_succeeded event");
    p.handed_over_to = handed_to_;
    if (handovers_ > 1) bad("hand_over", "", fmt::format("{} hand_over events", handovers_));
    if (handovers_ > 0 && handed_to_.empty()) bad("hand_over", "", "a hand_over event that names no extension");
    if (handovers_ > 0 && !succeeded_) bad("hand_over", "", "handed over a grant that never succeeded");
    if (!p.has_grant || begin_.second.empty()) return;  // none, or from before facts were kept
    const Json& f = begin_.second;
    for (auto [key, value] : {std::pair{"account_id", &row_.account_id},
                              std::pair{"permission_set_arn", &row_.permission_set_arn},
                              std::pair{"principal", &row_.principal}})
      if (auto chain = facts::text(f, key); chain != *value) bad(key, *value, chain.value_or("(absent)"));
    const auto expires = facts::number(f, "expires_at");
    if (!expires) return bad("expires_at", "", "the begin_grant event names no expiry");
    p.expires_at = TimePoint{Seconds{*expires}};
    if (const auto duration = facts::number(submit_, "duration_s");
        duration && *expires > epoch_seconds(begin_.first.at) + *duration)
      bad("expires_at", "", fmt::format("the begin_grant event's expiry {} is later than its time plus the {} s asked "
                                        "for", time_text(*expires), *duration));
    if (row_.expires_at != p.expires_at)
      bad("expires_at", row_.expires_at ? format_time(*row_.expires_at) : "(none)", time_text(*expires));
  }

  void check_policy() {
    const Proof& p = out_.proof;
    if (submit_.empty()) return;
    const AccountPolicy* account = policy_->find_account(p.account);
    if (!account) return bad("account", p.account, "no longer in policy", true);
    const RolePolicy* role = account->find_role(p.role);
    if (!role) return bad("role", p.role, "no longer on account " + account->name + " in policy", true);
    if (account->id != p.account_id) bad("account_id", p.account_id, "policy says " + account->id, true);
    if (role->permission_set_arn != p.permission_set_arn)
      bad("permission_set_arn", p.permission_set_arn, "policy says " + role->permission_set_arn, true);
    // An auto-approval (issue 17) stands in for people only while the role auto-approves (or, an
    // on-call one, while the role names the schedule its event names); it is never counted as a
    // person's approval.
    const auto people = static_cast<int>(std::count_if(p.approvers.begin(), p.approvers.end(),
                                                       [](const std::string& a) { return a != kAutoApprover; }));
    const bool automatic = static_cast<int>(p.approvers.size()) > people;
    if (auto shortfall = automatic_shortfall(p, *role); !shortfall.empty())
      bad("approvals", kAutoApprover, shortfall, true);
    else if (automatic)
      return;  // the machine's approval is all the role asks
    else if (people < role->approvals_required)
      bad("approvals", "", fmt::format("{} approval event(s), policy needs {}", people, role->approvals_required),
          true);
    else if (role->step_up && static_cast<int>(p.stepped_up.size()) < role->approvals_required)
      bad("approvals", "", step_up_shortfall(p, *role), true);
  }

  const AccessRequest& row_;
  const Keyring& keys_;
  const Policy* policy_;
  Examination out_;
  int submits_ = 0, grants_ = 0, handovers_ = 0;
  std::string handed_to_;
  Json submit_ = Json::object();
  std::vector<std::pair<AuditEvent, Json>> approvals_;
  bool final_approval_ = false, succeeded_ = false;
  std::pair<AuditEvent, Json> begin_{AuditEvent{}, Json::object()};
  std::optional<std::pair<AuditEvent, Json>> escalation_;  // the first escalated event
};

}  // namespace

std::string Mismatch::describe() const {
  if (row.empty()) return fmt::format("{}: {}", field, chain);
  return fmt::format("{}: the row says {}, the chain {}", field, row, chain);
}

Examination examine_request(const AccessRequest& row, const std::vector<AuditEvent>& events, const Keyring& keys,
                            const Policy* policy) {
  return Examiner(row, keys, policy).run(events);
}

Result<Proof> prove_request(const AccessRequest& row, const std::vector<AuditEvent>& events, const Keyring& keys,
                            const Policy& policy) {
  auto exam = examine_request(row, events, keys, &policy);
  if (exam.mismatches.empty()) return std::move(exam.proof);
  return fail(Error::Denied(unexplained(row.id, exam.mismatches, true)));
}

std::string handover_problem(const std::string& grant_id, const Proof& grant, const std::string& extension_id,
                             const Proof& extension) {
  if (grant.handed_over_to != extension_id)
    return fmt::format("grant {} was {} request {}", grant_id,
                       grant.handed_over_to.empty() ? "not handed over to"
                                                    : "handed over to " + grant.handed_over_to + ", not to",
                       extension_id);
  if (extension.extends != grant_id)
    return fmt::format("grant {} was handed over to request {}, whose submit event extends {}", grant_id, extension_id,
                       extension.extends.empty() ? "nothing" : extension.extends);
  if (!extension.approved)
    return fmt::format("grant {} was handed over to request {}, which no approve event approved", grant_id,
                       extension_id);
  return "";
}

std::string step_up_shortfall(const Proof& proof, const RolePolicy& role) {
  const int have = static_cast<int>(proof.stepped_up.size());
  if (!role.step_up || have >= role.approvals_required) return "";
  return fmt::format("role {} needs each approval made with a security key (step_up), but only {} of the {} "
                     "approvals needed were (the others were recorded without one: step-up was turned on after "
                     "the click, or the store was written to directly)",
                     role.name, have, role.approvals_required);
}

std::string automatic_shortfall(const Proof& proof, const RolePolicy& role) {
  if (std::find(proof.approvers.begin(), proof.approvers.end(), kAutoApprover) == proof.approvers.end()) return "";
  if (auto_approval_stands(role, proof.on_call_schedule)) return "";
  if (proof.on_call_schedule.empty()) return "auto-approved, but policy no longer auto-approves role " + role.name;
  return fmt::format("auto-approved as on call on PagerDuty schedule {}, but policy no longer names that schedule "
                     "for role {}",
                     proof.on_call_schedule, role.name);
}

std::string unexplained(const std::string& request_id, const std::vector<Mismatch>& mismatches, bool with_policy) {
  std::string problems;
  for (const auto& m : mismatches)
    if (with_policy || !m.policy) problems += (problems.empty() ? "" : "; ") + m.describe();
  if (problems.empty()) return "";
  return fmt::format("the audit trail does not explain request {}: {}", request_id, problems);
}

}  // namespace jit::audit
