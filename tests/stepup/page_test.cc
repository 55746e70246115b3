// The step-up page through a real HTTPS server on 127.0.0.1:0 and the project's HTTPS client: the
// HTTP contract (headers on every answer, 404/405/415/413, bodies that are not what we expect),
// the static assets (no inline script or style), and a whole enrolment and approval over HTTP.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "net/http_server.h"
#include "net/https_client.h"
#include "net/test_certs.h"
#include "stepup/page.h"
#include "stepup/stepup_fixture.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;

class StepUpPageTest : public StepUpTest {
 protected:
  StepUpPageTest() {
    auto cert = ca_.issue({"IP:127.0.0.1"});
    auto options = stepup::page_server_options();
    options.tls = net::TlsIdentity{cert.certificate_pem, cert.private_key_pem};
    options.threads = 2;
    auto started = net::HttpServer::start(std::move(options), stepup::page_handler(service));
    EXPECT_TRUE(started) << started.error().message;
    server_ = std::move(*started);
    ca_file_ = write_temp_file(ca_.certificate_pem(), ".pem");
    net::ClientOptions client_options;
    client_options.ca_file = ca_file_;
    client_options.proxy = net::ProxySettings{};
    client_ = net::make_http_client(client_options);
  }
  ~StepUpPageTest() override {
    server_->stop();
    std::remove(ca_file_.c_str());
  }

  net::HttpResponse send(const std::string& method, const std::string& target, const std::string& body = "",
                         net::Headers headers = {}) {
    auto r = client_->send(server_->endpoint(), {method, target, std::move(headers), body});
    EXPECT_TRUE(r) << r.error().message;
    return r.value_or(net::HttpResponse{});
  }
  net::HttpResponse post_json(const std::string& target, const std::string& body) {
    return send("POST", target, body, {{"Content-Type", "application/json"}});
  }
  nlohmann::json post_json(const std::string& target, const nlohmann::json& body, int expect_status) {
    auto r = post_json(target, body.dump());
    EXPECT_EQ(r.status, expect_status) << target << ": " << r.body;
    return nlohmann::json::parse(r.body, nullptr, false);
  }

  static void expect_security_headers(const net::HttpResponse& r, const std::string& what) {
    for (const auto& [name, value] : stepup::kSecurityHeaders)
      EXPECT_EQ(r.header(name), std::string(value)) << what << " (" << r.status << "): " << name;
  }

  std::string page_token() {
    auto link = service.enrollment_link("U0ALICE");
    EXPECT_TRUE(link);
    return link ? token_of(*link) : std::string(32, 'A');
  }

  TestCa ca_;
  std::unique_ptr<net::HttpServer> server_;
  std::string ca_file_;
  std::unique_ptr<net::HttpClient> client_;
};

TEST_F(StepUpPageTest, EveryAnswerCarriesTheSecurityHeaders) {
  const std::string token = page_token();
  struct Case {
    std::string method, target, body;
    net::Headers headers;
    int status;
  };
  const net::Headers json{{"Content-Type", "application/json"}};
  const std::vector<Case> cases = {
      {"GET", "/s/" + token, "", {}, 200},
      {"GET", "/static/step-up.js", "", {}, 200},
      {"GET", "/static/step-up.css", "", {}, 200},
      {"GET", "/", "", {}, 404},
      {"GET", "/favicon.ico", "", {}, 404},
      {"POST", "/s/" + token, "", {}, 405},
      {"GET", "/api/options", "", {}, 405},
      {"POST", "/api/options", "{}", {{"Content-Type", "text/plain"}}, 415},
      {"POST", "/api/options", "not json", json, 400},
      {"POST", "/api/options", nlohmann::json{{"token", token}}.dump(), json, 200},
      {"POST", "/api/options", nlohmann::json{{"token", std::string(32, 'Z')}}.dump(), json, 404},
      {"POST", "/api/finish", nlohmann::json{{"token", std::string(32, 'Z')}}.dump(), json, 404},
  };
  for (const auto& c : cases) {
    auto r = send(c.method, c.target, c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << ": " << r.body;
    expect_security_headers(r, c.method + " " + c.target);
  }
}

TEST_F(StepUpPageTest, AnythingElseIs404) {
  const std::string token = page_token();
  for (const std::string& target : std::vector<std::string>{"/", "/s/", "/s/short", "/s/" + token + "/x", "/s/" + token.substr(1) + "!", "/S/" + token,
        "/static/", "/static/step-up.js.map", "/static/../s/" + token, "/api/", "/api/options/x", "/api/list",
        "//s/" + token, "/s%2F" + token}) {
    auto r = send("GET", target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.header("Content-Type"), "application/json") << target;
  }
  // A query string does not change the page.
  EXPECT_EQ(send("GET", "/s/" + token + "?utm=x").status, 200);
}

TEST_F(StepUpPageTest, WrongMethodsAre405WithAllow) {
  const std::string token = page_token();
  for (const auto& [method, target, allow] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"POST", "/s/" + token, "GET"},
           {"PUT", "/static/step-up.js", "GET"},
           {"DELETE", "/static/step-up.css", "GET"},
           {"GET", "/api/options", "POST"},
           {"PUT", "/api/finish", "POST"}}) {
    auto r = send(method, target, "", {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 405) << method << " " << target;
    EXPECT_EQ(r.header("Allow"), allow) << method << " " << target;
  }
}

TEST_F(StepUpPageTest, PostsWithoutJsonAre415) {
  const std::string body = nlohmann::json{{"token", page_token()}}.dump();
  for (const net::Headers& headers : std::vector<net::Headers>{
           {}, {{"Content-Type", "text/plain"}}, {{"Content-Type", "application/jsonp"}},
           {{"Content-Type", "application/x-www-form-urlencoded"}}, {{"Content-Type", "multipart/form-data"}}}) {
    EXPECT_EQ(send("POST", "/api/options", body, headers).status, 415);
    EXPECT_EQ(send("POST", "/api/finish", body, headers).status, 415);
  }
  EXPECT_EQ(send("POST", "/api/options", body, {{"content-type", "Application/JSON; charset=utf-8"}}).status, 200);
}

TEST_F(StepUpPageTest, BodiesPastTheLimitAre413) {
  // The server answers from the announced length, before any of the body (the client sends only a
  // byte of it here: a client still writing a large body when the server closes may see a reset).
  auto r = send("POST", "/api/finish", " ",
                {{"Content-Type", "application/json"},
                 {"Content-Length", std::to_string(stepup::kMaxPageBodyBytes + 1)}});
  EXPECT_EQ(r.status, 413);
  expect_security_headers(r, "server 413");
  // The handler's own bound, behind a server configured with a larger one.
  auto handler = stepup::page_handler(service);
  auto direct = handler({"POST", "/api/options", {{"Content-Type", "application/json"}},
                         std::string(stepup::kMaxPageBodyBytes + 1, ' ')});
  EXPECT_EQ(direct.status, 413);
  expect_security_headers(direct, "handler 413");
}

TEST_F(StepUpPageTest, BodiesOfWrongJsonTypesNeverThrow) {
  const std::string token = page_token();
  const std::string q = "\"" + token + "\"";
  std::vector<std::string> bodies = {
      "", "null", "[]", "1", "\"x\"", "{", "{\"token\": []}", "{\"token\": {}}", "{\"token\": 1e400}",
      "{\"token\": \"\\ud800\"}", "{\"token\": \"\xff\xfe\"}", "{\"token\": " + q + ", \"assertion\": 5}",
      "{\"token\": " + q + ", \"assertion\": {\"id\": []}}", "{\"token\": " + q + ", \"registration\": \"x\"}",
      "{\"token\": " + q + ", \"registration\": {\"id\": \"a\", \"clientDataJSON\": \"b\", \"authenticatorData\": "
      "\"c\", \"publicKeyAlgorithm\": \"-7\"}}",
      "{\"token\": " + q + ", \"registration\": {\"id\": \"a\", \"clientDataJSON\": \"b\", \"authenticatorData\": "
      "\"c\", \"publicKeyAlgorithm\": -7, \"name\": 3}}",
      "{\"token\": " + q + ", \"registration\": {\"id\": \"a\", \"clientDataJSON\": \"b\", \"authenticatorData\": "
      "\"c\", \"publicKeyAlgorithm\": 1e300}}",
      std::string(20000, '[') + std::string(20000, ']'),
      "{\"a\":" + std::string(10000, '{') + std::string(10000, '}') + "}"};
  for (const auto& body : bodies) {
    for (const char* target : {"/api/options", "/api/finish"}) {
      auto r = post_json(target, body);
      // /api/options reads the token only: with a good one, the rest does not matter.
      if (std::string_view(target) == "/api/finish" || body.find(token) == std::string::npos) {
        EXPECT_GE(r.status, 400) << target << " " << body.substr(0, 80);
      }
      EXPECT_LT(r.status, 500) << target << " " << body.substr(0, 80) << ": " << r.body;
      EXPECT_FALSE(nlohmann::json::parse(r.body, nullptr, false).is_discarded()) << r.body;
    }
  }
  // None of them used the link up.
  EXPECT_EQ(post_json("/api/options", nlohmann::json{{"token", token}}.dump()).status, 200);
}

TEST_F(StepUpPageTest, ThePageHasNoInlineScriptOrStyle) {
  auto r = send("GET", "/s/" + page_token());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
  const std::string& html = r.body;
  EXPECT_EQ(html, std::string(stepup::kPageHtml));
  // Every <script> has a same-origin src and nothing inside; no <style>, style= or on...= attributes.
  for (auto at = html.find("<script"); at != std::string::npos; at = html.find("<script", at + 1)) {
    const auto end = html.find('>', at);
    const std::string tag = html.substr(at, end - at + 1);
    EXPECT_THAT(tag, HasSubstr("src=\"/static/")) << tag;
    EXPECT_EQ(html.compare(end + 1, 9, "</script>"), 0) << tag;
  }
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
  EXPECT_EQ(html.find("javascript:"), std::string::npos);
  for (const char* handler : {" onload=", " onclick=", " onerror=", " onsubmit="})
    EXPECT_EQ(html.find(handler), std::string::npos) << handler;
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  // The ids and states the browser test relies on.
  for (const char* needle : {"data-state=\"loading\"", "id=\"title\"", "<dl id=\"summary\"", "id=\"name\"",
                             "id=\"go\"", "id=\"status\"", "href=\"/static/step-up.css\""})
    EXPECT_THAT(html, HasSubstr(needle));
  // The script writes service text with textContent only.
  const std::string script = send("GET", "/static/step-up.js").body;
  EXPECT_THAT(script, HasSubstr("textContent"));
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("})
    EXPECT_EQ(script.find(sink), std::string::npos) << sink;
  EXPECT_EQ(send("GET", "/static/step-up.js").header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(send("GET", "/static/step-up.css").header("Content-Type"), "text/css; charset=utf-8");
}

TEST_F(StepUpPageTest, EnrolAndApproveOverHttps) {
  SoftAuthenticator alice_key{-7, 1}, bob_key{-8, 0};
  for (auto [user, key] : {std::pair{"U0ALICE", &alice_key}, std::pair{"U0BOB", &bob_key}}) {
    auto link = service.enrollment_link(user);
    ASSERT_TRUE(link);
    const std::string token = token_of(*link);
    auto options = post_json("/api/options", nlohmann::json{{"token", token}}, 200);
    EXPECT_EQ(options["purpose"], "enroll");
    auto done = post_json("/api/finish", finish_body(token, key->registration(kRp, challenge_of(token)), "my key"), 200);
    EXPECT_EQ(done["ok"], true) << done.dump();
  }
  const std::string id = submit_glass();
  for (auto [user, key] : {std::pair{"U0ALICE", &alice_key}, std::pair{"U0BOB", &bob_key}}) {
    auto link = service.approval_link(id, user);
    ASSERT_TRUE(link) << link.error().message;
    const std::string token = token_of(*link);
    auto options = post_json("/api/options", nlohmann::json{{"token", token}}, 200);
    EXPECT_EQ(options["summary"]["requester"], "U0DEV");
    auto done = post_json("/api/finish", finish_body(token, key->assertion(kRp, challenge_of(token))), 200);
    EXPECT_EQ(done["ok"], true) << done.dump();
    // The link is used up: the page says so.
    auto again = post_json("/api/options", nlohmann::json{{"token", token}}, 410);
    EXPECT_THAT(again["error"].get<std::string>(), HasSubstr("used already"));
  }
  EXPECT_EQ(read(id).state, State::active);
}

}  // namespace
}  // namespace jit::testing
