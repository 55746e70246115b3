#include "app/step_up_page.h"

#include <fmt/format.h>

#include "app/step_up_tls.h"
#include "core/step_up_origin.h"
#include "stepup/page.h"

namespace jit {

StepUpPage::~StepUpPage() {
  if (server) server->stop();
}

Result<std::unique_ptr<StepUpPage>> start_step_up_page(const StepUpSettings& settings, Engine& engine,
                                                       StepUpStore& links, Store& audit, const Clock& clock) {
  auto tls = load_step_up_tls(settings);
  if (!tls) return fail(tls.error());
  auto where = parse_listen_address(settings.listen);
  if (!where)
    return fail(Error::Invalid(fmt::format("[step_up] listen \"{}\": {}", settings.listen, where.error().message)));
  auto page = std::make_unique<StepUpPage>();
  page->service = std::make_unique<stepup::StepUpService>(engine, links, audit, clock);
  net::ServerOptions options = stepup::page_server_options();
  options.address = where->address;
  options.port = where->port;
  options.threads = 2;  // a slow store on one request does not hold the other page
  options.tls = std::move(tls->identity);
  auto server = net::HttpServer::start(std::move(options), stepup::page_handler(*page->service));
  if (!server) {
    const Error& e = server.error();
    if (e.code == Errc::unavailable)
      return fail(Error::Unavailable(fmt::format("[step_up] listen \"{}\": {}", settings.listen, e.message)));
    return fail(Error::Invalid(fmt::format("{}: {}", tls->source, e.message)));
  }
  page->server = std::move(*server);
  page->url = page->server->url();
  return page;
}

}  // namespace jit
