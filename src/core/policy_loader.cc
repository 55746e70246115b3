#include "core/policy_loader.h"

namespace jit {

Result<Policy> load_policy(std::string_view, std::string_view source_name) {
  return fail(Error::Internal(std::string(source_name) + ": policy loader not written yet"));
}

}  // namespace jit
