// spawn() and try_spawn() called from several threads at once.
#include "scenario.hpp"

#include <constellation/constellation.hpp>

#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace {

constexpr int threads = 8, spawns_per_thread = 4;

void child(constellation::pid, int thread, int spawn) {
  std::cout << "thread " << thread << " spawn " << spawn << "\n";
}

}  // namespace

CONSTELLATION_SCENARIO(threaded_spawns) {
  std::mutex mutex;
  std::set<constellation::pid> pids;
  int failures = 0;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int s = 0; s < spawns_per_thread; ++s) {
        // Half through each form of the call.
        std::optional<constellation::pid> spawned;
        if (s % 2 == 0) {
          spawned = constellation::spawn({}, child, t, s);
        } else if (auto tried = constellation::try_spawn({}, child, t, s)) {
          spawned = *tried;
        }
        std::lock_guard lock(mutex);
        if (spawned)
          pids.insert(*spawned);
        else
          ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  std::cout << pids.size() << " distinct pids, " << failures << " failures\n";
  return 0;
}
