// An HttpClient that answers Slack Web API methods from a table and records every call, for
// unit tests of code on top of slack::WebApi.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "net/http.h"

namespace jit::slack::testing {

class FakeSlackHttp final : public net::HttpClient {
 public:
  Result<net::HttpResponse> send(const net::Endpoint&, const net::HttpRequest& request) override {
    std::lock_guard lock(mu);
    const std::string method = request.target.substr(request.target.rfind('/') + 1);
    calls.push_back({method, nlohmann::json::parse(request.body, nullptr, false)});
    auto it = answers.find(method);
    return net::HttpResponse{200, {}, it == answers.end() ? R"({"ok":true})" : it->second};
  }
  int count(const std::string& method) {
    std::lock_guard lock(mu);
    return static_cast<int>(std::count_if(calls.begin(), calls.end(), [&](auto& c) { return c.first == method; }));
  }
  // The arguments of the last call of `method` (null when none).
  nlohmann::json last(const std::string& method) {
    std::lock_guard lock(mu);
    for (auto it = calls.rbegin(); it != calls.rend(); ++it)
      if (it->first == method) return it->second;
    return nullptr;
  }
  std::mutex mu;
  std::map<std::string, std::string> answers;
  std::vector<std::pair<std::string, nlohmann::json>> calls;
};

}  // namespace jit::slack::testing
