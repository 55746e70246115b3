#include "app/config.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/policy_loader.h"

namespace jit {

Result<std::shared_ptr<Policy>> load_policy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(Error::Invalid(fmt::format("cannot read config {}: {}; pass --config FILE or set JIT_CONFIG", path,
                                           std::strerror(errno))));
  std::ostringstream text;
  text << in.rdbuf();
  auto policy = load_policy(text.str(), path);
  if (!policy) return fail(policy.error());
  return std::make_shared<Policy>(std::move(*policy));
}

ConfigChoice choose_config(const std::string& flag) {
  if (!flag.empty()) return {flag, true};
  if (const char* env = std::getenv("JIT_CONFIG"); env && *env) return {env, true};
  return {"jit.toml", false};
}

std::string choose_store_url(const std::string& flag, const Policy* policy) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("JIT_STORE"); env && *env) return env;
  if (policy) return policy->store.url;
  return StoreSettings{}.url;
}

}  // namespace jit
