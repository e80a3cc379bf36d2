#pragma once
// Keeps a daemon's binary cache within its bounds (cache_bounds.hpp): prunes when started, after
// each binary stored and every cache_prune_interval, removing what cache_pruning_policy chooses
// and logging each binary removed at info level. The daemon says which binaries its jobs need
// (in_use); those stay whatever the bounds. A binary removed and deployed again is uploaded again:
// each daemon asks for a binary it does not find (need_binary, or a launch_result saying it is
// missing).

#include "cluster/binary_cache.hpp"
#include "cluster/cache_bounds.hpp"
#include "cluster/log.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>

namespace constellation::cluster {

// Often enough that an age bound of hours holds to within an hour; rarely enough that listing
// the cache costs nothing. Pruning after each binary stored keeps the size bound between runs.
inline constexpr auto cache_prune_interval = std::chrono::hours(1);
// A temporary file of a store older than this was left by a crash: a store takes seconds.
inline constexpr auto leftover_upload_age = std::chrono::hours(24);

class cache_pruner {
 public:
  // The hashes of the binaries the daemon's jobs need now: running, starting or being deployed.
  using in_use_function = std::function<std::set<std::string>()>;

  // what names the cache in log lines ("the node's cache"). log must outlive the pruner.
  cache_pruner(boost::asio::any_io_executor executor, binary_cache cache, cache_bounds bounds,
               const daemon_log& log, std::string what, in_use_function in_use);

  // Prunes once, then every cache_prune_interval until stop() or the pruner's end.
  void start();
  void stop() { timer_.cancel(); }
  // After the binary with this hash was stored: prunes, keeping it as if in use, since the job it
  // was stored for is about to run it.
  void stored(std::string_view hash) { prune(hash); }
  // Prunes now, keeping the binary keep (when not empty) and those in use. Blocks on the disk.
  void prune(std::string_view keep = {});

  // Binaries removed since the daemon started, for /metrics.
  std::uint64_t evicted() const { return evicted_; }
  const cache_bounds& bounds() const { return bounds_; }

 private:
  void arm();

  boost::asio::steady_timer timer_;
  binary_cache cache_;
  cache_bounds bounds_;
  const daemon_log& log_;
  std::string what_;
  in_use_function in_use_;
  std::uint64_t evicted_ = 0;
};

}  // namespace constellation::cluster
