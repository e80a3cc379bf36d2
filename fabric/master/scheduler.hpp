#pragma once
// The master's decisions, without sockets, timers or files: which node runs each process
// (placement/placement.hpp), what waits for room, what a lost node or a gone bridge means for the
// jobs, when a job ends, and what the jobs list and the status page show.
//
// Its inputs are events, one call each: a node up or lost, a node's answer to a launch order, a
// process's event or request, a bridge's request, a bridge gone. Its outputs are the messages it
// asks its shell to send, through scheduler_actions, in the order they must go out. The shell
// (master.cpp) keeps the links and turns frames into these calls; tests drive the scheduler
// event by event and read what it sent (tests/fabric/scheduler_test.cpp).
//
// Not thread-safe: one event loop owns it.

#include "config/nodes_config.hpp"
#include "master/cluster_snapshot.hpp"
#include "master/output_ledger.hpp"
#include "placement/placement.hpp"

#include "cluster/log.hpp"
#include "wire/cluster_messages.hpp"

#include <constellation/errors.hpp>

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace constellation::fabric {

namespace metrics {
class daemon_counters;
}

// A bridge connection as the scheduler knows it: a number its shell gave it. 0 is no bridge.
using bridge_id = std::uint64_t;

// What the scheduler sends to a node, and to a bridge.
using node_message = std::variant<wire::launch_order, wire::end_job, wire::process_reply,
                                  wire::output_credit, wire::stdin_data, wire::stdin_eof>;
using bridge_message =
    std::variant<wire::job_event, wire::job_finished, wire::need_binary, wire::stdin_credit>;

// Where the scheduler's decisions go: the master's links in the daemon, a recorder in tests.
class scheduler_actions {
 public:
  virtual ~scheduler_actions() = default;
  // Sends message to a node that is up (the scheduler never addresses one that is down). Before
  // a launch_order the shell uploads the program's binary to a node not known to have it.
  virtual void to_node(std::size_t node, node_message message) = 0;
  // Sends message to a bridge (never 0).
  virtual void to_bridge(bridge_id bridge, bridge_message message) = 0;
  // The node said it lacks the binary (its cache was cleared): the next launch_order there
  // uploads it again.
  virtual void forget_binary(std::size_t node, const std::string& hash) = 0;
  // Whether the master's cache holds the binary; a lookup counts as a use of it (binary_cache).
  virtual bool binary_cached(const std::string& hash) = 0;
};

class scheduler {
 public:
  // Every node of config starts down. log and counters must outlive the scheduler; counters
  // counts spawns, launches and forwarded output for /metrics.
  scheduler(const cluster_config& config, scheduler_actions& actions,
            const cluster::daemon_log& log, metrics::daemon_counters& counters);

  // ---- from nodes ----
  // The node took this master: placements go there, and spawns waiting for room may start.
  void node_up(std::size_t node);
  // The node died or was cut off: its launches in flight fail, its processes are reported to
  // their jobs as killed, and the master stops placing there until node_up.
  void node_lost(std::size_t node);
  void launch_result(std::size_t node, const wire::launch_result& result);
  // An event of a job's process, which ran on node; output is counted for flow control.
  void job_event(std::size_t node, report::process_event event);
  void stdin_credit(const wire::stdin_credit& credit);
  // A process's request (spawn, a peer's status, counters), passed on by its node.
  void process_request(wire::process_request request);

  // ---- from bridges ----
  void start_job(bridge_id bridge, wire::job_start start);
  // A binary a bridge uploaded was stored, or could not be (problem says why).
  void binary_arrived(const std::string& hash, const std::optional<std::string>& problem);
  void stdin_data(const wire::stdin_data& data);
  void stdin_eof(const wire::stdin_eof& eof);
  void end_job(std::uint64_t job, bool immediately, int signal = SIGTERM);
  // The bridge's credit for output it was sent, passed to the nodes the output came from.
  void output_credit(const wire::output_credit& credit);
  // The bridge is gone: its jobs end as when a terminal goes away, their output is credited.
  void bridge_lost(bridge_id bridge);
  // Ends every job (daemon shutdown).
  void end_all_jobs(bool immediately);

  // ---- queries ----
  wire::status_reply status() const;
  wire::jobs_reply jobs_list() const;
  // Ends the running job named by an id or a prefix of one, as Ctrl-C on its client does.
  wire::kill_job_reply kill(const std::string& name);
  cluster_snapshot snapshot() const;
  // The binaries of the jobs not yet ended, awaiting theirs included: a node may ask for one
  // again, so the cache keeps them.
  std::set<std::string> binaries_in_use() const;

 private:
  struct node_record {
    std::string address;  // fabric_addr, as logs and the status show it
    bool up = false;
  };

  struct process_record {
    std::size_t node = 0;
    resources needs;
    pid parent;  // null for a job's top process
    bool exited = false;
    report::exit_status status;
    bool eof[2] = {false, false};
  };

  // Who asked for a launch: the bridge (the top process) or a process (a spawn).
  struct launch_request {
    std::uint64_t job = 0;
    wire::launch_spec spec;
    std::optional<pid> spawner;
    std::uint64_t spawner_request = 0;
    std::size_t node = 0;
    int binary_resends = 0;
    std::chrono::steady_clock::time_point sent;  // the launch order's, for the latency metric
  };

  struct job_record {
    wire::program_description program;
    bridge_id bridge = 0;
    std::map<pid, process_record> processes;
    std::uint32_t next_serial = 2;  // the top process is 1
    std::size_t launching = 0;      // launches placed or waiting, not yet started or failed
    std::optional<pid> top;
    std::vector<std::variant<wire::stdin_data, wire::stdin_eof>> early_stdin;  // until the top runs
    output_ledger output;
    bool ending = false;
    int end_signal = SIGTERM;
    bool awaiting_binary = false;
    resources top_needs;
    std::string client;
    std::int64_t started_ms = 0;
    std::map<std::string, double> counters;  // reported by its processes (add_to_counter)
  };

  struct ended_job {
    wire::job_summary summary;
    std::map<std::string, double> counters;
  };

  void send_to_node(std::size_t node, node_message message);
  void send_to_bridge(bridge_id bridge, bridge_message message);

  void place(launch_request request, bool wait);
  void admit_waiting();
  void send_launch(launch_request request);
  void refuse(const launch_request& request, spawn_errc why, const std::string& message);
  void launch_failed(const launch_request& request, const std::string& problem);
  void launch_top(std::uint64_t job_id);

  void reply_to_process(const pid& to, const auto& message);
  void add_counters(job_record& job, const std::vector<std::pair<std::string, double>>& increments);
  wire::peer_status status_of(const pid& who) const;

  void output_sent(std::uint64_t job_id, std::size_t node, std::uint64_t bytes);
  void on_event(std::uint64_t job_id, report::process_event event);
  void check_job_end(std::uint64_t job_id);
  void finish_job(std::uint64_t job_id, const std::string& problem);
  void to_top_node(std::uint64_t job_id, std::variant<wire::stdin_data, wire::stdin_eof> message);

  wire::job_summary summarize(std::uint64_t id, const job_record& job) const;

  scheduler_actions& actions_;
  const cluster::daemon_log& log_;
  metrics::daemon_counters& counters_;
  placement slots_;
  std::vector<node_record> nodes_;
  std::map<std::uint64_t, job_record> jobs_;
  std::map<std::uint64_t, launch_request> launches_;  // by request id, sent to a node
  std::map<std::uint64_t, launch_request> waiting_;   // by placement ticket
  std::uint64_t next_request_ = 1;
  std::deque<ended_job> ended_jobs_;  // the newest first
};

}  // namespace constellation::fabric
