#pragma once
// Runs a program's recce on the bridge's loop without blocking it: the cached binary is started
// with posix_spawn, its stdout and stderr are read through pipes, its end is watched through a
// pidfd, and a timer kills it (with everything it started) when it takes too long.

#include <constellation/resources.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace constellation::bridge {

inline constexpr auto recce_time_limit = std::chrono::seconds(10);
// A recce prints one short line; more than this is not a recce, and is not kept in memory.
inline constexpr std::size_t recce_output_limit = 64 * 1024;

using recce_handler = std::function<void(std::expected<resources, std::string>)>;

class recce_process {
 public:
  virtual ~recce_process() = default;
  // Kills the program (and its process group); the handler is not called after this.
  virtual void cancel() = 0;
};

// Starts binary with argv and env (the user's), plus CONSTELLATION_RECCE=1, stdin from /dev/null,
// in a process group of its own. handler runs once on io's loop with the resources or the problem
// to show the user (see judge_recce), unless cancel() was called first. The program is reaped
// whatever happens; keep the returned object only to cancel. time_limit is for tests.
std::shared_ptr<recce_process> start_recce(boost::asio::io_context& io, const std::string& binary,
                                           std::vector<std::string> argv,
                                           std::vector<std::string> env, recce_handler handler,
                                           std::chrono::milliseconds time_limit = recce_time_limit);

// The environment a recce runs with: env without any CONSTELLATION_RECCE or CONSTELLATION_MONITOR
// setting of the user's, and with CONSTELLATION_RECCE=1. Pure.
std::vector<std::string> recce_environment(std::vector<std::string> env);

}  // namespace constellation::bridge
