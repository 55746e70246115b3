#include "app/config.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/policy_loader.h"

namespace jit {

Result<std::shared_ptr<const Config>> load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(Error::Invalid(fmt::format("cannot read config {}: {}; pass --config FILE or set JIT_CONFIG", path,
                                           std::strerror(errno))));
  std::ostringstream text;
  text << in.rdbuf();
  auto config = load_config(text.str(), path);
  if (!config) return fail(config.error());
  return std::shared_ptr<const Config>(std::make_shared<Config>(std::move(*config)));
}

ConfigChoice choose_config(const std::string& flag) {
  if (!flag.empty()) return {flag, true};
  if (const char* env = std::getenv("JIT_CONFIG"); env && *env) return {env, true};
  return {"jit.toml", false};
}

std::string choose_store_url(const std::string& flag, const Config* config) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("JIT_STORE"); env && *env) return env;
  if (config) return config->settings.store.url;
  return StoreSettings{}.url;
}

}  // namespace jit
