// `jit requests list` and `jit grants list`: what the store holds, as a table or JSON.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/render.h"
#include "app/runtime.h"
#include "cmd/jit/cli.h"
#include "cmd/jit/commands.h"
#include "core/duration.h"

namespace jit {

namespace {

std::string or_dash(const std::optional<TimePoint>& t) { return t ? format_time(*t) : "-"; }

template <class T>
void print_json(const std::vector<T>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) out.push_back(to_json(r));
  fmt::print("{}\n", out.dump(2));
}

}  // namespace

int cmd_requests_list(const std::string& config, const std::string& store, Output output,
                      const std::vector<std::string>& states, const std::string& requester, std::size_t limit) {
  RequestQuery q{.limit = limit};
  if (!requester.empty()) q.requester = requester;
  for (const auto& s : states) {
    auto st = parse_state(s);
    if (!st) {
      std::cerr << fmt::format("jit: --state \"{}\": expected one of pending, approved, granting, active, "
                               "revoking, revoked, denied, cancelled, expired, failed\n", s);
      return kExitUsage;
    }
    q.states.push_back(*st);
  }
  auto rt = Runtime::build({.config_flag = config, .store_flag = store});
  if (!rt) return report(rt.error());
  auto rows = (*rt)->store().list_requests(q);
  if (!rows) return report(rows.error());
  if (output == Output::json) {
    print_json(*rows);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& r : *rows)
    table.push_back({r.id, std::string(state_name(r.state)), r.requester, r.account, r.role,
                     format_duration(r.duration), format_time(r.created_at), or_dash(r.expires_at), r.reason});
  fmt::print("{}", text_table({"ID", "STATE", "REQUESTER", "ACCOUNT", "ROLE", "DURATION", "CREATED", "EXPIRES", "REASON"},
                              table));
  if (rows->empty()) fmt::print("(no requests)\n");
  return kExitOk;
}

int cmd_grants_list(const std::string& config, const std::string& store, Output output, bool active_only,
                    std::size_t limit) {
  auto rt = Runtime::build({.config_flag = config, .store_flag = store});
  if (!rt) return report(rt.error());
  Store& s = (*rt)->store();
  auto rows = active_only ? s.holding_access(limit)
                          : s.list_requests({.states = {State::granting, State::active, State::revoking,
                                                        State::revoked, State::failed},
                                             .limit = limit});
  if (!rows) return report(rows.error());
  std::vector<Grant> grants;
  for (const auto& r : *rows)
    if (auto g = grant_of(r)) grants.push_back(*g);
  if (output == Output::json) {
    print_json(grants);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& g : grants)
    table.push_back({g.request_id, std::string(state_name(g.state)), g.requester, g.account, g.role,
                     or_dash(g.granted_at), format_time(g.expires_at), or_dash(g.ended_at)});
  fmt::print("{}", text_table({"REQUEST", "STATE", "REQUESTER", "ACCOUNT", "ROLE", "GRANTED", "EXPIRES", "ENDED"},
                              table));
  if (grants.empty()) fmt::print("(no grants)\n");
  return kExitOk;
}

}  // namespace jit
