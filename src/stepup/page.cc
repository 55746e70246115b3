#include "stepup/page.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <string>

#include "core/text.h"
#include "stepup/service_internal.h"

namespace jit::stepup {

namespace {

net::HttpResponse answer(int status, std::string_view content_type, std::string body) {
  net::HttpResponse response{.status = status, .headers = {}, .body = std::move(body)};
  response.headers.emplace_back("Content-Type", std::string(content_type));
  for (const auto& [name, value] : kSecurityHeaders) response.headers.emplace_back(std::string(name), std::string(value));
  return response;
}

net::HttpResponse json_answer(int status, const nlohmann::json& body) {
  // Replaces invalid UTF-8 instead of throwing, and escapes every non-ASCII character.
  return answer(status, "application/json", body.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
}

net::HttpResponse error_answer(int status, std::string_view message) {
  return json_answer(status, {{"ok", false}, {"error", message}});
}

net::HttpResponse method_not_allowed(std::string_view allow) {
  auto response = error_answer(405, "method not allowed");
  response.headers.emplace_back("Allow", std::string(allow));
  return response;
}

bool is_json(const net::HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (!text::iequals(name, "content-type")) continue;
    const std::string_view type = std::string_view(value).substr(0, value.find(';'));
    return text::iequals(text::trim(type), "application/json");
  }
  return false;
}

net::HttpResponse api(StepUpService& service, const net::HttpRequest& request, bool finish) {
  if (request.method != "POST") return method_not_allowed("POST");
  if (!is_json(request)) return error_answer(415, "send application/json");
  if (request.body.size() > kMaxPageBodyBytes) return error_answer(413, "the request is too large");
  auto body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return error_answer(400, "the request is not a JSON object");
  const PageAnswer out = finish ? service.finish(body) : service.options(body);
  return json_answer(out.status, out.body);
}

net::HttpResponse asset(const net::HttpRequest& request, std::string_view type, std::string_view content) {
  if (request.method != "GET") return method_not_allowed("GET");
  return answer(200, type, std::string(content));
}

net::HttpResponse route(StepUpService& service, const net::HttpRequest& request) {
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/api/options") return api(service, request, false);
  if (path == "/api/finish") return api(service, request, true);
  if (path == "/static/step-up.js") return asset(request, "text/javascript; charset=utf-8", kPageScript);
  if (path == "/static/step-up.css") return asset(request, "text/css; charset=utf-8", kPageStyle);
  if (path.starts_with("/s/") && is_token(path.substr(3)))
    return asset(request, "text/html; charset=utf-8", kPageHtml);
  return error_answer(404, "not found");
}

}  // namespace

net::ServerOptions page_server_options() {
  net::ServerOptions options;
  options.max_body_bytes = kMaxPageBodyBytes;
  for (const auto& [name, value] : kSecurityHeaders) options.own_answer_headers.emplace_back(name, value);
  return options;
}

net::HttpHandler page_handler(StepUpService& service) {
  return [&service](const net::HttpRequest& request) {
    try {
      return route(service, request);
    } catch (const std::exception& e) {
      spdlog::error("event=step_up_page_error error=\"{}\"", e.what());
    } catch (...) {
      spdlog::error("event=step_up_page_error error=unknown");
    }
    return error_answer(500, "the service failed: try again");
  };
}

}  // namespace jit::stepup
