// What the Slack emulator recorded about the acks of a benchmark's envelopes, shared by the
// Socket Mode benchmarks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace jit::bench {

struct AckLatencies {
  std::vector<double> ms;  // ack latency of each acked envelope, sorted
  int redelivered = 0;     // envelopes the emulator sent again for a missing ack

  // The p-th fraction (0.5: median) of ms; 0 with none.
  double percentile(double p) const {
    if (ms.empty()) return 0.0;
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(ms.size())))];
  }
  double max() const { return ms.empty() ? 0.0 : ms.back(); }
};

// From SlackEmulator::envelopes().
inline AckLatencies ack_latencies(const nlohmann::json& envelopes) {
  AckLatencies out;
  for (const auto& e : envelopes) {
    if (e["ack_latency_ms"].is_number()) out.ms.push_back(e["ack_latency_ms"].get<double>());
    out.redelivered += e.value("retry_attempt", 0) > 0;
  }
  std::sort(out.ms.begin(), out.ms.end());
  return out;
}

}  // namespace jit::bench
