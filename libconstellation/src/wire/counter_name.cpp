#include "wire/counter_name.hpp"

namespace constellation::wire {

bool is_counter_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z' ||
      name.ends_with("_total"))
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

}  // namespace constellation::wire
