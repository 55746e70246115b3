// Log output. Messages are written as "event=NAME key=value key2=\"quoted value\"": in JSON mode
// each becomes one JSON object per line ({"time","level","event",...the pairs}); in text mode they
// are shown as written. Anything that looks like a Slack token is masked in both, as a last line
// of defence (secrets are never passed to the logger on purpose).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>

namespace jit {

enum class LogFormat { text, json };

// JSON when stderr is not a terminal (a service under ECS, systemd, CI), text when it is.
LogFormat default_log_format();

// Installs the "jit" logger on stderr as the default logger, with `format` and `level`
// ("trace" … "off").
void setup_logging(LogFormat format, std::string_view level);

// One message as a JSON object (without time and level): {"event":…, "request":…, …}, or
// {"msg": text} when it has no key=value pairs. Exposed for tests.
std::string message_to_json(std::string_view message);

// Masks Slack tokens (xoxb-…, xoxp-…, xapp-…) in `text`.
std::string mask_secrets(std::string_view text);

std::unique_ptr<spdlog::formatter> make_json_formatter();

}  // namespace jit
