#pragma once
// The messages of cluster mode, between constellation-deploy, the bridge, the master and the fabric
// daemons. Every connection first passes the handshake (wire/handshake.hpp) with the cluster's
// secret and a purpose naming the connection's kind; then each message is one frame whose payload
// is the message in cereal's binary encoding (append_message / decode_message in messages.hpp).
//
//   deploy  -> bridge   purpose "deploy":  deploy_request, binary_upload, stdin_data, stdin_eof,
//                                          end_job, and a query: status_request, jobs_request,
//                                          kill_job_request
//   bridge  -> deploy                      need_binary, job_event, job_finished, stdin_credit, and
//                                          a query's answer: status_reply, jobs_reply,
//                                          kill_job_reply
//   bridge  -> master   purpose "bridge":  job_start, binary_upload, stdin_data, stdin_eof,
//                                          end_job, output_credit, the queries
//   master  -> bridge                      need_binary, job_event, job_finished, stdin_credit, the
//                                          answers (in the order of the queries)
//   master  -> fabric   purpose "fabric":  bridge_order (first, once accepted), launch_order,
//                                          binary_upload, process_reply, stdin_data, stdin_eof,
//                                          end_job, output_credit
//   fabric  -> master                      master_verdict (first, once), launch_result, job_event,
//                                          process_request, stdin_credit
//
// Flow control. One link between two daemons carries every job, so no daemon stops reading a link
// for one job's sake: each job's streams have windows of credit instead, as SSH channels and HTTP/2
// streams do, and a daemon forwards what it reads at once, never holding more than the windows.
//   stdin:  the deploy client may have at most stdin_window bytes of stdin_data sent and not yet
//           credited; the node of the top process credits them (stdin_credit, passed back by the
//           master and the bridge) once written into the process's stdin pipe. A full pipe (a
//           process that reads slowly, or never) thus stops the client reading its own stdin.
//   output: a node may have at most output_window bytes of a job's output_event data sent and not
//           yet credited; the bridge credits the master with what it wrote to the job's client
//           (or dropped, the client gone), and the master credits each node with its part, in the
//           order it forwarded them. A node out of credit stops reading the job's monitors, whose
//           processes then block writing their stdout, as they would on a terminal nobody reads.
// Control messages (launches, exits of processes whose output was passed, end_job) use no credit.

#include "report/process_event.hpp"
#include "wire/frame.hpp"
#include "wire/launch_spec.hpp"
#include "wire/messages.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace constellation::wire {

namespace purpose {
inline constexpr const char* deploy = "deploy";
inline constexpr const char* bridge = "bridge";
inline constexpr const char* fabric = "fabric";
}  // namespace purpose

enum class cluster_type : std::uint8_t {
  deploy_request = 40,
  need_binary = 41,
  binary_upload = 42,
  job_event = 43,
  job_finished = 44,
  stdin_data = 45,
  stdin_eof = 46,
  end_job = 47,
  status_request = 48,
  status_reply = 49,
  job_start = 50,
  jobs_request = 51,
  jobs_reply = 52,
  kill_job_request = 53,
  kill_job_reply = 54,
  stdin_credit = 55,
  output_credit = 56,
  launch_order = 60,
  launch_result = 61,
  process_request = 62,
  process_reply = 63,
  master_verdict = 64,
  bridge_order = 65,
};

// The program to run, as the user started it on their machine.
struct program_description {
  std::string binary_hash;  // SHA-256 of the binary, lowercase hex
  std::uint64_t binary_size = 0;
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "NAME=value"
  template <class Archive>
  void serialize(Archive& a) {
    a(binary_hash, binary_size, argv, env);
  }
};

struct deploy_request {
  static constexpr auto type = static_cast<message_type>(cluster_type::deploy_request);
  program_description program;
  template <class Archive>
  void serialize(Archive& a) {
    a(program);
  }
};

struct need_binary {
  static constexpr auto type = static_cast<message_type>(cluster_type::need_binary);
  std::string binary_hash;
  template <class Archive>
  void serialize(Archive& a) {
    a(binary_hash);
  }
};

// The largest binary a deploy can upload: one binary_upload frame carries it, with its hash.
inline constexpr std::uint64_t max_binary_size = default_max_payload - 1024;

struct binary_upload {
  static constexpr auto type = static_cast<message_type>(cluster_type::binary_upload);
  std::string binary_hash;
  std::string bytes;
  template <class Archive>
  void serialize(Archive& a) {
    a(binary_hash, bytes);
  }
};

struct job_event {
  static constexpr auto type = static_cast<message_type>(cluster_type::job_event);
  report::process_event event;
  template <class Archive>
  void serialize(Archive& a) {
    a(event);
  }
};

// The job is over: every process exited (problem empty), or it could not run (problem says why).
struct job_finished {
  static constexpr auto type = static_cast<message_type>(cluster_type::job_finished);
  std::uint64_t job = 0;
  std::string problem;
  template <class Archive>
  void serialize(Archive& a) {
    a(job, problem);
  }
};

struct stdin_data {
  static constexpr auto type = static_cast<message_type>(cluster_type::stdin_data);
  std::uint64_t job = 0;
  std::string bytes;
  template <class Archive>
  void serialize(Archive& a) {
    a(job, bytes);
  }
};

struct stdin_eof {
  static constexpr auto type = static_cast<message_type>(cluster_type::stdin_eof);
  std::uint64_t job = 0;
  template <class Archive>
  void serialize(Archive& a) {
    a(job);
  }
};

// The most stdin a job has in flight between the deploy client and its top process's pipe (see
// "Flow control" above): a few round trips' worth at loopback and LAN speeds, and what a daemon
// holds at most for the job's stdin.
inline constexpr std::uint64_t stdin_window = 256 * 1024;
// The most output of a job a node has in flight to the bridge; the bridge holds at most this much
// per node for each client that does not read.
inline constexpr std::uint64_t output_window = 256 * 1024;

// bytes more of the job's stdin reached its top process's pipe: the sender may send that many more.
struct stdin_credit {
  static constexpr auto type = static_cast<message_type>(cluster_type::stdin_credit);
  std::uint64_t job = 0;
  std::uint64_t bytes = 0;
  template <class Archive>
  void serialize(Archive& a) {
    a(job, bytes);
  }
};

// bytes more of the job's output (the data of output events) reached its client, or were dropped
// for a client that left: the node may send that many more.
struct output_credit {
  static constexpr auto type = static_cast<message_type>(cluster_type::output_credit);
  std::uint64_t job = 0;
  std::uint64_t bytes = 0;
  template <class Archive>
  void serialize(Archive& a) {
    a(job, bytes);
  }
};

// Ctrl-C on deploy ends the job as Ctrl-C ends a local one: every process gets the signal (SIGINT),
// then SIGKILL after a grace period; immediately: SIGKILL now. The master also sends it to every
// node once a job has finished, so that the nodes stop the job's fork servers.
struct end_job {
  static constexpr auto type = static_cast<message_type>(cluster_type::end_job);
  std::uint64_t job = 0;
  bool immediately = false;
  std::int32_t signal = 15;  // SIGTERM
  template <class Archive>
  void serialize(Archive& a) {
    a(job, immediately, signal);
  }
};

struct status_request {
  static constexpr auto type = static_cast<message_type>(cluster_type::status_request);
  template <class Archive>
  void serialize(Archive&) {}
};

struct node_status {
  std::string address;
  bool up = false;
  std::uint64_t mem_total = 0;
  std::uint64_t mem_used = 0;
  double cpu_total = 0;
  double cpu_used = 0;
  std::vector<std::string> processes;  // pids of the processes running there
  template <class Archive>
  void serialize(Archive& a) {
    a(address, up, mem_total, mem_used, cpu_total, cpu_used, processes);
  }
};

struct status_reply {
  static constexpr auto type = static_cast<message_type>(cluster_type::status_reply);
  std::vector<node_status> nodes;
  std::uint64_t jobs = 0;
  template <class Archive>
  void serialize(Archive& a) {
    a(nodes, jobs);
  }
};

struct job_start {
  static constexpr auto type = static_cast<message_type>(cluster_type::job_start);
  std::uint64_t job = 0;
  program_description program;
  resources top_needs;
  std::string client;  // the deploy client's address, as the bridge saw it
  template <class Archive>
  void serialize(Archive& a) {
    a(job, program, top_needs, client);
  }
};

struct jobs_request {
  static constexpr auto type = static_cast<message_type>(cluster_type::jobs_request);
  template <class Archive>
  void serialize(Archive&) {}
};

// A job as the master knows it: running, or among the last ones that ended.
struct job_summary {
  std::uint64_t job = 0;
  std::vector<std::string> argv;
  std::string client;
  std::string state;    // waiting for its binary, starting, running, ending, finished, failed
  std::string outcome;  // once ended: the top process's exit ("exit 0", "SIGKILL") or the problem
  std::uint32_t running = 0;    // processes alive now
  std::uint32_t processes = 0;  // processes started in all
  std::int64_t started_ms = 0;  // the master's clock, milliseconds since the epoch
  std::int64_t ended_ms = 0;    // 0 while it runs
  template <class Archive>
  void serialize(Archive& a) {
    a(job, argv, client, state, outcome, running, processes, started_ms, ended_ms);
  }
};

struct jobs_reply {
  static constexpr auto type = static_cast<message_type>(cluster_type::jobs_reply);
  std::vector<job_summary> jobs;  // running ones first, then ended ones, newest first
  std::int64_t now_ms = 0;        // the master's clock, so that ages need no synchronised clocks
  template <class Archive>
  void serialize(Archive& a) {
    a(jobs, now_ms);
  }
};

// Ends a running job as Ctrl-C on its deploy client does: SIGINT to every process, SIGKILL after
// the grace period. `job` is a job id in hex, or a prefix of one that names a single running job.
struct kill_job_request {
  static constexpr auto type = static_cast<message_type>(cluster_type::kill_job_request);
  std::string job;
  template <class Archive>
  void serialize(Archive& a) {
    a(job);
  }
};

struct kill_job_reply {
  static constexpr auto type = static_cast<message_type>(cluster_type::kill_job_reply);
  std::uint64_t job = 0;  // the job that is being ended, or 0
  std::string problem;    // why nothing was ended
  template <class Archive>
  void serialize(Archive& a) {
    a(job, problem);
  }
};

// Start a process on this node. spec.self carries the job and serial; the node completes it with
// the address of the listener it binds. The job secret is not in the spec: every node derives it
// from the cluster secret, so it never travels.
struct launch_order {
  static constexpr auto type = static_cast<message_type>(cluster_type::launch_order);
  std::uint64_t request_id = 0;
  wire::launch_spec spec;
  program_description program;
  template <class Archive>
  void serialize(Archive& a) {
    a(request_id, spec, program);
  }
};

struct launch_result {
  static constexpr auto type = static_cast<message_type>(cluster_type::launch_result);
  std::uint64_t request_id = 0;
  pid process;  // null on failure
  bool binary_missing = false;
  std::string problem;  // why it failed
  template <class Archive>
  void serialize(Archive& a) {
    a(request_id, process, binary_missing, problem);
  }
};

// A user process's control frame (a spawn or a peer status request), passed to the master.
struct process_request {
  static constexpr auto type = static_cast<message_type>(cluster_type::process_request);
  pid from;
  std::uint8_t frame_type = 0;
  std::string payload;
  template <class Archive>
  void serialize(Archive& a) {
    a(from, frame_type, payload);
  }
};

// The master's answer, for the node to write to that process's control connection.
struct process_reply {
  static constexpr auto type = static_cast<message_type>(cluster_type::process_reply);
  pid to;
  std::string frame;
  template <class Archive>
  void serialize(Archive& a) {
    a(to, frame);
  }
};

// The first message a node sends its master: whether it takes it. A node belongs to one master
// until that master's link is lost and not re-established within a grace period (fabric_node.hpp),
// so a second master that lists the same node is refused, problem saying why and what to do; the
// node then sends nothing more and waits for the refused master to close the link.
struct master_verdict {
  static constexpr auto type = static_cast<message_type>(cluster_type::master_verdict);
  bool accepted = false;
  std::string problem;
  template <class Archive>
  void serialize(Archive& a) {
    a(accepted, problem);
  }
};

// The master's word to a node that took it: run a bridge at bind, linked to the master at master
// (the node's bridge_bind in nodes.toml), or none (bind empty). The node keeps that bridge running,
// restarting it as the master restarts its own, until another order or its own stop.
struct bridge_order {
  static constexpr auto type = static_cast<message_type>(cluster_type::bridge_order);
  std::string bind;
  std::string master;
  template <class Archive>
  void serialize(Archive& a) {
    a(bind, master);
  }
};

}  // namespace constellation::wire
