// A signed EventBridge Scheduler (rest-json) request for the emulator tests, until the product has
// a rest-json client: method + path + query, a JSON body, SigV4 with signing name "scheduler".
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "net/http.h"

namespace jit::emulators::testing {

// What came back: status, the x-amzn-ErrorType header ("" on success) and the JSON body.
struct SchedulerAnswer {
  int status = 0;
  std::string error_type;
  nlohmann::json body;
};

// Sends `method target` (target = path + "?query", already percent-encoded) with `body` (none
// when null) to `endpoint`, signed for us-east-1 at `now`. A transport failure is status 0 with
// the message in body["transport"].
inline SchedulerAnswer scheduler_call(net::HttpClient& http, const net::Endpoint& endpoint, std::string method,
                                      std::string target, const nlohmann::json& body, TimePoint now,
                                      const aws::Credentials& credentials) {
  net::HttpRequest request{std::move(method), std::move(target), {{"Host", endpoint.host_header()}},
                           body.is_null() ? "" : body.dump()};
  if (!body.is_null()) request.headers.emplace_back("Content-Type", "application/json");
  aws::SigningParams params{"us-east-1", "scheduler", now};
  if (auto signed_ = aws::sign_headers(request, credentials, params); !signed_)
    return {0, "", {{"transport", signed_.error().message}}};
  auto response = http.send(endpoint, request);
  if (!response) return {0, "", {{"transport", response.error().message}}};
  SchedulerAnswer answer{response->status, response->header("x-amzn-ErrorType").value_or(""), nullptr};
  answer.body = response->body.empty() ? nlohmann::json::object() : nlohmann::json::parse(response->body, nullptr, false);
  return answer;
}

}  // namespace jit::emulators::testing
