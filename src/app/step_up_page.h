// The WebAuthn step-up page of `jit serve` (issue 15): the StepUpService and the HTTPS server at
// [step_up] listen that serves stepup::page_handler over it. Started only when a role in policy
// has step_up (app/step_up_tls.h: any_step_up).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/settings.h"
#include "engine/engine.h"
#include "net/http_server.h"
#include "ports/clock.h"
#include "ports/step_up_store.h"
#include "ports/store.h"
#include "stepup/service.h"

namespace jit {

// The running page. Destroying it stops the server (after the requests in flight), then the service.
struct StepUpPage {
  std::unique_ptr<stepup::StepUpService> service;
  std::unique_ptr<net::HttpServer> server;
  std::string url;  // where it listens: "https://ADDRESS:PORT" (links use [step_up] origin)
  ~StepUpPage();
};

// Reads the TLS identity (load_step_up_tls: the JIT_STEP_UP_TLS_* variables or the files), binds
// [step_up] listen and serves the page. Errc::invalid naming the setting or variable when the
// identity is missing, unreadable or not a certificate/key pair, or the listen
// address is not ADDRESS:PORT; Errc::unavailable naming [step_up] listen when it cannot be bound.
Result<std::unique_ptr<StepUpPage>> start_step_up_page(const StepUpSettings& settings, Engine& engine,
                                                       StepUpStore& links, Store& audit, const Clock& clock);

}  // namespace jit
