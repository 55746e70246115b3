#include "observability/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace jit {

namespace {

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

std::string label_text(const Labels& labels, const std::string& extra = "") {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=\"" + escape_label(v) + "\"";
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

}  // namespace

void Metrics::add(std::string_view name, Kind kind, std::string_view help, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second.kind != kind) throw std::logic_error(fmt::format("metric {} registered as another kind", name));
    return;
  }
  if (!std::is_sorted(bounds.begin(), bounds.end()))
    throw std::logic_error(fmt::format("metric {}: bucket bounds must ascend", name));
  families_.emplace(std::string(name), Family{kind, std::string(help), std::move(bounds), {}});
}

void Metrics::counter(std::string_view name, std::string_view help) { add(name, Kind::counter, help, {}); }
void Metrics::gauge(std::string_view name, std::string_view help) { add(name, Kind::gauge, help, {}); }
void Metrics::histogram(std::string_view name, std::string_view help, std::vector<double> bounds) {
  add(name, Kind::histogram, help, std::move(bounds));
}

Metrics::Family& Metrics::family(std::string_view name, Kind kind) {
  auto it = families_.find(name);
  if (it == families_.end() || it->second.kind != kind)
    throw std::logic_error(fmt::format("metric {} is not registered as this kind", name));
  return it->second;
}

void Metrics::inc(std::string_view name, const Labels& labels, double by) {
  std::lock_guard lock(mu_);
  family(name, Kind::counter).series[labels].value += by;
}

void Metrics::set(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  family(name, Kind::gauge).series[labels].value = value;
}

void Metrics::observe(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  Family& f = family(name, Kind::histogram);
  Series& s = f.series[labels];
  if (s.buckets.empty()) s.buckets.assign(f.bounds.size(), 0);
  for (std::size_t i = 0; i < f.bounds.size(); ++i)
    if (value <= f.bounds[i]) s.buckets[i] += 1;
  s.sum += value;
  s.count += 1;
}

double Metrics::value(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second.series.find(labels);
  return s == it->second.series.end() ? 0 : s->second.value;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    const char* type = f.kind == Kind::counter ? "counter" : f.kind == Kind::gauge ? "gauge" : "histogram";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(f.help), name, type);
    for (const auto& [labels, s] : f.series) {
      if (f.kind != Kind::histogram) {
        out += fmt::format("{}{} {}\n", name, label_text(labels), number(s.value));
        continue;
      }
      for (std::size_t i = 0; i < f.bounds.size(); ++i)
        out += fmt::format("{}_bucket{} {}\n", name, label_text(labels, "le=\"" + number(f.bounds[i]) + "\""),
                           number(s.buckets[i]));
      out += fmt::format("{}_bucket{} {}\n", name, label_text(labels, "le=\"+Inf\""), number(s.count));
      out += fmt::format("{}_sum{} {}\n", name, label_text(labels), number(s.sum));
      out += fmt::format("{}_count{} {}\n", name, label_text(labels), number(s.count));
    }
  }
  return out;
}

}  // namespace jit
