// Keeps people's Home tabs current (issue 17): publishes a person's Home (slack/home.h, through
// views.publish) when they open it (app_home_opened) and, once they have opened it since the
// service started, after every change that concerns them: a change of their own request, and,
// when they may approve the request's role under policy now, every change of a request they could
// decide on. (Slack sends app_home_opened each time the tab is entered, so a Home is always built
// afresh when someone looks; people who never open it cost no views.publish.)
//
// Never on the engine's path: the engine's change listener only marks who needs a new Home (a
// mutex and a set insert, on the revoke path too), and one worker thread of this class reads the
// store and calls Slack. Marks coalesce per person: however many changes come while a person
// waits, their Home is built and published once, from the store as it is then (views.publish is
// Slack's Tier 4, about 100 a minute). Bounded: the people remembered as having opened their Home
// (the oldest forgotten first) and the marks waiting (the oldest dropped, logged). A failed
// publish is logged and left: the next change or opening publishes again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "ports/chat.h"
#include "ports/clock.h"
#include "slack/web_api.h"

namespace jit::slack {

struct HomeTabOptions {
  // People remembered as having opened their Home: they are the approvers whose Home follows the
  // requests they may decide on. Past it, the one who opened it longest ago is forgotten.
  std::size_t max_viewers = 1000;
  // Marks waiting to be worked on (people and request changes) before the oldest is dropped.
  std::size_t max_waiting = 10'000;
  // Pending requests read (newest first) to find what an approver may decide on.
  std::size_t decision_scan = 500;
  // `jit serve --dry-run`: every Home says that nothing is granted in AWS.
  bool dry_run = false;
};

class HomeTab {
 public:
  // Registers itself as `engine`'s change listener and starts its worker; the destructor stops the
  // worker and unregisters. All references must outlive this.
  HomeTab(Engine& engine, WebApi& api, Directory& directory, const Clock& clock, HomeTabOptions options = {});
  ~HomeTab();
  HomeTab(const HomeTab&) = delete;
  HomeTab& operator=(const HomeTab&) = delete;

  // `user` opened the app's Home tab: remembered as a viewer, and their Home is published before
  // the Homes that changes marked. An id that cannot be a Slack user id is ignored (logged).
  // Never blocks on Slack or the store. Thread-safe.
  void opened(const std::string& user);
  // `request` changed (the engine's change listener): marks the Homes of the viewers it concerns
  // (its requester, and those who may approve its role). Never blocks on Slack or the store.
  // Thread-safe.
  void changed(const AccessRequest& request);

  // The Home of `user` as it is now: their own grants and requests, and what they may decide on
  // (reads the store, policy and the directory; a read that fails is said in the view).
  nlohmann::json view_for(const std::string& user);
  // Builds `user`'s Home and publishes it (views.publish); false when Slack refused (logged).
  bool publish(const std::string& user);

  // Waits (on the clock) up to `deadline` until nothing is marked or being published; true when
  // idle. For tests and shutdown.
  bool wait_idle(std::chrono::milliseconds deadline);
  // Stops the worker (what is still marked is dropped) and unregisters from the engine. Idempotent.
  void stop();

 private:
  // A change of a request, as far as whose Home it concerns.
  using Change = std::tuple<std::string, std::string, std::string>;  // requester, account, role

  void run();
  // The viewers (other than the requester) who may approve `account`/`role` under policy now; one
  // whose groups cannot be looked up counts (publishing their own Home is harmless).
  std::set<std::string> approvers_among(const std::set<std::string>& viewers, const Change& change);
  // Whether `user` approves any role under policy now (the decision list is shown only then).
  bool approves_anything(const Identity& who) const;
  void mark(std::set<std::string>& marks, const std::string& user);  // mu_ held

  Engine& engine_;
  WebApi& api_;
  Directory& directory_;
  const Clock& clock_;
  HomeTabOptions options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_cv_;
  std::map<std::string, std::uint64_t> viewers_;  // user -> when they last opened it (a sequence number)
  std::uint64_t opened_seq_ = 0;
  std::set<std::string> opened_;   // Homes to publish first: their owners are looking
  std::set<std::string> marked_;   // Homes a change concerns
  std::deque<Change> changes_;     // changes not yet turned into marks
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace jit::slack
