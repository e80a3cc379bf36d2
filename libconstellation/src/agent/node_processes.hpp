#pragma once
// The processes a node agent started: their monitors' reports become process events, their
// control requests go to whoever decides spawns (the local job, or the cluster's master). Used by
// the local bridge and by every fabric daemon.

#include "agent/listener.hpp"
#include "agent/monitor_starter.hpp"
#include "posix/unique_fd.hpp"
#include "process/launcher.hpp"
#include "report/process_event.hpp"
#include "wire/launch_spec.hpp"
#include "wire/messages.hpp"

#include <boost/asio/io_context.hpp>

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace constellation::agent {

class frame_connection;

class node_processes {
 public:
  struct callbacks {
    // Every event of every process, in the order its monitor reported it; spawn first.
    std::function<void(const report::process_event&)> on_event;
    // The monitor reported the process running (child set) or that it could not start.
    std::function<void(const pid& process, std::expected<void, std::string> started)> on_started;
    // A frame from a process's control connection (a spawn or a peer status request); progress
    // reports become progress events instead.
    std::function<void(const pid& process, std::uint8_t type, std::string_view payload)> on_request;
  };

  node_processes(boost::asio::io_context& io, callbacks c);
  ~node_processes();
  node_processes(const node_processes&) = delete;
  node_processes& operator=(const node_processes&) = delete;

  // Starts a monitor for spec through starter (spec.self names the process; its listener is
  // handed over). stdin_fd, when it holds one, becomes the process's stdin. Whether it started is
  // told by on_started, which may be called before this returns.
  void launch(monitor_starter& starter, const wire::launch_spec& spec, bound_listener listener,
              posix::unique_fd stdin_fd = {});
  // Watches a monitor the caller forked itself (the local top process).
  void adopt(const wire::launch_spec& spec, pid_t monitor, int report_fd, int control_fd);

  // Writes a frame to the process's control connection (a reply to its request).
  void reply(const pid& process, std::string frame);
  // Asks the monitors of every live process of job (or of all jobs, with job 0) to end them with
  // signal, then SIGKILL after a grace period (at once when immediately).
  void terminate(std::uint64_t job, bool immediately, int signal = 15);
  // SIGKILL to every live process and monitor: the last resort.
  void kill_everything();
  // Stops (hold true) or resumes reading the reports of job's started processes (job 0: every
  // job's, on resuming only): their output then waits in their monitors and pipes, and so does
  // what follows it (end of file, exit). Spawn events and control requests are not held.
  void hold_output(std::uint64_t job, bool hold);

  // Forgets job's processes once each has ended (those that have, at once): their records answer
  // status_of() while the job runs, and hold its processes' connections. The fabric calls it when
  // the master ends the job on this node, once the job is over or to stop it.
  void forget_job(std::uint64_t job);

  bool all_done() const;
  wire::peer_status status_of(const pid& process) const;
  std::size_t live_processes(std::uint64_t job = 0) const;
  // Processes this node holds a record of: those running, and those ended in jobs not yet over.
  std::size_t recorded_processes() const { return processes_.size(); }

 private:
  struct entry;
  void watch(entry& e, int report_fd, int control_fd);
  void on_monitor(const pid& process, std::expected<pid_t, std::string> monitor);
  void on_report(const pid& process, std::uint8_t type, std::string_view payload);
  void on_report_closed(const pid& process);
  void on_progress(entry& e, std::string_view payload);
  void close_output(entry& e, int fd);
  void finish(entry& e, report::exit_status status, std::string reason);
  // The process's record, or nullptr once its job was forgotten.
  entry* find(const pid& process);
  // After a process of a forgotten job ended: its record goes, later on the loop, since the caller
  // may be a handler of the connections it holds.
  void ended(const pid& process);
  void forget_ended(std::uint64_t job);

  boost::asio::io_context& io_;
  callbacks callbacks_;
  std::map<pid, std::unique_ptr<entry>> processes_;
  std::set<std::uint64_t> held_jobs_;
  std::set<std::uint64_t> forgotten_jobs_;  // jobs to forget, while processes of theirs still run
};

}  // namespace constellation::agent
