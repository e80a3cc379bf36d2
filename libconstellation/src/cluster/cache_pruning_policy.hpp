#pragma once
// Which binaries a cache lets go: first those unused for longer than the age bound, then, while
// the cache holds more than the size bound, the least recently used. A binary in use (a job runs
// it or is starting with it, or it has just been stored for a launch) is never chosen, even when
// that leaves the cache above its bound: a job cannot run without its binary, and the cache comes
// back within its bound once the job is over.
//
// Pure: it knows no files, sockets or clock. The caller passes the entries and the time
// (cache_pruner.hpp reads them from a binary_cache and removes what was chosen), so that tests
// need neither a disk nor a wait.

#include "cluster/cache_bounds.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace constellation::cluster {

class cache_pruning_policy {
 public:
  // The wall clock: a binary's last use is its file's modification time, which outlives the daemon.
  using clock = std::chrono::system_clock;

  struct entry {
    std::string id;  // the binary's hash
    std::uint64_t bytes = 0;
    clock::time_point last_used;
    bool in_use = false;
  };
  enum class reason { unused_too_long, over_size };
  struct eviction {
    entry what;
    reason why;
  };

  explicit cache_pruning_policy(cache_bounds bounds) : bounds_(bounds) {}

  // The entries to remove, in the order to remove them: every one unused for longer than max_age,
  // then the least recently used ones until what is left fits max_bytes (in-use entries count
  // towards the size but are kept). Ties in last use go by id, so that the choice is repeatable. A
  // last use after now (the clock was set back) counts as now. Does not throw except bad_alloc.
  std::vector<eviction> choose(std::vector<entry> entries, clock::time_point now) const;

  const cache_bounds& bounds() const { return bounds_; }

 private:
  cache_bounds bounds_;
};

}  // namespace constellation::cluster
