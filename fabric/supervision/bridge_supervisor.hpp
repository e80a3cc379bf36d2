#pragma once
// The master's bridge, kept running: started at the master's start, restarted when it ends for any
// reason but the master's own stop (restart_policy.hpp), and a bridge that cannot bind its address
// is said so loudly at each try.

#include "cluster/log.hpp"
#include "supervision/restart_policy.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace constellation::fabric {

class bridge_supervisor {
 public:
  // program and args as constellation-bridge takes them; bind is the address, for messages.
  bridge_supervisor(boost::asio::any_io_executor executor, const cluster::daemon_log& log,
                    std::string program, std::vector<std::string> args, std::string bind,
                    restart_policy policy = {});
  ~bridge_supervisor();
  bridge_supervisor(const bridge_supervisor&) = delete;
  bridge_supervisor& operator=(const bridge_supervisor&) = delete;

  void start();
  // Called by the daemon's reaper for every child it reaps; true when it was the bridge.
  bool on_child_exit(pid_t pid, int wait_status);
  // Ends the bridge (SIGTERM) and restarts it no more.
  void stop();

 private:
  // Forks the bridge; verb ("started", "restarted") for the log. A failed fork is retried later.
  void launch(const char* verb);
  void restart_later(const std::string& problem, std::chrono::milliseconds ran);

  boost::asio::steady_timer restart_timer_;
  const cluster::daemon_log& log_;
  std::string program_;
  std::vector<std::string> args_;
  std::string bind_;
  restart_policy policy_;
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point started_at_;
  std::chrono::milliseconds delay_{0};
  bool stopped_ = false;
};

}  // namespace constellation::fabric
