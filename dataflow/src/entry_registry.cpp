#include <constellation/dataflow/user_function.hpp>

#include <mutex>
#include <set>

namespace constellation::dataflow::detail {

namespace {
struct registry {
  std::mutex mutex;
  std::set<any_function> entries;
};
// Function-local: entries register during static initialisation, in any order.
registry& entries() {
  static registry instance;
  return instance;
}
}  // namespace

bool register_entry(any_function f) noexcept {
  auto& r = entries();
  std::lock_guard lock(r.mutex);
  r.entries.insert(f);
  return true;
}

bool is_registered_entry(any_function f) noexcept {
  auto& r = entries();
  std::lock_guard lock(r.mutex);
  return r.entries.contains(f);
}

void refuse_entry(const code_ref&) {
  throw std::runtime_error(
      "dataflow: a task names code that is not a dataflow entry of this program; the driver and "
      "the "
      "worker must run the same build");
}

}  // namespace constellation::dataflow::detail
