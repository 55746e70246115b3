#include "slack/home_tab.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <iterator>
#include <vector>

#include "core/lifecycle.h"
#include "slack/escape.h"
#include "slack/home.h"

namespace jit::slack {

namespace {

// The most of a person's own requests read per list: one open request per role, so far more than
// a person holds; the view shows fewer (home.h) and counts the rest.
constexpr std::size_t kOwnScan = 100;

}  // namespace

HomeTab::HomeTab(Engine& engine, WebApi& api, Directory& directory, const Clock& clock, HomeTabOptions options)
    : engine_(engine), api_(api), directory_(directory), clock_(clock), options_(std::move(options)) {
  options_.max_viewers = std::max<std::size_t>(options_.max_viewers, 1);
  options_.max_waiting = std::max<std::size_t>(options_.max_waiting, 1);
  worker_ = std::thread([this] { run(); });
  engine_.set_change_listener([this](const AccessRequest& r) { changed(r); });
}

HomeTab::~HomeTab() { stop(); }

void HomeTab::mark(std::set<std::string>& marks, const std::string& user) {
  if (marks.contains(user)) return;
  if (opened_.size() + marked_.size() >= options_.max_waiting) {
    spdlog::warn("event=slack_home_dropped user={} reason=queue_full capacity={}", user, options_.max_waiting);
    return;
  }
  marks.insert(user);
}

void HomeTab::opened(const std::string& user) {
  if (!looks_like_user_id(user)) {
    spdlog::warn("event=slack_home_ignored reason=bad_user_id length={}", user.size());
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    viewers_[user] = ++opened_seq_;
    if (viewers_.size() > options_.max_viewers) {
      auto oldest = std::min_element(viewers_.begin(), viewers_.end(),
                                     [](const auto& a, const auto& b) { return a.second < b.second; });
      viewers_.erase(oldest);
    }
    marked_.erase(user);  // one publish serves both
    mark(opened_, user);
  }
  wake_.notify_one();
}

void HomeTab::changed(const AccessRequest& r) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    Change change{r.requester, r.account, r.role};
    if (std::find(changes_.begin(), changes_.end(), change) == changes_.end()) {
      if (changes_.size() >= options_.max_waiting) {
        spdlog::warn("event=slack_home_dropped request={} reason=queue_full capacity={}", r.id, options_.max_waiting);
        changes_.pop_front();
      }
      changes_.push_back(std::move(change));
    }
  }
  wake_.notify_one();
}

bool HomeTab::approves_anything(const Identity& who) const {
  const auto policy = engine_.policy();
  for (const auto& account : policy->accounts)
    for (const auto& role : account.roles)
      if (matches_any(who, approvers_of(account, role))) return true;
  return false;
}

std::set<std::string> HomeTab::approvers_among(const std::set<std::string>& viewers, const Change& change) {
  const auto& [requester, account_name, role_name] = change;
  std::set<std::string> out;
  const auto policy = engine_.policy();
  const AccountPolicy* account = policy->find_account(account_name);
  const RolePolicy* role = account ? account->find_role(role_name) : nullptr;
  if (!role) return out;  // no longer in policy: nobody may decide on it
  for (const auto& viewer : viewers) {
    if (viewer == requester) continue;
    auto groups = directory_.groups_of(viewer);
    if (!groups || matches_any(Identity{viewer, *groups}, approvers_of(*account, *role))) out.insert(viewer);
  }
  return out;
}

nlohmann::json HomeTab::view_for(const std::string& user) {
  HomeContent content;
  std::vector<std::string> problems;
  auto read_own = [&](std::vector<State> states, std::vector<AccessRequest>& into, const char* what) {
    auto rows = engine_.list_requests({.requester = user, .states = std::move(states), .limit = kOwnScan});
    if (rows) into = std::move(*rows);
    else problems.push_back(fmt::format("could not read your {} ({})", what, rows.error().message));
  };
  read_own(std::vector<State>(std::begin(kHoldingAccessStates), std::end(kHoldingAccessStates)), content.grants,
           "grants");
  read_own({State::pending, State::approved}, content.requests, "requests");
  auto groups = directory_.groups_of(user);
  if (!groups) {
    problems.push_back(fmt::format("could not look up your groups in Slack ({}), so what waits for your "
                                   "decision is not shown; reopen this tab in a moment",
                                   groups.error().message));
  } else if (approves_anything(Identity{user, *groups})) {
    content.approver = true;
    auto waiting = engine_.awaiting_decision(user, options_.decision_scan, &content.to_decide_cut);
    if (waiting) content.to_decide = std::move(*waiting);
    else problems.push_back(fmt::format("could not read what waits for your decision ({})", waiting.error().message));
  }
  for (const auto& p : problems) content.problem += (content.problem.empty() ? "" : "; ") + p;
  return home_view(content, *engine_.policy(), clock_.now(), options_.dry_run);
}

bool HomeTab::publish(const std::string& user) {
  auto published = api_.call("views.publish", {{"user_id", user}, {"view", view_for(user)}});
  if (!published) {
    spdlog::warn("event=slack_home_publish_failed user={} error={} detail=\"{}\"", user, published.error().error,
                 published.error().detail);
    return false;
  }
  return true;
}

void HomeTab::run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !opened_.empty() || !marked_.empty() || !changes_.empty(); });
    if (stopping_) break;
    busy_ = true;
    std::deque<Change> changes;
    changes.swap(changes_);
    std::set<std::string> viewers;
    for (const auto& [viewer, seq] : viewers_) viewers.insert(viewer);
    lock.unlock();
    // Whom the changes concern: group lookups may ask Slack, so outside the lock.
    std::set<std::string> concerned;
    for (const auto& change : changes) {
      if (viewers.contains(std::get<0>(change))) concerned.insert(std::get<0>(change));
      try {
        concerned.merge(approvers_among(viewers, change));
      } catch (const std::exception& e) {  // a worker that throws would end the process
        spdlog::error("event=slack_home_refresh_failed requester={} error=\"{}\"", std::get<0>(change), e.what());
      }
    }
    lock.lock();
    for (const auto& user : concerned)
      if (!opened_.contains(user)) mark(marked_, user);
    // One Home at a time, the people who are looking first; the rest waits, and coalesces.
    auto& from = !opened_.empty() ? opened_ : marked_;
    if (!from.empty()) {
      const std::string user = *from.begin();
      from.erase(from.begin());
      lock.unlock();
      try {
        publish(user);
      } catch (const std::exception& e) {
        spdlog::error("event=slack_home_publish_failed user={} error=\"{}\"", user, e.what());
      }
      lock.lock();
    }
    busy_ = false;
    if (opened_.empty() && marked_.empty() && changes_.empty()) idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

bool HomeTab::wait_idle(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  const auto idle = [&] { return stopping_ || (opened_.empty() && marked_.empty() && changes_.empty() && !busy_); };
  if (idle()) return true;
  return clock_.wait_until(lock, idle_cv_, clock_.now() + std::chrono::ceil<Seconds>(deadline), idle);
}

void HomeTab::stop() {
  // After this returns the engine no longer calls changed() (it calls its listener under its lock).
  engine_.set_change_listener(nullptr);
  std::thread worker;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    worker = std::move(worker_);
  }
  wake_.notify_all();
  idle_cv_.notify_all();
  if (worker.joinable()) worker.join();
}

}  // namespace jit::slack
