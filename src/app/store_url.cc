#include "app/store_url.h"

#include <fmt/format.h>

#include "store/sqlite_store.h"

namespace jit {

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  if (url.starts_with("sqlite:")) {
    const std::string path(url.substr(7));
    if (path.empty()) return fail(Error::Invalid("store URL \"sqlite:\" has no path: use sqlite:PATH, e.g. sqlite:jit.db"));
    auto store = SqliteStore::open(path);
    if (!store) return fail(store.error());
    return std::unique_ptr<Store>(std::move(*store));
  }
  if (url.starts_with("dynamodb:"))
    return fail(Error::Invalid(fmt::format(
        "store URL \"{}\": the DynamoDB store is not available in this build yet; use sqlite:PATH", url)));
  return fail(Error::Invalid(
      fmt::format("store URL \"{}\": expected sqlite:PATH (e.g. sqlite:jit.db) or dynamodb:TABLE", url)));
}

}  // namespace jit
