// The step-up page (issue 15): the HTTP handler `jit serve` puts behind its TLS listener, serving
// the page, its script and style, and the two JSON endpoints of StepUpService.
//
//   GET  /s/<token>            the page (the same for both purposes; the script reads the token)
//   GET  /static/step-up.js    its script        GET /static/step-up.css   its style
//   POST /api/options          StepUpService::options      POST /api/finish   StepUpService::finish
//
// Every answer carries kSecurityHeaders (a strict CSP: no inline script or style, nothing from
// elsewhere). Anything else is 404; a known path with another method 405 (with Allow); a POST
// without Content-Type application/json 415; a body past kMaxPageBodyBytes 413; a body that is not
// a JSON object 400. Never throws.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

#include "net/http.h"
#include "net/http_server.h"
#include "stepup/service.h"

namespace jit::stepup {

// The largest request body the page accepts; the server's max_body_bytes should be this too.
inline constexpr std::size_t kMaxPageBodyBytes = 64 * 1024;

// The headers on every answer of the page's handler.
inline constexpr std::pair<std::string_view, std::string_view> kSecurityHeaders[] = {
    {"Content-Security-Policy",
     "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
     "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"Cache-Control", "no-store"},
    {"Strict-Transport-Security", "max-age=31536000"},
    {"X-Frame-Options", "DENY"},
};

// The handler; `service` must outlive it. Thread-safe (as the service is).
net::HttpHandler page_handler(StepUpService& service);

// Server options for the page: max_body_bytes kMaxPageBodyBytes, and kSecurityHeaders on the
// server's own answers too (its 413). The caller sets address, port, TLS and threads.
net::ServerOptions page_server_options();

// The static assets, as served (page_assets.cc).
extern const std::string_view kPageHtml;
extern const std::string_view kPageScript;
extern const std::string_view kPageStyle;

}  // namespace jit::stepup
