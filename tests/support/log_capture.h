// Captures everything spdlog logs (at every level) while alive; restores the previous logger.
// For tests that check what is logged, and how often (never that a secret is).
#pragma once

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>
#include <string_view>

namespace jit::testing {

class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    auto logger = std::make_shared<spdlog::logger>("captured", sink);
    logger->set_level(spdlog::level::trace);
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() {
    spdlog::default_logger()->flush();
    return stream_.str();
  }
  // How many lines logged at `level` ("warning", "info", ...) contain `needle`.
  int count(std::string_view level, std::string_view needle) {
    std::istringstream lines(text());
    const std::string tag = "[" + std::string(level) + "]";
    int n = 0;
    for (std::string line; std::getline(lines, line);)
      n += line.find(tag) != std::string::npos && line.find(needle) != std::string::npos;
    return n;
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace jit::testing
