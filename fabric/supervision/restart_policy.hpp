#pragma once
// When to restart a supervised process that ended: at once the first time, then after a delay that
// doubles while it keeps ending soon after each start (as Erlang supervisors and systemd's
// RestartSec= with RestartSteps= do), so that one that cannot start is retried without spinning.

#include <chrono>

namespace constellation::fabric {

struct restart_policy {
  std::chrono::milliseconds first_delay{500};
  std::chrono::milliseconds longest_delay{30'000};
  // A run at least this long counts as a success: the next delay starts again from first_delay.
  std::chrono::milliseconds stable_run{60'000};

  // The delay before the next start, given the delay before the last one (0: none yet) and how
  // long the last run lasted.
  std::chrono::milliseconds next_delay(std::chrono::milliseconds previous,
                                       std::chrono::milliseconds ran) const;
};

}  // namespace constellation::fabric
