// The end-to-end world of step_up_test.mjs: the Slack and AWS emulators (in this process) and one
// `jit serve` with the WebAuthn step-up page on https://localhost:PORT (tests/e2e/world.h,
// WorldOptions::step_up). Prints one JSON line, then answers one line per line read on stdin, and
// stops everything (serve reaped, emulators stopped) when stdin closes:
//
//   {"slack": "http://127.0.0.1:P", "aws": "http://127.0.0.1:P", "origin": "https://localhost:P",
//    "spki_sha256": "<base64>", "people": {"alice": {"slack": "U0ALICE", "aws": "<identity-store id>"}, ...}, "channels": {"general", "prod"}}
//   stdin "request r1a2b3"  -> {"state": "pending", "approvals": ["U0ALICE"], "denials": []}
//                              ({"error": "..."} when there is no such request)
//   stdin "log"             -> {"log": "<serve's stderr so far>"}
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "core/lifecycle.h"
#include "demo/self_signed_certificate.h"
#include "e2e/world.h"

namespace {

using nlohmann::json;

json answer(jit::testing::World& world, const std::string& line) {
  if (line == "log") return {{"log", world.log(0)}};
  if (line.starts_with("request ")) {
    auto request = world.read(line.substr(8));
    if (!request) return {{"error", "no request " + line.substr(8)}};
    json approvals = json::array(), denials = json::array();
    for (const auto& d : request->decisions) (d.approved ? approvals : denials).push_back(d.approver);
    return {{"state", std::string(jit::state_name(request->state))}, {"approvals", approvals}, {"denials", denials}};
  }
  return {{"error", "unknown command: " + line}};
}

}  // namespace

int main() {
  using namespace jit::testing;
  ::signal(SIGPIPE, SIG_IGN);
  try {
    World world({.step_up = true});
    // The pin of the page's own certificate (the World's CA is not in the chain serve presents).
    std::stringstream certificate;
    certificate << std::ifstream(std::filesystem::path(world.policy_path()).parent_path() / "step-up.crt").rdbuf();
    auto pin = jit::demo::spki_pin(certificate.str());
    if (!pin) throw std::runtime_error("the step-up page's certificate: " + pin.error().message);
    json people = json::object();
    for (const auto& p : jit::demo::kPeople) people[p.name] = {{"slack", p.slack_id}, {"aws", p.aws_id}};
    const json hello = {{"slack", world.slack().url()},
                        {"aws", world.aws().url()},
                        {"origin", world.step_up_origin()},
                        {"spki_sha256", *pin},
                        {"people", people},
                        {"channels", {{"general", jit::demo::kGeneral}, {"prod", kProdChannel}}}};
    std::cout << hello.dump() << std::endl;
    for (std::string line; std::getline(std::cin, line);) std::cout << answer(world, line).dump() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "step_up_world: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
