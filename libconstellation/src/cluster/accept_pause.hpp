#pragma once
// What a daemon's accept loop does when accept fails. Out of descriptors (EMFILE, ENFILE) or
// memory, the listener stays readable, so accepting again at once fails again at once: a loop that
// re-arms straight away spins a core and writes a log line per spin. This waits a moment before
// the next try, and logs the first failure of a stretch and then at most one line per interval
// saying how many followed.

#include "cluster/log.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace constellation::cluster {

// Long enough that a daemon out of descriptors costs nothing noticeable; short enough that it
// serves again about at once after descriptors were freed.
inline constexpr auto accept_retry_pause = std::chrono::milliseconds(100);
inline constexpr auto accept_log_interval = std::chrono::seconds(10);

class accept_pause {
 public:
  // what: the listener, for the log ("deploy clients on 10.0.0.1:7000").
  accept_pause(boost::asio::any_io_executor executor, const daemon_log& log, std::string what)
      : timer_(std::move(executor)), log_(log), what_(std::move(what)) {}

  // After a failed accept: logs (rate-limited) and calls retry after accept_retry_pause.
  void failed(const boost::system::error_code& ec, std::function<void()> retry);
  // After an accept that worked: the next failure is logged at once.
  void succeeded();
  // Cancels a pending retry (the daemon is stopping).
  void cancel() { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
  const daemon_log& log_;
  std::string what_;
  bool failing_ = false;
  std::chrono::steady_clock::time_point last_logged_{};
  std::uint64_t unlogged_ = 0;
};

}  // namespace constellation::cluster
