#include "supervision/restart_policy.hpp"

#include <algorithm>

namespace constellation::fabric {

std::chrono::milliseconds restart_policy::next_delay(std::chrono::milliseconds previous,
                                                     std::chrono::milliseconds ran) const {
  if (ran >= stable_run || previous.count() == 0) return first_delay;
  return std::min(previous * 2, longest_delay);
}

}  // namespace constellation::fabric
