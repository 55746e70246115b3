// How many concurrent grants one elevated role's trust policy holds on the IAM-role path (issue 16),
// and what one read-modify-write of it costs us in CPU (aws/trust_policy.h). Prints, for source
// identities (e-mail addresses) of 20, 30 and 40 characters, how many grant statements fit IAM's
// 2,048-character default quota and the 4,096 and 8,192 it can be raised to, beside an admin's
// Okta SAML statement and in an otherwise empty policy; each count is checked by merging that many
// statements and one more. Then Google Benchmark times merge + render.
//   build/default/bench/trust_policy_room_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <string>

#include "aws/trust_policy.h"

namespace {

using namespace jit;
using namespace jit::aws;

constexpr char kBase[] = "arn:aws:iam::222233334444:role/okta-engineer";
// The elevated role's trust policy as the admin left it: people also reach it through Okta.
constexpr char kAdminPolicy[] =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"OktaSaml","Effect":"Allow",)"
    R"("Principal":{"Federated":"arn:aws:iam::222233334444:saml-provider/Okta"},)"
    R"("Action":["sts:AssumeRoleWithSAML","sts:TagSession"],)"
    R"("Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]})";
const TimePoint kExpiry = *parse_time("2026-12-03T10:00:00Z");

// An e-mail address of exactly `length` characters ("firstname.lastname@example.com" padded).
std::string email_of(std::size_t length) {
  const std::string domain = "@example.com";
  return std::string(length - domain.size(), 'a') + domain;
}

// The engine's request ids: "r" and 8 letters or digits.
std::string grant_id(int n) { return fmt::format("r{:08d}", n); }

trust::TrustGrant grant(int n, const std::string& who) { return {grant_id(n), kBase, who, kExpiry}; }

trust::Policy policy(bool with_admin) { return *cutoff::parse_policy(with_admin ? kAdminPolicy : ""); }

int size_of(const trust::Policy& p) { return cutoff::policy_size(cutoff::render(p)); }

// room_for's answer, checked: that many statements fit `limit`, one more does not. -1 when not.
int checked_room(bool with_admin, const std::string& who, int limit) {
  trust::Policy p = policy(with_admin);
  const int room = trust::room_for(p, grant(0, who), limit);
  for (int n = 0; n < room; ++n) trust::merge(p, grant(n, who));
  if (size_of(p) > limit) return -1;
  trust::merge(p, grant(room, who));
  return size_of(p) > limit ? room : -1;
}

int print_room() {
  fmt::print("trust_policy_room_bench: concurrent grant statements one trust policy holds\n");
  fmt::print("  base principal {} ({} chars), 9-character grant ids; the admin's Okta SAML statement is {} chars\n",
             kBase, std::string_view(kBase).size(), size_of(policy(true)) - size_of(policy(false)));
  fmt::print("  {:<22} {:>9} {:>7} {:>7} {:>7}\n", "source identity", "statement", "2,048", "4,096", "8,192");
  for (bool with_admin : {true, false}) {
    for (std::size_t length : {20u, 30u, 40u}) {
      const std::string who = email_of(length);
      const int statement = cutoff::policy_size(trust::statement_of(grant(0, who)).dump());
      int rooms[3];
      const int limits[3] = {trust::kDefaultSizeLimit, 4'096, 8'192};
      for (int i = 0; i < 3; ++i) {
        rooms[i] = checked_room(with_admin, who, limits[i]);
        if (rooms[i] < 0) {
          fmt::print(stderr, "trust_policy_room_bench: room_for disagrees with merging at {} chars\n", limits[i]);
          return 1;
        }
      }
      fmt::print("  {:<22} {:>9} {:>7} {:>7} {:>7}\n",
                 fmt::format("{} chars{}", length, with_admin ? ", SAML admin" : ", no admin"), statement, rooms[0],
                 rooms[1], rooms[2]);
    }
  }
  return 0;
}

// One grant's write: its statement merged into a policy already holding `state.range(0)` grants
// (0; 5, 12, 25: full at 2,048, 4,096, 8,192 with 30-character e-mails) beside the admin's, then
// rendered and measured (what the provider does before UpdateAssumeRolePolicy, parsing aside).
void BM_MergeRender(benchmark::State& state) {
  const std::string who = email_of(30);
  trust::Policy base = policy(true);
  for (int n = 0; n < state.range(0); ++n) trust::merge(base, grant(n, who));
  const auto next = grant(static_cast<int>(state.range(0)), who);
  for (auto _ : state) {
    trust::Policy p = base;
    trust::merge(p, next);
    benchmark::DoNotOptimize(size_of(p));
  }
}
BENCHMARK(BM_MergeRender)->Arg(0)->Arg(5)->Arg(12)->Arg(25);

// The whole read-modify-write in CPU: parse the document IAM returned, prune, merge, render.
void BM_ParsePruneMergeRender(benchmark::State& state) {
  const std::string who = email_of(30);
  trust::Policy base = policy(true);
  for (int n = 0; n < state.range(0); ++n) trust::merge(base, grant(n, who));
  const std::string text = cutoff::render(base);
  const auto next = grant(static_cast<int>(state.range(0)), who);
  for (auto _ : state) {
    auto p = cutoff::parse_policy(text);
    trust::prune(*p, kExpiry - std::chrono::hours(1));
    trust::merge(*p, next);
    benchmark::DoNotOptimize(size_of(*p));
  }
}
BENCHMARK(BM_ParsePruneMergeRender)->Arg(0)->Arg(5)->Arg(12)->Arg(25);

}  // namespace

int main(int argc, char** argv) {
  if (const int failed = print_room()) return failed;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
