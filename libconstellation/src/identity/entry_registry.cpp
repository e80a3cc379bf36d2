#include "identity/entry_registry.hpp"

#include <mutex>
#include <set>

namespace constellation {

namespace {
struct entry_registry {
  std::mutex mutex;
  std::set<detail::entry_function> entries;
};
// A function-local static: entries register during static initialisation, in any order.
entry_registry& registry() {
  static entry_registry instance;
  return instance;
}
}  // namespace

bool detail::register_entry(entry_function entry) noexcept {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.entries.insert(entry);
  return true;
}

bool identity::is_registered_entry(detail::entry_function entry) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  return r.entries.contains(entry);
}

}  // namespace constellation
