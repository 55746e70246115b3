// Metrics in the Prometheus text exposition format (version 0.0.4), for `/metrics`.
// Counters, gauges and histograms, each family registered once with its help text; label sets
// are created on first use. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jit {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // Registration. Registering a name twice with the same kind is a no-op; with another kind it
  // throws std::logic_error (a programming error).
  void counter(std::string_view name, std::string_view help);
  void gauge(std::string_view name, std::string_view help);
  // `bounds`: the upper bounds of the buckets, ascending (+Inf is added).
  void histogram(std::string_view name, std::string_view help, std::vector<double> bounds);

  // Updates. Using an unregistered name throws std::logic_error.
  void inc(std::string_view name, const Labels& labels = {}, double by = 1);
  void set(std::string_view name, const Labels& labels, double value);
  void observe(std::string_view name, const Labels& labels, double value);

  // The current value of a counter or gauge (0 when that label set was never touched).
  double value(std::string_view name, const Labels& labels = {}) const;

  std::string render() const;

 private:
  enum class Kind { counter, gauge, histogram };
  struct Series {
    double value = 0;               // counter, gauge
    std::vector<double> buckets;    // histogram: cumulative counts per bound
    double sum = 0, count = 0;
  };
  struct Family {
    Kind kind;
    std::string help;
    std::vector<double> bounds;
    std::map<Labels, Series> series;
  };
  void add(std::string_view name, Kind kind, std::string_view help, std::vector<double> bounds);
  Family& family(std::string_view name, Kind kind);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace jit
