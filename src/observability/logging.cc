#include "observability/logging.h"

#include <fmt/chrono.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace jit {

LogFormat default_log_format() { return isatty(STDERR_FILENO) ? LogFormat::text : LogFormat::json; }

namespace {

// The length of a Slack token prefix ("xoxb-", "xapp-", ...) at the start of `text`, or 0.
std::size_t token_prefix(std::string_view text) {
  if (text.starts_with("xapp-")) return 5;
  if (text.size() >= 5 && text.starts_with("xox") && std::string_view("abposr").find(text[3]) != std::string_view::npos &&
      text[4] == '-')
    return 5;
  return 0;
}

bool is_token_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }

}  // namespace

// One pass, each byte looked at a bounded number of times: log lines may carry anything a user
// typed (the regular expression used here before recursed once per character, and a long line
// could overflow the stack).
std::string mask_secrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t prefix = token_prefix(text.substr(i));
    if (prefix == 0 || i + prefix == text.size() || !is_token_char(text[i + prefix])) {
      out += text[i++];
      continue;
    }
    out.append(text.substr(i, prefix - 1)).append("-***");
    for (i += prefix; i < text.size() && is_token_char(text[i]);) ++i;
  }
  return out;
}

std::string message_to_json(std::string_view message) {
  nlohmann::json out = nlohmann::json::object();
  // Only our own event lines are key=value pairs; free text (which may contain '=' of its own, an
  // AWS error naming AWS_EC2_METADATA_DISABLED=true) is kept whole.
  if (!message.starts_with("event=")) {
    out["event"] = "log";
    out["msg"] = std::string(message);
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::size_t i = 0;
  std::string rest;  // words that are not key=value
  auto is_key_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < message.size()) {
    while (i < message.size() && message[i] == ' ') ++i;
    std::size_t k = i;
    while (k < message.size() && is_key_char(message[k])) ++k;
    if (k > i && k < message.size() && message[k] == '=') {
      const std::string key(message.substr(i, k - i));
      std::string value;
      std::size_t v = k + 1;
      if (v < message.size() && message[v] == '"') {
        ++v;
        while (v < message.size() && message[v] != '"') {
          if (message[v] == '\\' && v + 1 < message.size()) ++v;
          value += message[v++];
        }
        ++v;  // closing quote
      } else {
        while (v < message.size() && message[v] != ' ') value += message[v++];
      }
      out[key] = value;
      i = v;
      continue;
    }
    std::size_t end = message.find(' ', i);
    if (end == std::string_view::npos) end = message.size();
    rest += (rest.empty() ? "" : " ") + std::string(message.substr(i, end - i));
    i = end;
  }
  if (!rest.empty()) out["msg"] = rest;
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string body = message_to_json(mask_secrets(std::string_view(msg.payload.data(), msg.payload.size())));
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    fmt::format_to(std::back_inserter(dest), R"({{"time":"{:%Y-%m-%dT%H:%M:%S}.{:03}Z","level":"{}",)", tm,
                   millis % 1000, spdlog::level::to_string_view(msg.level));
    dest.append(body.data() + 1, body.data() + body.size());  // the pairs, without the opening brace
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

class MaskingTextFormatter final : public spdlog::formatter {
 public:
  MaskingTextFormatter() : inner_(std::make_unique<spdlog::pattern_formatter>()) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    spdlog::memory_buf_t raw;
    inner_->format(msg, raw);
    const std::string masked = mask_secrets(std::string_view(raw.data(), raw.size()));
    dest.append(masked.data(), masked.data() + masked.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<MaskingTextFormatter>(); }

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_json_formatter() { return std::make_unique<JsonFormatter>(); }

void setup_logging(LogFormat format, std::string_view level) {
  auto logger = spdlog::get("jit");
  if (!logger) logger = spdlog::stderr_color_mt("jit");
  if (format == LogFormat::json) logger->set_formatter(make_json_formatter());
  else logger->set_formatter(std::make_unique<MaskingTextFormatter>());
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

}  // namespace jit
