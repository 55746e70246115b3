// A step-up service on a real Engine over in-memory ports (tests/fakes), the memory step-up store
// and software authenticators (tests/support/soft_authenticator.h): what the page would send,
// made without a browser. prod/glass (break-glass, 2 approvals) has step_up.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "engine/engine_fixture.h"
#include "fakes/memory_step_up_store.h"
#include "stepup/service.h"
#include "support/soft_authenticator.h"

namespace jit::testing {

inline const std::string kOrigin = "https://jit.test:8443";
inline const stepup::RelyingParty kRp{kOrigin, "jit.test"};

inline std::shared_ptr<Config> step_up_config() {
  auto c = test_config();
  c->settings.step_up.origin = kOrigin;
  for (auto& role : c->policy.accounts.front().roles)
    if (role.name == "glass") role.step_up = true;
  return c;
}

class StepUpTest : public ::testing::Test {
 protected:
  StepUpTest() { spdlog::set_level(spdlog::level::off); }

  static std::string token_of(const stepup::Link& link) { return link.url.substr(link.url.rfind('/') + 1); }
  StepUpChallenge challenge_of(const std::string& token) { return links.get_challenge(token).value(); }
  static nlohmann::json token_body(const std::string& token) { return {{"token", token}}; }

  // A pending glass request of `requester`.
  std::string submit_glass(const std::string& requester = "U0DEV") {
    auto r = engine->submit({requester, "prod", "glass", "1h", "incident INC-7", ""});
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->id : std::string();
  }

  // Enrols `key` for `user` through a link, stepping up with `step_up` when given.
  stepup::PageAnswer enrol(const std::string& user, SoftAuthenticator& key, SoftAuthenticator* step_up = nullptr,
                           const std::string& name = "security key") {
    auto link = service.enrollment_link(user);
    EXPECT_TRUE(link) << link.error().message;
    const std::string token = token_of(*link);
    const auto challenge = challenge_of(token);
    auto body = finish_body(token, key.registration(kRp, challenge), name);
    if (step_up) body["assertion"] = finish_body(token, step_up->assertion(kRp, challenge))["assertion"];
    return service.finish(body);
  }

  // The finish body of `approver`'s approval link for `id`, signed by `key`.
  nlohmann::json approval_body(const std::string& id, const std::string& approver, SoftAuthenticator& key,
                               const SoftAnswerOptions& options = {}) {
    auto link = service.approval_link(id, approver);
    EXPECT_TRUE(link) << link.error().message;
    if (!link) return {};
    const std::string token = token_of(*link);
    return finish_body(token, key.assertion(kRp, challenge_of(token), options));
  }

  stepup::PageAnswer approve(const std::string& id, const std::string& approver, SoftAuthenticator& key,
                             const SoftAnswerOptions& options = {}) {
    return service.finish(approval_body(id, approver, key, options));
  }

  AccessRequest read(const std::string& id) { return store.get_request(id).value(); }

  // Nothing granted and no approval recorded for `id`.
  void expect_untouched(const std::string& id) {
    const auto r = read(id);
    EXPECT_EQ(r.state, State::pending);
    EXPECT_TRUE(r.decisions.empty());
    EXPECT_TRUE(provider.assignments().empty());
  }

  std::shared_ptr<Config> config = step_up_config();
  MemoryStore store;
  MemoryAccessProvider provider;
  MemoryChat chat;
  MemoryDirectory directory;
  ManualClock clock{kStart};
  std::unique_ptr<Engine> engine = std::make_unique<Engine>(config, store, provider, chat, directory, clock);
  MemoryStepUpStore links;
  stepup::StepUpService service{*engine, links, store, clock};
};

}  // namespace jit::testing
