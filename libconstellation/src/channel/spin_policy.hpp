#pragma once
// How long a thread waiting on a link spins before it sleeps. Spinning pays when the answer comes
// within microseconds and the peer runs on another core meanwhile; it wastes a core (and, when
// the cores are all taken, delays the very peer it waits for) otherwise. So the bound adapts:
// - to how often spinning the full bound would have paid lately on this thread (a thread whose
//   waits mostly last longer spins an eighth as long). What counts is how long a wait lasted, not
//   whether it ended asleep: a shortened spin ends asleep more often, and judged by that it would
//   never grow back, however short the waits became;
// - to how many threads are runnable on the machine (more than its cores and one: an eighth as
//   long; the one is a waiting pair's own second thread).
// - to the process's share of the machine: a process held to less than one core (a cgroup CPU
//   quota) never spins. Every microsecond spun comes out of its quota, and once that is spent the
//   kernel stops the process for the rest of the period (up to 100 ms), so spinning there turns a
//   round trip of tens of microseconds into one of milliseconds.
// CONSTELLATION_SPIN_US sets the full bound (default 50 us; 0 never spins).

#include <chrono>

namespace constellation::channel {

class spin_policy {
 public:
  // The bound for a wait starting now on the calling thread.
  static std::chrono::microseconds bound();
  // A wait for data ended, after `waited`.
  static void record(std::chrono::nanoseconds waited);
  // The process runs within a limit of `cores` (its spawn's resources.cpu, enforced).
  static void limit_to_cpu_share(double cores);
};

}  // namespace constellation::channel
